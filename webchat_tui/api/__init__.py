"""Typed async client for the Genesys Cloud Web Chat v2 API, its event stream, and `ChatSession`.

```python
from webchat_tui.api import WebChatClient, ChatSession, GuestMemberInfo

async with WebChatClient(base_url="http://127.0.0.1:8765") as client:   # or environment="mypurecloud.ie"
    session = ChatSession(client)
    await session.start(organization_id=..., deployment_id=..., queue="Support",
                        member_info=GuestMemberInfo(display_name="Ada"))
    await session.send("hello")
    await session.leave()
```
No Textual or Rich here; httpx is imported only by `webchat_tui.api._transport`.
"""

from __future__ import annotations

from webchat_tui.api import errors, models, session_types
from webchat_tui.api._redact import RedactingFilter, install_redaction, redact
from webchat_tui.api._retry import RetryPolicy
from webchat_tui.api._transport import Timeouts
from webchat_tui.api.client import WebChatClient
from webchat_tui.api.errors import (
    AmbiguousOutcomeError,
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientValidationError,
    ConflictError,
    NetworkError,
    NotFoundError,
    OAuthError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    SessionExpired,
    SessionExpiredError,
    StreamAuthError,
    StreamClosedError,
    StreamError,
    WebChatError,
)
from webchat_tui.api.models import GuestMemberInfo, JourneyContext
from webchat_tui.api.regions import REGIONS, Region, resolve_environment
from webchat_tui.api.session import ChatSession
from webchat_tui.api.session_types import (
    ChatMessage,
    MediaRequest,
    MediaRequestChanged,
    Member,
    MemberChanged,
    MemberRole,
    MemberState,
    MessagesAdded,
    Notice,
    SessionEvent,
    SessionState,
    StateChanged,
    TypingChanged,
)
from webchat_tui.api.stream import EventStream, StreamOptions

__all__ = [
    "WebChatClient",
    "ChatSession",
    "GuestMemberInfo",
    "JourneyContext",
    "EventStream",
    "StreamOptions",
    "RetryPolicy",
    "Timeouts",
    "REGIONS",
    "Region",
    "resolve_environment",
    "RedactingFilter",
    "install_redaction",
    "redact",
    "errors",
    "models",
    "session_types",
    # errors
    "WebChatError",
    "ClientValidationError",
    "ApiError",
    "BadRequestError",
    "AuthenticationError",
    "SessionExpired",
    "SessionExpiredError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "RateLimitError",
    "ServerError",
    "ServiceUnavailableError",
    "NetworkError",
    "ApiTimeoutError",
    "AmbiguousOutcomeError",
    "OAuthError",
    "StreamError",
    "StreamAuthError",
    "StreamClosedError",
    # session types
    "SessionState",
    "MemberRole",
    "MemberState",
    "Member",
    "ChatMessage",
    "MediaRequest",
    "StateChanged",
    "MessagesAdded",
    "MemberChanged",
    "TypingChanged",
    "MediaRequestChanged",
    "Notice",
    "SessionEvent",
]
