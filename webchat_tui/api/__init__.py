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

Imports are lazy (PEP 562): ``import webchat_tui.api.session_types`` or ``.regions`` loads neither httpx,
pydantic nor websockets; a name such as `WebChatClient` loads its module on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
        InvalidResponseError,
        NetworkError,
        NotFoundError,
        OAuthError,
        PagingError,
        PermissionDeniedError,
        RateLimitError,
        RedirectError,
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
    from webchat_tui.api.session_reducer import EndCause
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

_SUBMODULES = frozenset({"errors", "models", "session_types"})
_WHERE: dict[str, str] = {
    "RedactingFilter": "_redact",
    "install_redaction": "_redact",
    "redact": "_redact",
    "RetryPolicy": "_retry",
    "Timeouts": "_transport",
    "WebChatClient": "client",
    "GuestMemberInfo": "models",
    "JourneyContext": "models",
    "REGIONS": "regions",
    "Region": "regions",
    "resolve_environment": "regions",
    "ChatSession": "session",
    "EndCause": "session_reducer",
    "EventStream": "stream",
    "StreamOptions": "stream",
    "AmbiguousOutcomeError": "errors",
    "ApiError": "errors",
    "ApiTimeoutError": "errors",
    "AuthenticationError": "errors",
    "BadRequestError": "errors",
    "ClientValidationError": "errors",
    "ConflictError": "errors",
    "InvalidResponseError": "errors",
    "NetworkError": "errors",
    "NotFoundError": "errors",
    "OAuthError": "errors",
    "PagingError": "errors",
    "PermissionDeniedError": "errors",
    "RateLimitError": "errors",
    "RedirectError": "errors",
    "ServerError": "errors",
    "ServiceUnavailableError": "errors",
    "SessionExpired": "errors",
    "SessionExpiredError": "errors",
    "StreamAuthError": "errors",
    "StreamClosedError": "errors",
    "StreamError": "errors",
    "WebChatError": "errors",
    "ChatMessage": "session_types",
    "MediaRequest": "session_types",
    "MediaRequestChanged": "session_types",
    "Member": "session_types",
    "MemberChanged": "session_types",
    "MemberRole": "session_types",
    "MemberState": "session_types",
    "MessagesAdded": "session_types",
    "Notice": "session_types",
    "SessionEvent": "session_types",
    "SessionState": "session_types",
    "StateChanged": "session_types",
    "TypingChanged": "session_types",
}


def __getattr__(name: str) -> Any:
    """Load the module that defines ``name`` on first use (PEP 562) and cache the name here."""
    if name in _SUBMODULES:
        value: Any = importlib.import_module(f"{__name__}.{name}")
    elif name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE) | _SUBMODULES)


__all__ = [
    "WebChatClient",
    "ChatSession",
    "EndCause",
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
    "RedirectError",
    "InvalidResponseError",
    "PagingError",
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
