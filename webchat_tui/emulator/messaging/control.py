"""Control API for Web Messaging, under `/emulator/v1/messaging` (same server and rules as the rest of the
control API). These endpoints are a stable contract for tests, benchmarks and the control client:

Sessions
- `GET  /sessions[?deploymentId=&token=]` -> `{"entities": [summary]}`; a summary has `id, token,
  deploymentId, customAttributes, state (active|readOnly|expired|cleared|replaced),
  phase (new|bot|queued|agent|ended), readOnly, authenticated, agent, connections, messageCount,
  createdDate, expirationDate`.
- `GET  /sessions/{id}` -> summary.
- `GET  /sessions/{id}/record` -> `{"events": [{action, tracingId, time, code, request}]}`: every request the
  guest sent on the socket, in order, with the code it was answered with (200, 409, 4029, ...), token removed.
- `GET  /sessions/{id}/messages` -> `{"entities": [StructuredMessage body]}`: the transcript, oldest first.

The agent side (each returns the sent message bodies as `{"ids": [...], "messages": [...]}` unless noted)
- `POST /sessions/{id}/agent/messages` `{"text", "count"?: N, "bot"?: false, "quickRepliesEvery"?: K}`:
  N > 1 sends "text #1".."text #N"; with K, every K-th of them carries two quick replies (rich bursts).
- `POST /sessions/{id}/agent/quickreplies` `{"text"?, "replies": [{"text", "payload"?}] | ["a", ...]}`.
- `POST /sessions/{id}/agent/card` `{"card"?: Card}`; `.../agent/carousel` `{"cards"?: [Card]}`;
  `.../agent/datepicker` `{"datePicker"?: DatePicker}`; `.../agent/listpicker` `{"listPicker"?: ListPicker}`
  (samples when omitted); all take `"text"?`, `"bot"?`. Rich content is checked against the vendor's schema
  (`rich_content`): a bad field is a 400 naming it, nothing is sent.
- `POST /sessions/{id}/agent/attachment` `{"fileName", "mime"?, "text"? | "base64"?, "caption"?}`.
- `POST /sessions/{id}/agent/typing` -> 204 (Outbound Typing event, not kept in history).
- `POST /sessions/{id}/agent/transfer` `{"toAgent"?}` -> 204.
- `POST /sessions/{id}/agent/disconnect` `{"readOnly"?: deployment default}` -> 204 (Presence Disconnect).
- `POST /sessions/{id}/expire` -> 204 (SessionExpiredEvent pushed; later requests get 4006).
- `POST /sessions/{id}/clear` -> 204 (SessionClearedEvent + ConnectionClosedEvent; the token starts afresh).

Faults
- `POST /sessions/{id}/drop` `{"closeCode"?: 1011}` -> `{"dropped": n}`: close the session's sockets now.
- `POST /sessions/{id}/ratelimit` `{"count"?: 1, "retryAfter"?: 3}` -> 204: the next `count` onMessage
  get 4029.
- `GET|PUT|DELETE /faults`: socket fault plan `{dropAfterFrames, dropTimes, duplicateEveryFrames,
  reorderEveryFrames, delayMs, refuseHandshakes, refuseStatus, closeCode}` (see `MessagingFaults`).

Deployments
- `GET /deployments` -> `{"entities": [...]}`; `PATCH /deployments/{id}` with camelCase settings
  (`durationSeconds, messagesPerSecond, maxCustomDataBytes, maxTextLength, allowedOrigins, readOnlyDisconnect,
  clearEnabled, userTyping, autoStart, botFirst, authRequired, fileTypes, maxFileSizeKB, blockedExtensions`).

`POST /emulator/v1/reset` also resets Web Messaging (sessions, faults, deployments).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from webchat_tui.emulator.errors import EmulatorError, checked_number
from webchat_tui.emulator.faults import _sendable_close_code
from webchat_tui.emulator.messaging import frames
from webchat_tui.emulator.messaging.director import (
    MessagingDirector,
    sample_card,
    sample_date_picker,
    sample_list_picker,
)
from webchat_tui.emulator.messaging.rich_content import (
    CARD,
    CARDS,
    DATE_PICKER,
    LIST_PICKER,
    QUICK_REPLY,
    Check,
)
from webchat_tui.emulator.messaging.routes import messaging_of
from webchat_tui.emulator.messaging.session import MessagingSession
from webchat_tui.emulator.messaging.store import MessagingStore
from webchat_tui.emulator.routes._common import base_url, json_body, json_response
from webchat_tui.emulator.routes.control import BURST_YIELD_EVERY, burst_count, check_burst_size

router = APIRouter(prefix="/emulator/v1/messaging")
MESSAGE_OVERHEAD_BYTES = 1_800  # measured: RSS per short message of a 50,000 burst (history + answer)


def _session(request: Request, session_id: str) -> tuple[MessagingStore, MessagingSession]:
    store = messaging_of(request.app.state)
    return store, store.get_session(session_id)


def _director(store: MessagingStore) -> MessagingDirector:
    assert store.director is not None
    return store.director


async def _body(request: Request) -> dict[str, Any]:
    data = await json_body(request, allow_empty=True, vendor=False)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise EmulatorError("bad.request", message="body must be a JSON object")
    return data


def _opt_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise EmulatorError("bad.request", message=f"{key} must be a string")
    return value


def _sendable(session: MessagingSession) -> None:
    if not session.live:
        raise EmulatorError("bad.request", message=f"Session is {session.state}; nothing can be sent to it.")


def _sent(bodies: list[dict[str, Any]]) -> Response:
    return json_response({"ids": [b["id"] for b in bodies], "messages": bodies})


def _send(
    store: MessagingStore,
    session: MessagingSession,
    data: dict[str, Any],
    content: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """One outbound message from the bot (`"bot": true`) or the agent (connected on demand)."""
    _sendable(session)
    bot = data.get("bot", False)
    if not isinstance(bot, bool):
        raise EmulatorError("bad.request", message="bot must be a boolean")
    if not bot:
        _director(store).ensure_agent(session)
    return store.outbound(session, text=_opt_str(data, "text"), content=content, bot=bot)


@router.get("/sessions")
async def sessions(request: Request) -> Response:
    """Every session (filters: `deploymentId`, `token`)."""
    store = messaging_of(request.app.state)
    dep, token = request.query_params.get("deploymentId"), request.query_params.get("token")
    entities = [
        s.summary()
        for s in store.sessions.values()
        if (dep is None or s.deployment.id == dep) and (token is None or s.token == token)
    ]
    return json_response({"entities": entities})


@router.get("/sessions/{session_id}")
async def session_summary(request: Request, session_id: str) -> Response:
    """One session."""
    return json_response(_session(request, session_id)[1].summary())


@router.get("/sessions/{session_id}/record")
async def record(request: Request, session_id: str) -> Response:
    """What the guest sent, in order."""
    return json_response({"events": list(_session(request, session_id)[1].record)})


@router.get("/sessions/{session_id}/messages")
async def messages(request: Request, session_id: str) -> Response:
    """The transcript, oldest first."""
    return json_response({"entities": _session(request, session_id)[1].history})


@router.post("/sessions/{session_id}/agent/messages")
async def agent_messages(request: Request, session_id: str) -> Response:
    """Text from the agent (or the bot): one message or a numbered burst of `count`."""
    store, session = _session(request, session_id)
    data = await _body(request)
    text = data.get("text")
    if not isinstance(text, str) or not text:
        raise EmulatorError("bad.request", message="text must be a non-empty string")
    count = burst_count(data)
    # Each text is held twice (the transcript and this answer): the same memory bound as Web Chat's bursts.
    check_burst_size(count * (MESSAGE_OVERHEAD_BYTES + 2 * (len(text.encode("utf-8", "replace")) + 8)))
    every = data.get("quickRepliesEvery", 0)
    if not isinstance(every, int) or isinstance(every, bool) or every < 0:
        raise EmulatorError("bad.request", message="quickRepliesEvery must be a whole number")
    rich = [frames.quick_reply("Yes", "yes"), frames.quick_reply("No", "no")]
    sent = []
    for i in range(1, count + 1):
        one = dict(data, text=text if count == 1 else f"{text} #{i}")
        sent.append(_send(store, session, one, rich if every and i % every == 0 else None))
        if i % BURST_YIELD_EVERY == 0:
            await asyncio.sleep(0)  # let the socket senders run during a burst
            if not session.live:
                break
    return _sent(sent)


@router.post("/sessions/{session_id}/agent/quickreplies")
async def agent_quick_replies(request: Request, session_id: str) -> Response:
    """A message with quick-reply buttons."""
    store, session = _session(request, session_id)
    data = await _body(request)
    replies = data.get("replies")
    if not isinstance(replies, list) or not replies:
        raise EmulatorError("bad.request", message="replies must be a non-empty list")
    content = []
    for i, reply in enumerate(replies):
        if isinstance(reply, str):
            content.append(frames.quick_reply(reply, reply))
            continue
        QUICK_REPLY(reply, f"replies[{i}]")
        content.append(frames.quick_reply(reply["text"], reply.get("payload", reply["text"])))
    return _sent([_send(store, session, data, content)])


async def _rich(
    request: Request,
    session_id: str,
    key: str,
    sample: Callable[[], Any],
    check: Check,
    content: Callable[[Any], dict[str, Any]],
) -> Response:
    """One message with the rich content item `content(body[key])`, checked first; a sample when absent."""
    store, session = _session(request, session_id)
    data = await _body(request)
    value = data.get(key)
    if value is None:
        value = sample()
    else:
        check(value, key)
    return _sent([_send(store, session, data, [content(value)])])


@router.post("/sessions/{session_id}/agent/card")
async def agent_card(request: Request, session_id: str) -> Response:
    """A card (`card` or a sample)."""
    return await _rich(request, session_id, "card", sample_card, CARD, frames.card_content)


@router.post("/sessions/{session_id}/agent/carousel")
async def agent_carousel(request: Request, session_id: str) -> Response:
    """A carousel (`cards` or three samples)."""
    return await _rich(request, session_id, "cards", _sample_cards, CARDS, frames.carousel_content)


@router.post("/sessions/{session_id}/agent/datepicker")
async def agent_date_picker(request: Request, session_id: str) -> Response:
    """A date picker (`datePicker` or a sample with three slots)."""
    return await _rich(
        request, session_id, "datePicker", sample_date_picker, DATE_PICKER, frames.date_picker_content
    )


@router.post("/sessions/{session_id}/agent/listpicker")
async def agent_list_picker(request: Request, session_id: str) -> Response:
    """A list picker (`listPicker` or a sample with one section of three items)."""
    return await _rich(
        request, session_id, "listPicker", sample_list_picker, LIST_PICKER, frames.list_picker_content
    )


def _sample_cards() -> list[dict[str, Any]]:
    return [sample_card(i) for i in (1, 2, 3)]


@router.post("/sessions/{session_id}/agent/attachment")
async def agent_attachment(request: Request, session_id: str) -> Response:
    """The agent sends a file (`text` as UTF-8 or `base64` content)."""
    store, session = _session(request, session_id)
    data = await _body(request)
    name = _opt_str(data, "fileName") or "emulator-file.txt"
    mime = _opt_str(data, "mime") or "text/plain"
    if isinstance(data.get("base64"), str):
        try:
            content = base64.b64decode(data["base64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise EmulatorError("bad.request", message="base64 is not valid") from exc
    else:
        content = (_opt_str(data, "text") or "A file from the emulator's agent.\n").encode()
    _sendable(session)
    _director(store).ensure_agent(session)
    body = store.agent_attachment(session, name, mime, content, base_url(request), _opt_str(data, "caption"))
    return _sent([body])


@router.post("/sessions/{session_id}/agent/typing")
async def agent_typing(request: Request, session_id: str) -> Response:
    """The agent is typing."""
    store, session = _session(request, session_id)
    _sendable(session)
    _director(store).ensure_agent(session)
    store.outbound(session, events=[frames.typing_event()], keep=False)
    return Response(status_code=204)


@router.post("/sessions/{session_id}/agent/transfer")
async def agent_transfer(request: Request, session_id: str) -> Response:
    """The agent hands over to another agent."""
    store, session = _session(request, session_id)
    _sendable(session)
    data = await _body(request)
    _director(store).transfer(session, _opt_str(data, "toAgent"))
    return Response(status_code=204)


@router.post("/sessions/{session_id}/agent/disconnect")
async def agent_disconnect(request: Request, session_id: str) -> Response:
    """The agent ends the conversation (Presence Disconnect; `readOnly` defaults to the deployment's rule)."""
    store, session = _session(request, session_id)
    _sendable(session)
    data = await _body(request)
    read_only = data.get("readOnly", session.deployment.read_only_disconnect)
    if not isinstance(read_only, bool):
        raise EmulatorError("bad.request", message="readOnly must be a boolean")
    store.disconnect_conversation(session, read_only=read_only)
    return Response(status_code=204)


@router.post("/sessions/{session_id}/expire")
async def expire(request: Request, session_id: str) -> Response:
    """The session's TTL runs out now."""
    store, session = _session(request, session_id)
    _sendable(session)
    store.expire(session)
    return Response(status_code=204)


@router.post("/sessions/{session_id}/clear")
async def clear(request: Request, session_id: str) -> Response:
    """The conversation is cleared (as when the guest sends Presence Clear)."""
    store, session = _session(request, session_id)
    _sendable(session)
    store.clear(session)
    return Response(status_code=204)


@router.post("/sessions/{session_id}/drop")
async def drop(request: Request, session_id: str) -> Response:
    """Close the session's sockets now (`closeCode`, default 1011)."""
    store, session = _session(request, session_id)
    data = await _body(request)
    code = data.get("closeCode", 1011)
    if not isinstance(code, int) or isinstance(code, bool) or not _sendable_close_code(code):
        raise EmulatorError("bad.request", message="closeCode must be 1000-1003, 1007-1014 or 3000-4999")
    return json_response({"dropped": store.drop(session, code)})


@router.post("/sessions/{session_id}/ratelimit")
async def rate_limit(request: Request, session_id: str) -> Response:
    """The next `count` onMessage requests are answered 429/4029 with `retryAfter`."""
    _store, session = _session(request, session_id)
    data = await _body(request)
    count = checked_number(data.get("count", 1), "count", 0, 1_000_000, integer=True)
    retry_after = checked_number(data.get("retryAfter", 3), "retryAfter", 0, 3_600, integer=True)
    session.forced_rate_limits = int(count)
    session.forced_retry_after = int(retry_after)
    return Response(status_code=204)


@router.get("/faults")
async def get_faults(request: Request) -> Response:
    """The socket fault plan."""
    return json_response(messaging_of(request.app.state).faults.to_json())


@router.put("/faults")
async def put_faults(request: Request) -> Response:
    """Replace the socket fault plan (applies to sockets opened afterwards for drops, at once otherwise)."""
    store = messaging_of(request.app.state)
    store.faults.replace(await json_body(request, vendor=False))
    return json_response(store.faults.to_json())


@router.delete("/faults")
async def delete_faults(request: Request) -> Response:
    """No socket faults."""
    messaging_of(request.app.state).faults.clear()
    return Response(status_code=204)


@router.get("/deployments")
async def deployments(request: Request) -> Response:
    """The Messenger deployments and their settings."""
    store = messaging_of(request.app.state)
    return json_response({"entities": [d.summary() for d in store.deployments.values()]})


@router.patch("/deployments/{deployment_id}")
async def patch_deployment(request: Request, deployment_id: str) -> Response:
    """Change a deployment's settings (camelCase keys); returns it."""
    dep = messaging_of(request.app.state).get_deployment(deployment_id)
    dep.update(await json_body(request, vendor=False))
    return json_response(dep.summary())
