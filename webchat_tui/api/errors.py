"""Typed errors for the Web Chat client.

```
WebChatError
├── ClientValidationError(field, reason)          bad input, caught before any request (also a ValueError)
├── ApiError(status, code, message, message_params, correlation_id, body)   an HTTP error response (ErrorBody)
│   ├── RedirectError 3xx            (redirects are never followed: a 3xx is an error)
│   ├── InvalidResponseError         a 2xx whose body is not what the contract says (never a pydantic error)
│   │   └── PagingError              paging that cannot be followed (cursor repeats, too many pages, too long)
│   ├── BadRequestError 400          ├── ConflictError 409          ├── RateLimitError 429 (.retry_after)
│   ├── AuthenticationError 401      ├── PayloadTooLargeError 413   └── ServerError 5xx
│   │   └── SessionExpired           ├── UnsupportedMediaTypeError 415      ├── InternalServerError 500
│   ├── PermissionDeniedError 403    └── UnprocessableEntityError 422       ├── ServiceUnavailableError 503
│   ├── NotFoundError 404                                                    └── GatewayTimeoutError 504
│   └── RequestTimeoutError 408
├── NetworkError                      no HTTP response: connection refused/reset, DNS, TLS ...
│   ├── ApiTimeoutError               connect/read/write/pool timeout
│   └── AmbiguousOutcomeError         a non-idempotent request may or may not have been applied
├── OAuthError                        the client-credentials token could not be obtained
└── StreamError                       the websocket event stream failed
    ├── StreamAuthError               the handshake was refused with 401/403 (the stream stops)
    └── StreamClosedError             the stream closed for good
```
Messages never contain secrets: every message is passed through the redactor. Every string that came from the
network (ErrorBody fields, headers such as the correlation id) is made inert when the error is built, so
`str(exc)`, `repr(exc)` and every attribute are safe to show in a terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webchat_tui.api._redact import redact
from webchat_tui.sanitize import sanitize_json, sanitize_line

__all__ = [
    "WebChatError",
    "ClientValidationError",
    "ApiError",
    "RedirectError",
    "InvalidResponseError",
    "PagingError",
    "BadRequestError",
    "AuthenticationError",
    "SessionExpired",
    "SessionExpiredError",
    "PermissionDeniedError",
    "NotFoundError",
    "RequestTimeoutError",
    "ConflictError",
    "PayloadTooLargeError",
    "UnsupportedMediaTypeError",
    "UnprocessableEntityError",
    "RateLimitError",
    "ServerError",
    "InternalServerError",
    "ServiceUnavailableError",
    "GatewayTimeoutError",
    "NetworkError",
    "ApiTimeoutError",
    "AmbiguousOutcomeError",
    "OAuthError",
    "StreamError",
    "StreamAuthError",
    "StreamClosedError",
    "error_from_response",
]


MAX_ERROR_TEXT = 2000
"""Longest error message kept (a hostile server can send megabytes)."""


def _inert(value: str | None) -> str | None:
    """A one-line remote value made inert, redacted and cut to a sane length (None stays None)."""
    return None if value is None else redact(sanitize_line(str(value)))[:MAX_ERROR_TEXT]


class WebChatError(Exception):
    """Base class of every error raised by `webchat_tui.api`."""

    def __init__(self, message: str) -> None:
        text = redact(sanitize_line(message))
        if len(text) > MAX_ERROR_TEXT:
            text = text[:MAX_ERROR_TEXT] + f"… ({len(text) - MAX_ERROR_TEXT} more characters)"
        self.message = text
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ClientValidationError(WebChatError, ValueError):
    """Input rejected before any request was sent; `field` names the offending field (wire name)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = redact(sanitize_line(field))
        self.reason = redact(sanitize_line(reason))
        super().__init__(f"{field}: {reason}")

    def __repr__(self) -> str:
        return f"ClientValidationError(field={self.field!r}, reason={self.reason!r})"


class ApiError(WebChatError):
    """An HTTP error response, with the parsed `ErrorBody` fields.

    `status` HTTP status, `code` the Genesys error code (e.g. ``chat.error.conversation.state``), `message`
    the
    human text, `message_params` the template parameters, `correlation_id` from ``inin-correlation-id`` (or
    the
    body's ``contextId``), `body` the whole ErrorBody as a dict, `operation` the operationId that failed.
    """

    status: int = 0

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        *,
        message_params: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
        body: Mapping[str, Any] | None = None,
        operation: str | None = None,
    ) -> None:
        self.status = status
        self.code = _inert(code)
        self.message_params: dict[str, str] = {
            redact(sanitize_line(str(k))): redact(sanitize_line(str(v)))
            for k, v in (message_params or {}).items()
        }
        self.correlation_id = _inert(correlation_id)
        self.body: dict[str, Any] = sanitize_json(dict(body or {}))
        self.operation = _inert(operation)
        text = message or f"HTTP {status}"
        super().__init__(text)

    def __str__(self) -> str:
        parts = [f"HTTP {self.status}"]
        if self.code:
            parts.append(self.code)
        text = " ".join(parts) + f": {self.message}"
        if self.correlation_id:
            text += f" (correlation id {self.correlation_id})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, code={self.code!r}, message={self.message!r}, "
            f"correlation_id={self.correlation_id!r})"
        )


class RedirectError(ApiError):
    """3xx: the server answered with a redirect. Redirects are never followed (they could carry the guest's
    token to another origin), so a 3xx is an error."""


class InvalidResponseError(ApiError):
    """A response whose body does not have the shape the contract promises (not JSON, not an object, a
    missing or wrongly typed field, an unusable id, nesting too deep). `status` is the HTTP status."""

    def __init__(self, status: int, message: str, *, operation: str | None = None) -> None:
        super().__init__(status, "invalid.response", message, operation=operation)


class PagingError(InvalidResponseError):
    """The server's paging cannot be followed: a cursor that does not advance, too many pages, too long."""

    def __init__(self, message: str, *, status: int = 200, operation: str | None = None) -> None:
        super().__init__(status, message, operation=operation)


class BadRequestError(ApiError):
    """400: the request was invalid or not allowed in the conversation's current state."""


class AuthenticationError(ApiError):
    """401: missing, invalid or expired credentials."""


class SessionExpired(AuthenticationError):
    """401 ``credentials.expired``: the guest JWT (or OAuth token) has expired. Never retried."""


SessionExpiredError = SessionExpired


class PermissionDeniedError(ApiError):
    """403: authenticated but not allowed (missing permission, wrong conversation, origin not allowed)."""


class NotFoundError(ApiError):
    """404: the conversation, member, message, media request, deployment or settings do not exist."""


class RequestTimeoutError(ApiError):
    """408: the server timed out waiting for the request."""


class ConflictError(ApiError):
    """409: conflict (e.g. ``maximum.deployments.exceeded``)."""


class PayloadTooLargeError(ApiError):
    """413: request or response entity too large."""


class UnsupportedMediaTypeError(ApiError):
    """415: unsupported media type."""


class UnprocessableEntityError(ApiError):
    """422: unprocessable entity."""


class RateLimitError(ApiError):
    """429: rate limited. `retry_after` is the server's ``Retry-After`` in seconds, when it sent one."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServerError(ApiError):
    """5xx: the server failed."""


class InternalServerError(ServerError):
    """500."""


class ServiceUnavailableError(ServerError):
    """503. `retry_after` is the server's ``Retry-After`` in seconds, when it sent one."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class GatewayTimeoutError(ServerError):
    """504."""


class NetworkError(WebChatError):
    """No usable HTTP response: connection refused or reset, DNS or TLS failure, protocol error."""

    def __init__(self, message: str, *, operation: str | None = None, sent: bool | None = None) -> None:
        self.operation = operation
        self.sent = sent
        """False when the request provably never reached the server, None when unknown."""
        super().__init__(message)


class ApiTimeoutError(NetworkError):
    """A connect, read, write or pool timeout."""


class AmbiguousOutcomeError(NetworkError):
    """A non-idempotent request failed in a way that leaves unknown whether the server applied it."""


class OAuthError(WebChatError):
    """The OAuth client-credentials token request failed (`status`, OAuth `error` code)."""

    def __init__(self, message: str, *, status: int | None = None, error: str | None = None) -> None:
        self.status = status
        self.error = _inert(error)
        super().__init__(message)


class StreamError(WebChatError):
    """The websocket event stream failed."""


class StreamAuthError(StreamError):
    """The event-stream handshake was refused with 401/403, or 404 (the service no longer knows the chat, e.g.
    after a restart); reconnecting cannot help."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class StreamClosedError(StreamError):
    """The event stream has closed for good (chat ended, closed by the caller, or a fatal error)."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: RequestTimeoutError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    500: InternalServerError,
    503: ServiceUnavailableError,
    504: GatewayTimeoutError,
}


def error_from_response(
    status: int,
    body: Any,
    *,
    correlation_id: str | None = None,
    retry_after: float | None = None,
    operation: str | None = None,
) -> ApiError:
    """Build the typed error for an HTTP error ``status`` with the decoded JSON ``body`` (an ErrorBody or
    anything)."""
    data: dict[str, Any] = body if isinstance(body, dict) else {}
    code = data.get("code") if isinstance(data.get("code"), str) else None
    message = data.get("messageWithParams") or data.get("message")
    if 300 <= status < 400:
        message = f"The server answered with a redirect (HTTP {status}), which is not followed"
    elif not isinstance(message, str) or not message:
        message = f"The request failed with status {status}"
    params = data.get("messageParams")
    params = params if isinstance(params, dict) else None
    # The useful words are often only in the params ("Conversation State" + "The conversation is not active").
    extra = [str(v) for v in (params or {}).values() if isinstance(v, str) and v and v not in message]
    if extra:
        message = f"{message}: {'; '.join(extra)}"
    correlation = correlation_id or (
        data.get("contextId") if isinstance(data.get("contextId"), str) else None
    )
    if status == 401 and code == "credentials.expired":
        cls: type[ApiError] = SessionExpired
    elif 300 <= status < 400:
        cls = RedirectError
    elif status in _BY_STATUS:
        cls = _BY_STATUS[status]
    elif status >= 500:
        cls = ServerError
    else:
        cls = ApiError
    kwargs: dict[str, Any] = {
        "message_params": params,
        "correlation_id": correlation,
        "body": data,
        "operation": operation,
    }
    if cls in (RateLimitError, ServiceUnavailableError):
        kwargs["retry_after"] = retry_after
    return cls(status, code, message, **kwargs)
