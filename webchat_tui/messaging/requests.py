"""Client -> server requests (protocol.md §3), typed, serialised as the vendor's clients send them.

Each request is a pydantic model; `encode(request)` gives the JSON text (camelCase, `None` fields omitted,
as the Java and Kotlin SDKs do). `parse_request(data)` reads any request back into its model (the tests use it
on the example frames `frames/c*.json`).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "Request",
    "ConfigureSession",
    "ConfigureAuthenticatedSession",
    "AuthData",
    "OnMessage",
    "OutgoingMessage",
    "OutgoingContent",
    "OutgoingAttachment",
    "OutgoingButtonResponse",
    "OutgoingEvent",
    "EventTyping",
    "EventPresence",
    "CustomAttributesChannel",
    "ChannelMetadata",
    "Echo",
    "EchoText",
    "GetJwt",
    "OnAttachment",
    "GetAttachment",
    "DeleteAttachment",
    "CloseSession",
    "encode",
    "parse_request",
    "HEALTH_CHECK_TRACING_ID",
]

HEALTH_CHECK_TRACING_ID = "SGVhbHRoQ2hlY2tNZXNzYWdlSWQ="
"""The tracingId the Kotlin SDK uses for every echo (base64 of ``HealthCheckMessageId``)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", alias_generator=to_camel, populate_by_name=True)


class Request(_Model):
    """Fields every request carries."""

    action: str
    token: str = Field(repr=False)
    tracing_id: str | None = None


class ConfigureSession(Request):
    """Start or resume the guest session of `token`."""

    action: Literal["configureSession"] = "configureSession"
    deployment_id: str
    start_new: bool | None = None
    journey_context: dict[str, Any] | None = None


class AuthData(_Model):
    """`data` of configureAuthenticatedSession: the Genesys-issued JWT (not the IdP code)."""

    code: str = Field(repr=False)


class ConfigureAuthenticatedSession(Request):
    """Start or resume an authenticated session."""

    action: Literal["configureAuthenticatedSession"] = "configureAuthenticatedSession"
    deployment_id: str
    start_new: bool | None = None
    data: AuthData


class ChannelMetadata(_Model):
    """`channel.metadata` of a request."""

    custom_attributes: dict[str, str] = Field(default_factory=dict)


class CustomAttributesChannel(_Model):
    """`channel` carrying custom attributes."""

    metadata: ChannelMetadata


class OutgoingAttachment(_Model):
    """An uploaded attachment, by id only (what guests send)."""

    id: str


class OutgoingButtonResponse(_Model):
    """The guest's answer to a quick reply, card button, date or list picker."""

    type: str
    text: str
    payload: str
    originating_message_id: str | None = None


class OutgoingContent(_Model):
    """One `content[]` item of a request."""

    content_type: str
    attachment: OutgoingAttachment | None = None
    button_response: OutgoingButtonResponse | None = None


class EventTyping(_Model):
    """`typing` of a guest Typing event (no duration)."""

    type: str = "On"


class EventPresence(_Model):
    """`presence` of a guest Presence event (Join = autostart, Clear = clear conversation)."""

    type: str


class OutgoingEvent(_Model):
    """One `events[]` item of a request."""

    event_type: str
    typing: EventTyping | None = None
    presence: EventPresence | None = None


class OutgoingMessage(_Model):
    """`message` of onMessage (`IncomingNormalizedMessage`)."""

    type: str
    text: str | None = None
    content: list[OutgoingContent] | None = None
    events: list[OutgoingEvent] | None = None
    metadata: dict[str, str] | None = None
    channel: CustomAttributesChannel | None = None


class OnMessage(Request):
    """Everything the guest says or signals."""

    action: Literal["onMessage"] = "onMessage"
    message: OutgoingMessage
    channel: CustomAttributesChannel | None = None


class EchoText(_Model):
    """`message` of echo."""

    type: str = "Text"
    text: str = "ping"


class Echo(Request):
    """Application-level health check."""

    action: Literal["echo"] = "echo"
    message: EchoText = Field(default_factory=EchoText)


class GetJwt(Request):
    """Ask for a JWT for the history API."""

    action: Literal["getJwt"] = "getJwt"


class OnAttachment(Request):
    """Ask for a presigned upload URL."""

    action: Literal["onAttachment"] = "onAttachment"
    attachment_id: str | None = None
    file_name: str
    file_type: str
    file_size: int
    file_md5: str | None = None
    errors_as_json: bool | None = None


class GetAttachment(Request):
    """Ask for a fresh download URL."""

    action: Literal["getAttachment"] = "getAttachment"
    attachment_id: str


class DeleteAttachment(Request):
    """Delete an uploaded, not yet sent attachment."""

    action: Literal["deleteAttachment"] = "deleteAttachment"
    attachment_id: str


class CloseSession(Request):
    """Close the session (other connections get ConnectionClosedEvent when `close_all_connections`)."""

    action: Literal["closeSession"] = "closeSession"
    close_all_connections: bool = True


_BY_ACTION: dict[str, type[Request]] = {
    "configureSession": ConfigureSession,
    "configureAuthenticatedSession": ConfigureAuthenticatedSession,
    "onMessage": OnMessage,
    "echo": Echo,
    "getJwt": GetJwt,
    "onAttachment": OnAttachment,
    "getAttachment": GetAttachment,
    "deleteAttachment": DeleteAttachment,
    "closeSession": CloseSession,
}


def encode(request: Request) -> str:
    """The request as compact JSON text, camelCase, with None fields left out."""
    return json.dumps(
        request.model_dump(by_alias=True, exclude_none=True), separators=(",", ":"), ensure_ascii=False
    )


def parse_request(data: dict[str, Any]) -> Request:
    """Read a decoded request into its typed model (KeyError for an action this client never sends)."""
    return _BY_ACTION[str(data["action"])].model_validate(data)
