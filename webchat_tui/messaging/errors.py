"""Typed Web Messaging errors: every code of protocol.md §12, each with plain words for a user.

`error_for(code, detail)` maps a wire code (a ``class:"string"`` frame's envelope `code`, an error body's
`errorCode`, or an HTTP status) to an instance of the right class. The service's own text is kept in
`detail` (already inert); `str(error)` is the plain-words message plus that detail.
"""

from __future__ import annotations

__all__ = [
    "MessagingError",
    "MessagingConfigError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "AuthenticationFailed",
    "NotFound",
    "RequestTimeout",
    "SessionReadOnly",
    "RateLimited",
    "ConnectionLost",
    "AccessDenied",
    "FeatureUnavailable",
    "AttachmentRefused",
    "FileTypeInvalid",
    "FileSizeInvalid",
    "FileContentInvalid",
    "FileNameInvalid",
    "FileNameTooLong",
    "SessionExpired",
    "SessionNotFound",
    "AttachmentExpired",
    "AttachmentNotFound",
    "AttachmentNotUploaded",
    "MessageTooLong",
    "CustomAttributesTooLarge",
    "CannotDowngrade",
    "MissingParameter",
    "UnexpectedServerError",
    "SessionClosed",
    "SessionLimitReached",
    "error_for",
    "ERROR_CODES",
]


class MessagingError(Exception):
    """Base of every Web Messaging error. `code` is the wire code (None for purely client-side checks)."""

    plain = "The messaging service refused the request."
    default_code: int | None = None

    def __init__(self, detail: str | None = None, *, code: int | None = None) -> None:
        self.code = code if code is not None else self.default_code
        self.detail = detail
        text = self.plain if not detail else f"{self.plain} ({detail})"
        super().__init__(text)


class MessagingConfigError(MessagingError):
    """Bad input found before anything was sent (unknown region, bad custom attributes...)."""

    plain = "The messaging settings are not valid."


class BadRequest(MessagingError):
    """400: the service could not process the request (also an unknown deployment)."""

    plain = "The messaging service could not process the request."
    default_code = 400


class Unauthorized(MessagingError):
    """401: the sign-in token is invalid or expired."""

    plain = "Your sign-in has expired or is not valid; sign in again."
    default_code = 401


class Forbidden(MessagingError):
    """403: the feature is turned off for this deployment, or authentication failed."""

    plain = "This deployment does not allow that."
    default_code = 403


class AuthenticationFailed(Forbidden):
    """403 "Session authentication failed" / "Try to authenticate again" (protocol.md §3.2): the deployment
    needs a signed-in guest and the sign-in is missing or was refused."""

    plain = (
        "This deployment only accepts signed-in guests; the sign-in (auth code) is missing or was refused."
    )


class NotFound(MessagingError):
    """404."""

    plain = "The messaging service could not find what was asked for."
    default_code = 404


class RequestTimeout(MessagingError):
    """408, or no answer from the service in time."""

    plain = "The messaging service did not answer in time."
    default_code = 408


class SessionReadOnly(MessagingError):
    """409: the conversation has ended and is read-only; start a new one to send."""

    plain = "This conversation has ended; you can read it but not send to it. Start a new conversation."
    default_code = 409


class RateLimited(MessagingError):
    """429 / 4029: too many messages; `retry_after` seconds to wait."""

    plain = "Messages are being sent too fast; waiting before sending more."
    default_code = 4029

    def __init__(self, detail: str | None = None, *, code: int | None = None, retry_after: float = 3.0):
        super().__init__(detail, code=code)
        self.retry_after = retry_after


class ConnectionLost(MessagingError):
    """1001 (client-side): the websocket failed or could not be reached."""

    plain = "The connection to the messaging service was lost."
    default_code = 1001


class AccessDenied(MessagingError):
    """1002 (client-side): HTTP 403 on the websocket upgrade (unknown deployment or Origin not allowed)."""

    plain = "The messaging service refused the connection; check the deployment id and the Origin."
    default_code = 1002


class FeatureUnavailable(MessagingError):
    """4000."""

    plain = "That feature is not available for this deployment."
    default_code = 4000


class AttachmentRefused(MessagingError):
    """Base of the attachment refusals 4001-4005 (also raised before upload by the client's own checks)."""

    plain = "The file was refused."


class FileTypeInvalid(AttachmentRefused):
    """4001."""

    plain = "This type of file is not allowed."
    default_code = 4001


class FileSizeInvalid(AttachmentRefused):
    """4002: too big, or empty."""

    plain = "The file is too big, or empty."
    default_code = 4002


class FileContentInvalid(AttachmentRefused):
    """4003."""

    plain = "The file's content was rejected."
    default_code = 4003


class FileNameInvalid(AttachmentRefused):
    """4004."""

    plain = "The file name is not allowed."
    default_code = 4004


class FileNameTooLong(AttachmentRefused):
    """4005."""

    plain = "The file name is too long."
    default_code = 4005


class SessionExpired(MessagingError):
    """4006: the guest session's lifetime ran out."""

    plain = "Your messaging session has expired."
    default_code = 4006


class SessionNotFound(MessagingError):
    """4007."""

    plain = "The messaging session no longer exists."
    default_code = 4007


class AttachmentExpired(MessagingError):
    """4008."""

    plain = "The attachment is too old to send or download."
    default_code = 4008


class AttachmentNotFound(MessagingError):
    """4009."""

    plain = "The attachment does not exist."
    default_code = 4009


class AttachmentNotUploaded(MessagingError):
    """4010."""

    plain = "The attachment has not finished uploading."
    default_code = 4010


class MessageTooLong(MessagingError):
    """4011."""

    plain = "The message is too long."
    default_code = 4011


class CustomAttributesTooLarge(MessagingError):
    """4013 (or refused by the client before sending)."""

    plain = "The custom attributes are larger than this deployment allows."
    default_code = 4013


class CannotDowngrade(MessagingError):
    """4017: this session was authenticated; a guest (unauthenticated) session cannot reuse it."""

    plain = "This session belongs to a signed-in user; a guest cannot resume it."
    default_code = 4017


class MissingParameter(MessagingError):
    """4020."""

    plain = "The request was missing a required field."
    default_code = 4020


class UnexpectedServerError(MessagingError):
    """5000, and any code this client does not know."""

    plain = "The messaging service had an unexpected error."
    default_code = 5000


class SessionClosed(MessagingError):
    """Client-side: the session is closed, ended or not started, so the request was not sent."""

    plain = "The messaging session is not active."


class SessionLimitReached(MessagingError):
    """Client-side: the service closed this connection at once, because this guest already has the maximum
    number of open connections (3)."""

    plain = "This conversation is already open in too many windows or devices; close one and try again."


ERROR_CODES: dict[int, type[MessagingError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    408: RequestTimeout,
    409: SessionReadOnly,
    429: RateLimited,
    1001: ConnectionLost,
    1002: AccessDenied,
    4000: FeatureUnavailable,
    4001: FileTypeInvalid,
    4002: FileSizeInvalid,
    4003: FileContentInvalid,
    4004: FileNameInvalid,
    4005: FileNameTooLong,
    4006: SessionExpired,
    4007: SessionNotFound,
    4008: AttachmentExpired,
    4009: AttachmentNotFound,
    4010: AttachmentNotUploaded,
    4011: MessageTooLong,
    4013: CustomAttributesTooLarge,
    4017: CannotDowngrade,
    4020: MissingParameter,
    4029: RateLimited,
    5000: UnexpectedServerError,
}
"""Every code of protocol.md §12 that can reach this client."""


def error_for(code: int, detail: str | None = None, *, retry_after: float | None = None) -> MessagingError:
    """The typed error for a wire ``code``; unknown 4xx -> `BadRequest`, anything else -> 5000's class."""
    cls = ERROR_CODES.get(code)
    if cls is None:
        cls = BadRequest if 400 <= code < 500 else UnexpectedServerError
    if cls is RateLimited:
        return RateLimited(detail, code=code, retry_after=retry_after if retry_after is not None else 3.0)
    if cls is Forbidden and detail and "authenticat" in detail.lower():
        return AuthenticationFailed(detail, code=code)
    return cls(detail, code=code)
