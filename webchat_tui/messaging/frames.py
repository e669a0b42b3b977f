"""Typed Web Messaging frames (protocol.md §2, §4, §5, §9), parsed leniently.

`parse_frame(text)` turns one server -> client websocket frame into a `ServerFrame` whose `body` is the typed
model of its `class`. As the vendor's clients do (protocol.md §2.2), unknown JSON fields are ignored, an
unknown `class` becomes `UnknownBody` (never an exception), and unknown `contentType`/`eventType` values are
kept as plain strings. Every remote string is made inert while it is parsed (`sanitize.sanitize_json` over the
decoded JSON, before any model sees it), so nothing downstream sees a control character or bidi override from
the network. Fast path: a frame whose raw text has no backslash and nothing unsafe cannot decode to an unsafe
string, so the walk is skipped for it (most frames of a burst).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from webchat_tui.sanitize import is_inert, sanitize_json, sanitize_line

__all__ = [
    "ServerFrame",
    "ProtocolViolation",
    "parse_frame",
    "parse_time",
    "Body",
    "SessionResponse",
    "AllowedMedia",
    "InboundMedia",
    "FileType",
    "StructuredMessage",
    "Channel",
    "ChannelParticipant",
    "ContentItem",
    "ContentAttachment",
    "ContentQuickReply",
    "ContentButtonResponse",
    "ContentCardAction",
    "ContentCard",
    "ContentCarousel",
    "ContentDatePicker",
    "AvailableTime",
    "ContentListPicker",
    "ListPickerSectionModel",
    "ListPickerItemModel",
    "MessageEventItem",
    "TypingEventBody",
    "PresenceEventBody",
    "JwtResponse",
    "PresignedUrlResponse",
    "UploadSuccessEvent",
    "UploadFailureEvent",
    "GenerateUrlError",
    "AttachmentDeletedResponse",
    "TooManyRequestsErrorMessage",
    "SessionExpiredEvent",
    "ConnectionClosedEvent",
    "SessionClearedEvent",
    "LogoutEvent",
    "GetConfigurationResponse",
    "ResumeTokenResponse",
    "ErrorMessage",
    "ErrorText",
    "UnknownBody",
    "HistoryPage",
    "DeploymentConfig",
    "frame_from_dict",
    "parse_history_page",
    "parse_deployment_config",
]


def _str_map(value: Any) -> Any:
    """A str->str map; non-string values (seen nowhere, allowed by leniency) become their JSON text."""
    if not isinstance(value, dict):
        return {}
    for item in value.values():
        if not isinstance(item, str):
            return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
    return value  # the usual case: already str -> str


Text = str
"""Remote multi-line text (already inert: see the module docstring)."""
Line = str
"""Remote one-line text: names, ids, URLs, payloads (already inert)."""
StrMap = Annotated[dict[str, str], BeforeValidator(_str_map)]


def _list(value: Any) -> Any:
    return value if isinstance(value, list) else []


class _Model(BaseModel):
    """Lenient: unknown fields ignored, camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(extra="ignore", alias_generator=to_camel, populate_by_name=True, frozen=True)


class Body(_Model):
    """Base of every frame body."""


# ----------------------------------------------------------------------------------------------------
# SessionResponse (§4.1)


class FileType(_Model):
    """One allowed MIME type (wildcards ``*/*``, ``image/*`` allowed)."""

    type: Line


class InboundMedia(_Model):
    """What the guest may upload."""

    file_types: Annotated[list[FileType], BeforeValidator(_list)] = Field(default_factory=list)
    max_file_size_kb: float = Field(0, alias="maxFileSizeKB")


class AllowedMedia(_Model):
    """`SessionResponse.allowedMedia`."""

    inbound: InboundMedia | None = None


class SessionResponse(Body):
    """Reply to configureSession / configureAuthenticatedSession / closeSession."""

    connected: bool = False
    new_session: bool | None = None
    read_only: bool = False
    cleared_existing_session: bool = False
    allowed_media: AllowedMedia | None = None
    blocked_extensions: Annotated[list[Line], BeforeValidator(_list)] = Field(default_factory=list)
    max_custom_data_bytes: int | None = None
    duration_seconds: float | None = None
    expiration_date: float | None = None
    auto_started: bool | None = None
    session_id: Line | None = None


# ----------------------------------------------------------------------------------------------------
# StructuredMessage (§5)


class ChannelParticipant(_Model):
    """`channel.from` / `channel.to`."""

    first_name: Line | None = None
    last_name: Line | None = None
    nickname: Line | None = None
    image: Line | None = None

    @property
    def display_name(self) -> str | None:
        """Nickname, else first and last name, else None (on one line)."""
        name = self.nickname or " ".join(p for p in (self.first_name, self.last_name) if p)
        return sanitize_line(name) if name else None


class Channel(_Model):
    """`channel` of a message: time, ids, sender and recipient."""

    time: Line | None = None
    message_id: Line | None = None
    type: Line | None = None
    from_: ChannelParticipant | None = Field(None, alias="from")
    to: ChannelParticipant | None = None


class ContentAttachment(_Model):
    """`attachment` content."""

    id: Line | None = None
    media_type: Line | None = None
    url: Line | None = None
    filename: Line | None = None
    mime: Line | None = None
    text: Text | None = None
    file_size: int | None = None
    content_size_bytes: float | None = None


class ContentQuickReply(_Model):
    """`quickReply` content (one option)."""

    text: Line = ""
    payload: Line = ""
    action: Line | None = None
    image: Line | None = None


class ContentButtonResponse(_Model):
    """`buttonResponse` content (the guest's answer, echoed)."""

    type: Line = ""
    text: Line = ""
    payload: Line = ""
    originating_message_id: Line | None = None


class ContentCardAction(_Model):
    """A card button."""

    type: Line = ""
    text: Line = ""
    payload: Line | None = None
    url: Line | None = None


class ContentCard(_Model):
    """`card` content."""

    title: Line = ""
    description: Text | None = None
    image: Line | None = None
    actions: Annotated[list[ContentCardAction], BeforeValidator(_list)] = Field(default_factory=list)
    default_action: ContentCardAction | None = None


class ContentCarousel(_Model):
    """`carousel` content."""

    cards: Annotated[list[ContentCard], BeforeValidator(_list)] = Field(default_factory=list)


class AvailableTime(_Model):
    """One offered time slot of a date picker."""

    date_time: Line = ""
    duration: int | None = None


class ContentDatePicker(_Model):
    """`datePicker` content."""

    title: Line | None = None
    subtitle: Line | None = None
    image_url: Line | None = None
    available_times: Annotated[list[AvailableTime], BeforeValidator(_list)] = Field(default_factory=list)


class ListPickerItemModel(_Model):
    """A list-picker item."""

    id: Line = ""
    title: Line = ""
    subtitle: Line | None = None
    image_url: Line | None = None


class ListPickerSectionModel(_Model):
    """A list-picker section."""

    title: Line = ""
    multiple_selection: bool = False
    items: Annotated[list[ListPickerItemModel], BeforeValidator(_list)] = Field(default_factory=list)


class _ListPickerMessage(_Model):
    title: Line | None = None
    subtitle: Line | None = None


class ContentListPicker(_Model):
    """`listPicker` content."""

    id: Line | None = None
    sections: Annotated[list[ListPickerSectionModel], BeforeValidator(_list)] = Field(default_factory=list)
    received_message: _ListPickerMessage | None = None


class ContentItem(_Model):
    """One `content[]` item; `content_type` may be a value this client does not model (kept as-is)."""

    content_type: Line = ""
    attachment: ContentAttachment | None = None
    quick_reply: ContentQuickReply | None = None
    button_response: ContentButtonResponse | None = None
    card: ContentCard | None = None
    carousel: ContentCarousel | None = None
    date_picker: ContentDatePicker | None = None
    list_picker: ContentListPicker | None = None


class TypingEventBody(_Model):
    """`typing` of a Typing event."""

    type: Line = "On"
    duration: int | None = None


class PresenceEventBody(_Model):
    """`presence` of a Presence event (Join, Disconnect, Clear, SignIn, ...)."""

    type: Line = ""


class MessageEventItem(_Model):
    """One `events[]` item."""

    event_type: Line = ""
    typing: TypingEventBody | None = None
    presence: PresenceEventBody | None = None


class StructuredMessage(Body):
    """A message or event: the guest's echo (Inbound), agent/bot output (Outbound), or an echo reply."""

    id: Line | None = None
    type: Line = "Text"
    direction: Line | None = None
    text: Text | None = None
    channel: Channel | None = None
    content: Annotated[list[ContentItem], BeforeValidator(_list)] = Field(default_factory=list)
    events: Annotated[list[MessageEventItem], BeforeValidator(_list)] = Field(default_factory=list)
    metadata: StrMap = Field(default_factory=dict)
    originating_entity: Line | None = None
    originating_message_id: Line | None = None

    @property
    def time(self) -> datetime | None:
        """`channel.time` parsed, or None when absent or not ISO-8601."""
        return parse_time(self.channel.time if self.channel else None)

    @property
    def is_inbound(self) -> bool:
        """From the guest (including the echo of the guest's own message)."""
        return self.direction == "Inbound"


# ----------------------------------------------------------------------------------------------------
# Other bodies (§4)


class JwtResponse(Body):
    """Reply to getJwt: the bearer for the history API; `exp` in epoch seconds."""

    jwt: str = Field(repr=False)
    exp: float = 0


class PresignedUrlResponse(Body):
    """Reply to onAttachment (upload URL + headers) or getAttachment (download URL, empty headers)."""

    attachment_id: Line
    url: Line
    headers: StrMap = Field(default_factory=dict)
    file_name: Line | None = None
    file_size: int | None = None
    file_type: Line | None = None


class UploadSuccessEvent(Body):
    """The uploaded file was accepted."""

    attachment_id: Line
    download_url: Line = ""
    timestamp: Line | None = None


class UploadFailureEvent(Body):
    """The uploaded file was rejected after the PUT."""

    attachment_id: Line = ""
    error_code: int = 0
    error_message: Line = ""
    timestamp: Line | None = None


class GenerateUrlError(Body):
    """onAttachment was refused."""

    attachment_id: Line | None = None
    error_code: int = 0
    error_message: Line = ""
    timestamp: Line | None = None


class AttachmentDeletedResponse(Body):
    """Reply to deleteAttachment."""

    attachment_id: Line = ""


def _retry_after(value: Any) -> Any:
    """A server's `retryAfter`, made safe to wait: not finite (1e400, NaN) -> the documented 3 s, else within
    0..MAX_RETRY_AFTER (a hostile 1e300 must not silence the session for good)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):  # compared as an int: a 4,000-digit one cannot become a float
        return float(min(max(value, 0), int(MAX_RETRY_AFTER)))
    if isinstance(value, float):
        return min(max(value, 0.0), MAX_RETRY_AFTER) if math.isfinite(value) else 3.0
    return value


MAX_RETRY_AFTER = 60.0
"""Longest wait a 429/4029 can impose (the vendor sends 3)."""


class TooManyRequestsErrorMessage(Body):
    """Over the onMessage rate (429 / 4029); wait `retry_after` seconds (see `_retry_after`)."""

    retry_after: Annotated[float, BeforeValidator(_retry_after)] = 3
    error_code: int = 4029
    error_message: Line = ""


class SessionExpiredEvent(Body):
    """The guest session has expired."""


class ConnectionClosedEvent(Body):
    """The service closed this connection (another connection closed the session, step-up elsewhere, clear,
    or the per-token connection limit). The vendor's fixtures say `reason`, the Java model `reasonCode`."""

    reason: Line | None = None
    reason_code: Line | None = None

    @property
    def why(self) -> str | None:
        """`reason`, else `reasonCode`."""
        return self.reason or self.reason_code


class SessionClearedEvent(Body):
    """The conversation was cleared (after a Presence Clear)."""


class LogoutEvent(Body):
    """The authenticated guest logged out."""


class GetConfigurationResponse(Body):
    """Reply to getConfiguration."""

    allowed_media: AllowedMedia | None = None
    blocked_extensions: Annotated[list[Line], BeforeValidator(_list)] = Field(default_factory=list)
    max_custom_data_bytes: int | None = None
    message_routing_enabled: bool = True
    session_duration_seconds: float | None = None


class ResumeTokenResponse(Body):
    """Reply to resumeToken (schema only)."""

    resume_token: str = Field(repr=False)
    exp: float = 0


class ErrorMessage(Body):
    """Body of a class ``Error`` frame (presumed shape)."""

    error_code: int = 0
    error_message: Line = ""


class ErrorText(Body):
    """Body of a class ``string`` frame: a human-readable error (the envelope `code` says which)."""

    text: Text


class UnknownBody(Body):
    """A class this client does not know, or a body that did not fit its class (kept for diagnostics)."""

    class_name: Line
    raw: Any = None


_BODY_BY_CLASS: dict[str, type[Body]] = {
    "SessionResponse": SessionResponse,
    "StructuredMessage": StructuredMessage,
    "JwtResponse": JwtResponse,
    "PresignedUrlResponse": PresignedUrlResponse,
    "UploadSuccessEvent": UploadSuccessEvent,
    "UploadFailureEvent": UploadFailureEvent,
    "GenerateUrlError": GenerateUrlError,
    "AttachmentDeletedResponse": AttachmentDeletedResponse,
    "TooManyRequestsErrorMessage": TooManyRequestsErrorMessage,
    "SessionExpiredEvent": SessionExpiredEvent,
    "ConnectionClosedEvent": ConnectionClosedEvent,
    "SessionClearedEvent": SessionClearedEvent,
    "LogoutEvent": LogoutEvent,
    "GetConfigurationResponse": GetConfigurationResponse,
    "ResumeTokenResponse": ResumeTokenResponse,
    "Error": ErrorMessage,
}


@dataclass(frozen=True, slots=True)
class ServerFrame:
    """One server -> client frame: the envelope (§2.2) and its typed `body` (a plain dataclass: the body is
    the validated part, and this is built once per frame on the hot path)."""

    type: str
    """``response`` (answers a request) or ``message`` (pushed)."""
    class_name: str
    code: int
    body: Body
    tracing_id: str | None = None

    @property
    def is_error(self) -> bool:
        """A failure frame: a non-200 code, or an error class (a ``string`` body with code 200 is a plain
        acknowledgement)."""
        return self.code != 200 or isinstance(
            self.body, TooManyRequestsErrorMessage | GenerateUrlError | UploadFailureEvent | ErrorMessage
        )


class ProtocolViolation(ValueError):
    """A frame that is not a JSON object (the one thing leniency cannot absorb)."""


def parse_frame(text: str | bytes) -> ServerFrame:
    """Parse one websocket frame. Raises `ProtocolViolation` only when it is not a JSON object."""
    if isinstance(text, bytes):
        try:
            text = text.decode()
        except UnicodeDecodeError as exc:
            raise ProtocolViolation(f"frame is not UTF-8: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ProtocolViolation(f"frame is not JSON: {exc}") from None
    except RecursionError:
        raise ProtocolViolation("frame is nested too deeply to decode") from None
    if not isinstance(data, dict):
        raise ProtocolViolation("frame is not a JSON object")
    return frame_from_dict(data, inert="\\" not in text and is_inert(text))


def frame_from_dict(data: dict[str, Any], *, inert: bool = False) -> ServerFrame:
    """Build a `ServerFrame` from an already decoded JSON object (``inert``: its strings are known to be
    inert already, so they are not walked again)."""
    if not inert:
        data = sanitize_json(data)
        if not isinstance(data, dict):
            data = {}
    class_name = str(data.get("class") or "Unknown")
    code_value = data.get("code", 200)
    try:
        code = int(code_value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: 1e400 decodes to infinity
        code = 0
    raw_body = data.get("body")
    body: Body
    if class_name == "string" or isinstance(raw_body, str):
        body = ErrorText(text=str(raw_body) if raw_body is not None else "")
    else:
        model = _BODY_BY_CLASS.get(class_name)
        if model is None:
            body = UnknownBody(class_name=class_name, raw=raw_body)
        else:
            try:
                body = model.model_validate(raw_body if isinstance(raw_body, dict) else {})
            except ValidationError:
                body = UnknownBody(class_name=class_name, raw=raw_body)
    tracing = data.get("tracingId")
    return ServerFrame(
        type=str(data.get("type") or ""),
        class_name=class_name,
        code=code,
        body=body,
        tracing_id=tracing if isinstance(tracing, str) else None,
    )


def parse_time(value: str | None) -> datetime | None:
    """An ISO-8601 `channel.time` (``2022-08-22T19:24:26.704Z``) as an aware datetime, or None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# ----------------------------------------------------------------------------------------------------
# REST bodies (§9, §10.1)


def parse_history_page(data: Any) -> HistoryPage:
    """A history page from its decoded JSON, every string made inert first; `ProtocolViolation` when it does
    not have the documented shape."""
    try:
        return HistoryPage.model_validate(sanitize_json(data) if isinstance(data, dict) else {})
    except ValidationError as exc:
        raise ProtocolViolation(
            f"history page of an unexpected shape ({exc.error_count()} problems)"
        ) from None


def parse_deployment_config(data: Any) -> DeploymentConfig:
    """A deployment configuration from its decoded JSON, every string made inert first; `ProtocolViolation`
    when it does not have the documented shape."""
    try:
        return DeploymentConfig.model_validate(sanitize_json(data) if isinstance(data, dict) else {})
    except ValidationError as exc:
        raise ProtocolViolation(
            f"deployment configuration of an unexpected shape ({exc.error_count()} problems)"
        ) from None


class HistoryPage(_Model):
    """One page of ``GET /api/v2/webmessaging/messages`` (newest first)."""

    entities: Annotated[list[StructuredMessage], BeforeValidator(_list)] = Field(default_factory=list)
    page_size: int = 0
    page_number: int = 1
    total: int = 0
    page_count: int = 0


class _Toggle(_Model):
    enabled: bool = False


class _Disconnect(_Model):
    enabled: bool = False
    type: Line | None = None


class _Conversations(_Model):
    messaging_endpoint: Line | None = None
    show_user_typing_indicator: bool = True
    show_agent_typing_indicator: bool = True
    auto_start: _Toggle | None = None
    conversation_disconnect: _Disconnect | None = None
    conversation_clear: _Toggle | None = None


class _Apps(_Model):
    conversations: _Conversations | None = None


class _Messenger(_Model):
    enabled: bool = True
    apps: _Apps | None = None


class DeploymentConfig(_Model):
    """The fields of ``config.json`` (§10.1) this client reads."""

    id: Line = ""
    status: Line | None = None
    api_endpoint: Line | None = None
    messenger: _Messenger | None = None
    auth: _Toggle | None = None

    @property
    def conversations(self) -> _Conversations:
        """`messenger.apps.conversations`, defaults when absent."""
        messenger = self.messenger
        if messenger is not None and messenger.apps is not None and messenger.apps.conversations is not None:
            return messenger.apps.conversations
        return _Conversations()
