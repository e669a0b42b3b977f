"""Web Messaging wire shapes: the `BaseMessage` envelope (protocol.md §2.2) and the bodies of §4 and §5.

Plain dicts serialised once with the compact encoder of `wire`; absent fields are omitted, never null.
"""

from __future__ import annotations

from typing import Any

from webchat_tui.emulator.wire import dumps

RESPONSE, MESSAGE = "response", "message"
READ_ONLY_TEXT = "Session is read-only, no new messages allowed"
RATE_TEXT = "Message rate too high for this session"


def frame(kind: str, cls: str, body: Any, *, code: int = 200, tracing_id: str | None = None) -> str:
    """One server frame: `{"type", "class", "code", "body", "tracingId"?}`."""
    out: dict[str, Any] = {"type": kind, "class": cls, "code": code, "body": body}
    if tracing_id is not None:
        out["tracingId"] = tracing_id
    return dumps(out)


def error(code: int, text: str, tracing_id: str | None = None) -> str:
    """A failed request: `class:"string"`, the status or application code in `code` (§12)."""
    return frame(RESPONSE, "string", text, code=code, tracing_id=tracing_id)


def too_many_requests(retry_after: int, tracing_id: str | None) -> str:
    """The 429 answer to an `onMessage` over the rate (fixture 32; `name`/`message` not emitted, §14.1)."""
    body = {"retryAfter": retry_after, "errorCode": 4029, "errorMessage": RATE_TEXT}
    return frame(RESPONSE, "TooManyRequestsErrorMessage", body, code=429, tracing_id=tracing_id)


def channel(
    time: str,
    message_id: str,
    *,
    outbound: bool,
    sender: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`channel` of a StructuredMessage (§5.2): outbound frames are `Private` and name the sender."""
    out: dict[str, Any] = {"time": time, "messageId": message_id}
    if outbound:
        out["type"] = "Private"
        out["from"] = sender or {}
    return out


def structured(
    *,
    msg_id: str,
    msg_type: str,
    direction: str,
    time: str,
    text: str | None = None,
    content: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    metadata: dict[str, str] | None = None,
    originating_entity: str | None = None,
    sender: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A `StructuredMessage` body (§5.1), also the history `WebMessagingMessage` shape (§9).

    Inbound messages carry no `originatingEntity` (captures show an empty string there; the history model
    allows only Human/Bot, so omitting it is the one value valid in both places).
    """
    outbound = direction == "Outbound"
    body: dict[str, Any] = {
        "id": msg_id,
        "channel": channel(time, msg_id, outbound=outbound, sender=sender),
        "type": msg_type,
        "direction": direction,
    }
    if text is not None:
        body["text"] = text
    if content:
        body["content"] = content
    if events:
        body["events"] = events
    if metadata:
        body["metadata"] = metadata
    if originating_entity and outbound:
        body["originatingEntity"] = originating_entity
    return body


def typing_event(duration_ms: int | None = 5000) -> dict[str, Any]:
    """`{eventType:"Typing", typing:{type:"On", duration}}` (agent typing carries 5000 ms, fixture 16)."""
    typing: dict[str, Any] = {"type": "On"}
    if duration_ms is not None:
        typing["duration"] = duration_ms
    return {"eventType": "Typing", "typing": typing}


def presence_event(kind: str) -> dict[str, Any]:
    """`{eventType:"Presence", presence:{type}}` (Join, Disconnect, Clear, SignIn, ...)."""
    return {"eventType": "Presence", "presence": {"type": kind}}


def quick_reply(text: str, payload: str) -> dict[str, Any]:
    """One quick-reply content item (a message with N options has N items, fixture 11)."""
    return {
        "contentType": "QuickReply",
        "quickReply": {"text": text, "payload": payload, "action": "Message"},
    }


def card_content(card: dict[str, Any]) -> dict[str, Any]:
    """A Card content item."""
    return {"contentType": "Card", "card": card}


def carousel_content(cards: list[dict[str, Any]]) -> dict[str, Any]:
    """A Carousel content item."""
    return {"contentType": "Carousel", "carousel": {"cards": cards}}


def date_picker_content(picker: dict[str, Any]) -> dict[str, Any]:
    """A DatePicker content item."""
    return {"contentType": "DatePicker", "datePicker": picker}


def list_picker_content(picker: dict[str, Any]) -> dict[str, Any]:
    """A ListPicker content item."""
    return {"contentType": "ListPicker", "listPicker": picker}


def attachment_content(attachment: dict[str, Any]) -> dict[str, Any]:
    """An Attachment content item."""
    return {"contentType": "Attachment", "attachment": attachment}
