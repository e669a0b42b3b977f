"""`WebChatClient`: the 19 Web Chat v2 operations, typed, with auth, retries and secrets kept secret.

```python
async with WebChatClient(base_url="http://127.0.0.1:8765") as client:      # or environment="mypurecloud.ie"
    chat = await client.post_webchat_guest_conversations(CreateWebChatConversationRequest(...))
    await client.get_webchat_guest_conversation_members(chat.id)           # the guest JWT is remembered
```
Guest operations carry the conversation's JWT (remembered from the create response, or given with
`set_guest_token` / ``jwt=``); admin operations carry an OAuth token obtained with client credentials from the
login host (``login.<envHost>``; for an explicit base URL the same base URL) and refreshed before it expires.

The class is assembled from one module per concern: `client_core` (where to connect, credentials, the retrying
request), `auth` (OAuth tokens), `guest_operations`, `message_send` (send with reconciliation) and
`admin_operations`.
"""

from __future__ import annotations

from webchat_tui.api._retry import RetryPolicy
from webchat_tui.api._transport import Timeouts
from webchat_tui.api.admin_operations import AdminOperations
from webchat_tui.api.message_send import MessageSending

__all__ = ["WebChatClient", "Timeouts", "RetryPolicy"]


class WebChatClient(MessageSending, AdminOperations):
    """Async client for the Genesys Cloud Web Chat v2 API (guest chat + deployment/settings admin).

    Where to connect: ``base_url=`` (e.g. the emulator), else the ``WEBCHAT_BASE_URL`` environment variable,
    else ``environment=`` (one of the 17 regions: ``mypurecloud.com``, ``mypurecloud.ie``, ...
    ``apse1.pure.cloud``; ``api.<host>``, a full URL or the SDK region key such as ``eu_west_1`` are accepted
    too). ``login_url=`` overrides where OAuth tokens come from. TLS is verified unless ``verify=False``.
    ``client_id`` / ``client_secret`` are needed only for the 8 admin operations.
    ``http_transport`` is for tests that fake a real region (an ``httpx.MockTransport``).
    ``max_response_bytes`` bounds every response body, on the wire and decoded (default 64 MiB).
    Use it as an async context manager, or call `aclose()`.
    """
