"""Event-stream frames parsed into a discriminated union of small frozen dataclasses (discriminator: `kind`).

This is the hot path (a burst is thousands of frames per second), so frames are decoded once with
`json.loads` and the dataclasses are built directly; no pydantic here. Every remote string kept in an event is
made inert while parsing, ids that could not safely become a URL path segment or cursor are refused (the frame
becomes `UnknownEvent`), and no frame, however malformed or deeply nested, makes `parse_frame` raise.

| kind              | frame                                                                   |
|-------------------|-------------------------------------------------------------------------|
| ``message``       | ``metadata.type == "message"`` (any ``bodyType``, incl. media-request)  |
| ``typing``        | ``metadata.type == "typing-indicator"``                                 |
| ``member-change`` | ``metadata.type == "member-change"``                                    |
| ``heartbeat``     | ``channel.metadata`` with ``"WebSocket Heartbeat"``                     |
| ``pong``          | ``channel.metadata`` with ``"pong"``                                    |
| ``socket-closing``| topic ``v2.system.socket_closing``                                      |
| ``unknown``       | anything else (kept whole, logged at debug by the stream)               |
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from webchat_tui.api.validation import is_valid_id
from webchat_tui.sanitize import sanitize_line, sanitize_text

__all__ = [
    "MessageEvent",
    "TypingEvent",
    "MemberChangeEvent",
    "HeartbeatEvent",
    "PongEvent",
    "SocketClosingEvent",
    "UnknownEvent",
    "StreamEvent",
    "parse_frame",
    "parse_envelope",
    "message_from_rest",
    "HEARTBEAT",
    "PONG",
]


@dataclass(frozen=True, slots=True)
class MessageEvent:
    """A chat message (standard, notice, member-join/leave, media-request ...)."""

    id: str
    sender_id: str
    body: str
    body_type: str
    timestamp: str
    """ISO-8601 as sent (parsed to a datetime only where needed)."""
    conversation_id: str = ""
    kind: Literal["message"] = "message"


@dataclass(frozen=True, slots=True)
class TypingEvent:
    """Someone is typing (single-shot; there is no "stopped typing" event)."""

    id: str
    sender_id: str
    timestamp: str
    conversation_id: str = ""
    kind: Literal["typing"] = "typing"


@dataclass(frozen=True, slots=True)
class MemberChangeEvent:
    """A member's state changed (only id and state; details come from GET member)."""

    member_id: str
    state: str
    timestamp: str
    conversation_id: str = ""
    kind: Literal["member-change"] = "member-change"


@dataclass(frozen=True, slots=True)
class HeartbeatEvent:
    """The server's application-level heartbeat (liveness only)."""

    kind: Literal["heartbeat"] = "heartbeat"


@dataclass(frozen=True, slots=True)
class PongEvent:
    """The answer to a client ``{"message":"ping"}``."""

    kind: Literal["pong"] = "pong"


@dataclass(frozen=True, slots=True)
class SocketClosingEvent:
    """The server announced it will close this socket soon."""

    kind: Literal["socket-closing"] = "socket-closing"


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """A frame this client does not understand. `topic` and `type` are inert; `data` is the decoded frame as
    received (never shown: only its shape is logged)."""

    topic: str | None
    type: str | None
    data: Any = field(default=None, compare=False)
    kind: Literal["unknown"] = "unknown"


StreamEvent = (
    MessageEvent
    | TypingEvent
    | MemberChangeEvent
    | HeartbeatEvent
    | PongEvent
    | SocketClosingEvent
    | UnknownEvent
)
"""Every kind of frame, discriminated by `kind`."""

HEARTBEAT = HeartbeatEvent()
PONG = PongEvent()
_SOCKET_CLOSING = SocketClosingEvent()
_loads = json.loads


def _required_id(value: Any) -> str:
    """An id that will become a REST cursor or path segment (`is_valid_id`), else TypeError."""
    if is_valid_id(value):
        return value  # type: ignore[no-any-return]
    raise TypeError("not an id")


def _text(value: Any) -> str:
    return sanitize_line(value) if isinstance(value, str) else ""


def _id_of(obj: Any) -> str:
    if isinstance(obj, dict):
        value = obj.get("id")
        if isinstance(value, str) and is_valid_id(value):
            return value
    return ""


def _inert_or_none(value: Any) -> str | None:
    return sanitize_line(value) if isinstance(value, str) else None


def parse_envelope(data: Any) -> StreamEvent:
    """Turn a decoded envelope into a `StreamEvent` (never raises)."""
    try:
        return _parse_envelope(data)
    except Exception:  # malformed in a way not foreseen below (e.g. RecursionError): unknown, never fatal
        return UnknownEvent(None, None, None)


def _parse_envelope(data: Any) -> StreamEvent:
    if not isinstance(data, dict):
        return UnknownEvent(None, None, data)
    metadata = data.get("metadata")
    kind = metadata.get("type") if isinstance(metadata, dict) else None
    body = data.get("eventBody")
    if isinstance(body, dict):
        try:
            if kind == "message":
                text = body.get("body")
                text = sanitize_text(text) if isinstance(text, str) else ""
                body_type = body.get("bodyType")
                return MessageEvent(
                    _required_id(body["id"]),
                    _required_id(body["sender"]["id"]),
                    text,
                    sanitize_line(body_type) if isinstance(body_type, str) else "standard",
                    _text(body.get("timestamp")),
                    _id_of(body.get("conversation")),
                )
            if kind == "typing-indicator":
                return TypingEvent(
                    _text(body.get("id")),
                    _required_id(body["sender"]["id"]),
                    _text(body.get("timestamp")),
                    _id_of(body.get("conversation")),
                )
            if kind == "member-change":
                member = body["member"]
                if not isinstance(member, dict):
                    raise TypeError("member is not an object")
                state = member.get("state")
                return MemberChangeEvent(
                    _required_id(member["id"]),
                    sanitize_line(state) if isinstance(state, str) else "",
                    _text(body.get("timestamp")),
                    _id_of(body.get("conversation")),
                )
        except (KeyError, TypeError):
            return UnknownEvent(_inert_or_none(data.get("topicName")), _inert_or_none(kind), data)
    topic = data.get("topicName")
    if topic == "channel.metadata" and isinstance(body, dict):
        message = body.get("message")
        if message == "WebSocket Heartbeat":
            return HEARTBEAT
        if message == "pong":
            return PONG
    if isinstance(topic, str) and topic.endswith("socket_closing"):
        return _SOCKET_CLOSING
    return UnknownEvent(_inert_or_none(topic), _inert_or_none(kind), data)


def parse_frame(raw: str | bytes) -> StreamEvent:
    """Decode one websocket text frame and parse it (never raises; bad JSON becomes `UnknownEvent`)."""
    try:
        data = _loads(raw)
    except Exception:  # not JSON, not text, or nested deeper than the decoder's recursion limit
        return UnknownEvent(None, None, None)
    return parse_envelope(data)


def message_from_rest(entity: dict[str, Any]) -> MessageEvent | None:
    """Build a `MessageEvent` from a REST ``WebChatMessage`` dict (backfill), or None when malformed."""
    try:
        text = entity.get("body")
        text = sanitize_text(text) if isinstance(text, str) else ""
        body_type = entity.get("bodyType")
        return MessageEvent(
            _required_id(entity["id"]),
            _required_id(entity["sender"]["id"]),
            text,
            sanitize_line(body_type) if isinstance(body_type, str) else "standard",
            _text(entity.get("timestamp")),
            _id_of(entity.get("conversation")),
        )
    except Exception:  # any malformed entity is skipped, never fatal
        return None
