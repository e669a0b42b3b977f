"""Genesys Cloud Web Messaging guest client: `MessagingSession` (a `webchat_tui.chat.Session`) on a
`MessagingClient`.

```python
from webchat_tui.messaging import MessagingClient, MessagingSession

client = MessagingClient("<deploymentId>", environment="mypurecloud.ie", origin="https://www.example.com")
session = MessagingSession(client)           # the token is stored per deployment and reused
await session.start()                        # resumes this guest's conversation, history shown once
await session.send("hello")
await session.close()                        # or leave() to close the conversation
```
No Textual or Rich here.
"""

from __future__ import annotations

from webchat_tui.messaging import errors, frames, requests
from webchat_tui.messaging.client import MessagingClient
from webchat_tui.messaging.endpoints import Endpoints, resolve_endpoints
from webchat_tui.messaging.errors import MessagingError
from webchat_tui.messaging.session import MessagingSession, custom_attributes_size
from webchat_tui.messaging.token_store import TokenStore, default_token_path

__all__ = [
    "MessagingClient",
    "MessagingSession",
    "MessagingError",
    "TokenStore",
    "default_token_path",
    "Endpoints",
    "resolve_endpoints",
    "custom_attributes_size",
    "errors",
    "frames",
    "requests",
]
