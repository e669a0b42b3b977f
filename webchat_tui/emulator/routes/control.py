"""The control API under `/emulator/v1` (its `X-Emulator-Token` check is in `guard.py`): reset, info,
config, conversations and their records, the agent side (messages, typing, media requests, transfer, end,
connect) and the fault plan.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from webchat_tui.emulator import wire
from webchat_tui.emulator.agents import Director
from webchat_tui.emulator.errors import EmulatorError, checked_number
from webchat_tui.emulator.routes._common import base_url, json_body, json_response, store_of
from webchat_tui.emulator.state import QUEUED, Conversation

router = APIRouter(prefix="/emulator/v1")
_CONFIG_KEYS = {
    "timeScale": "time_scale",
    "heartbeatInterval": "heartbeat_interval",
    "autoAgent": "auto_agent",
    "idleTimeout": "idle_timeout",
    "mediaRequestTimeout": "media_request_timeout",
    "requireBearer": "require_bearer",
    "endedRetention": "ended_retention",
    "maxEndedConversations": "max_ended_conversations",
}
# Accepted ranges of the numeric config keys (seconds unless named otherwise).
_CONFIG_RANGES: dict[str, tuple[float, float]] = {
    "time_scale": (0.0001, 1000.0),
    "heartbeat_interval": (0.01, 86_400.0),
    "idle_timeout": (0.001, 1e9),
    "media_request_timeout": (0.001, 1e9),
    "ended_retention": (0.0, 1e9),
    "max_ended_conversations": (0, 10_000_000),
}
_INTEGER_CONFIG = frozenset({"max_ended_conversations"})
BURST_YIELD_EVERY = 256
MAX_BURST = 100_000
"""Messages one agent-messages request may ask for."""
MAX_BURST_BYTES = 100_000_000
"""Estimated memory one burst may add (each message is kept twice: stored and recorded)."""
MESSAGE_OVERHEAD_BYTES = 700  # measured: Message + its record entry + ids, without the body


def burst_count(data: dict[str, Any]) -> int:
    """The `count` of an agent-messages request (default 1): an integer 1..`MAX_BURST`, else 400."""
    count = data.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_BURST:
        raise EmulatorError("bad.request", message=f"count must be an integer within 1..{MAX_BURST}")
    return count


def check_burst_size(estimate: int) -> None:
    """400 when a burst's estimated memory (`estimate` bytes) is over `MAX_BURST_BYTES`."""
    if estimate > MAX_BURST_BYTES:
        raise EmulatorError(
            "bad.request",
            message=f"This burst would add about {estimate // 1_000_000} MB; at most "
            f"{MAX_BURST_BYTES // 1_000_000} MB per request (fewer or shorter messages).",
        )


def _director(request: Request) -> Director:
    director: Director = request.app.state.director
    return director


def _conv(request: Request, conversation_id: str) -> Conversation:
    return store_of(request).get_conversation(conversation_id)


def _config_json(request: Request) -> dict[str, Any]:
    cfg = store_of(request).config
    return {wire: getattr(cfg, attr) for wire, attr in _CONFIG_KEYS.items()}


@router.post("/reset")
async def reset(request: Request) -> Response:
    """Clear conversations, faults and records; re-seed deployments and settings."""
    store_of(request).reset()
    return Response(status_code=204)


@router.get("/info")
async def info(request: Request) -> Response:
    """Seed info (the same keys as the standalone JSON line, the control token included)."""
    token = request.app.state.control_token
    return json_response(store_of(request).seed.public_dict(base_url(request), token))


@router.get("/config")
async def get_config(request: Request) -> Response:
    """Current runtime config."""
    return json_response(_config_json(request))


@router.put("/config")
async def put_config(request: Request) -> Response:
    """Change runtime config (camelCase keys); returns the current config."""
    data = await json_body(request, vendor=False)
    if not isinstance(data, dict):
        raise EmulatorError("bad.request", message="config must be a JSON object")
    cfg = store_of(request).config
    updates: dict[str, Any] = {}
    for key, value in data.items():
        attr = _CONFIG_KEYS.get(key)
        if attr is None:
            raise EmulatorError("bad.request", message=f"Unknown config key {key!r}.")
        if attr in ("auto_agent", "require_bearer"):
            if not isinstance(value, bool):
                raise EmulatorError("bad.request", message=f"{key} must be a boolean")
            updates[attr] = value
        elif attr in _INTEGER_CONFIG:
            updates[attr] = int(checked_number(value, key, *_CONFIG_RANGES[attr], integer=True))
        else:
            updates[attr] = checked_number(value, key, *_CONFIG_RANGES[attr])
    was_auto = cfg.auto_agent
    for attr, value in updates.items():
        setattr(cfg, attr, value)
    if cfg.auto_agent and not was_auto:
        _director(request).on_auto_agent_enabled()
    if {"ended_retention", "max_ended_conversations"} & updates.keys():
        store_of(request).retention_changed()
    return json_response(_config_json(request))


@router.get("/conversations")
async def conversations(request: Request) -> Response:
    """Every conversation: id, state, deployment, queue, members."""
    return json_response({"entities": [c.summary() for c in store_of(request).conversations.values()]})


@router.get("/conversations/{conversation_id}")
async def conversation(request: Request, conversation_id: str) -> Response:
    """One conversation summary."""
    return json_response(_conv(request, conversation_id).summary())


RECORD_CHUNK = 2000  # events serialised per chunk of a streamed record


@router.get("/conversations/{conversation_id}/record")
async def record(request: Request, conversation_id: str) -> Response:
    """Every message, typing, member change, media request and PATCH, in order. Streamed in chunks, so a
    conversation of a million messages never needs its whole JSON in memory at once."""
    events = _conv(request, conversation_id).record
    count = len(events)  # the record only grows: later events are left for the next call

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"events":['
        for start in range(0, count, RECORD_CHUNK):
            part = ",".join(wire.dumps(e) for e in events[start : min(count, start + RECORD_CHUNK)])
            yield (part if start == 0 else "," + part).encode()
            await asyncio.sleep(0)
        yield b"]}"

    return StreamingResponse(chunks(), media_type="application/json")


@router.post("/conversations/{conversation_id}/agent/messages")
async def agent_messages(request: Request, conversation_id: str) -> Response:
    """The agent sends one message, `count` numbered copies, or a list of `bodies` (a burst, no delays)."""
    store = store_of(request)
    conv = _conv(request, conversation_id)
    data = await json_body(request, vendor=False)
    if not isinstance(data, dict):
        raise EmulatorError("bad.request", message="body must be a JSON object")
    body_type = data.get("bodyType", "standard")
    if body_type not in ("standard", "notice", "member-join", "member-leave", "media-request"):
        raise EmulatorError("bad.request", message=f"bad bodyType {body_type!r}")
    if "bodies" in data:
        bodies = data["bodies"]
        if not isinstance(bodies, list) or not all(isinstance(b, str) for b in bodies):
            raise EmulatorError("bad.request", message="bodies must be a list of strings")
        if not 1 <= len(bodies) <= MAX_BURST:
            raise EmulatorError("bad.request", message=f"bodies must hold 1..{MAX_BURST} messages")
        estimate = sum(MESSAGE_OVERHEAD_BYTES + 2 * len(b.encode("utf-8", "replace")) for b in bodies)
    else:
        body = data.get("body")
        if not isinstance(body, str):
            raise EmulatorError("bad.request", message="body must be a string")
        count = burst_count(data)
        estimate = count * (MESSAGE_OVERHEAD_BYTES + 2 * (len(body.encode("utf-8", "replace")) + 8))
    check_burst_size(estimate)
    if "bodies" not in data:
        bodies = [body] if count == 1 else [f"{body} #{i}" for i in range(1, count + 1)]
    agent = store.require_agent(conv)
    ids = []
    add = store.add_message
    for i, text in enumerate(bodies, 1):
        ids.append(add(conv, agent, text, body_type).id)
        if i % BURST_YIELD_EVERY == 0:
            await asyncio.sleep(0)  # let the socket senders run during a burst
            if conv.agent is not agent:
                break
    return json_response({"ids": ids})


@router.post("/conversations/{conversation_id}/agent/typing")
async def agent_typing(request: Request, conversation_id: str) -> Response:
    """The agent is typing."""
    store = store_of(request)
    conv = _conv(request, conversation_id)
    store.typing(conv, store.require_agent(conv))
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/agent/mediarequests")
async def agent_media_request(request: Request, conversation_id: str) -> Response:
    """The agent sends a media request `{"types": ["SCREENSHARE"]}`."""
    store = store_of(request)
    conv = _conv(request, conversation_id)
    data = await json_body(request, vendor=False)
    types = data.get("types") if isinstance(data, dict) else None
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise EmulatorError("bad.request", message="types must be a list of strings")
    mr = store.create_media_request(conv, types)
    return json_response(mr.wire(base_url(request), conv.id))


@router.post("/conversations/{conversation_id}/agent/mediarequests/{mr_id}/cancel")
async def agent_cancel_media_request(request: Request, conversation_id: str, mr_id: str) -> Response:
    """The agent withdraws a PENDING media request (CANCELLED)."""
    store = store_of(request)
    conv = _conv(request, conversation_id)
    mr = store.get_media_request(conv, mr_id)
    store.agent_media_change(conv, mr, "CANCELLED")
    return json_response(mr.wire(base_url(request), conv.id))


@router.post("/conversations/{conversation_id}/agent/transfer")
async def agent_transfer(request: Request, conversation_id: str) -> Response:
    """The current agent leaves; another joins (`{"toAgent": name}` optional)."""
    conv = _conv(request, conversation_id)
    data = await json_body(request, allow_empty=True, vendor=False)
    to_agent = data.get("toAgent") if isinstance(data, dict) else None
    if to_agent is not None and not isinstance(to_agent, str):
        raise EmulatorError("bad.request", message="toAgent must be a string")
    _director(request).transfer(conv, to_agent)
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/agent/end")
async def agent_end(request: Request, conversation_id: str) -> Response:
    """The agent ends the chat."""
    conv = _conv(request, conversation_id)
    store_of(request).agent_end(conv)
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/agent/connect")
async def agent_connect(request: Request, conversation_id: str) -> Response:
    """Route a queued chat to an agent now (ALERTING -> CONNECTED, member-join, no greeting)."""
    conv = _conv(request, conversation_id)
    if conv.state != QUEUED or conv.agent_id is not None:
        raise EmulatorError(
            "bad.request",
            message=f"Conversation is {conv.state}; only a queued chat without an agent can be "
            "connected (attach the socket first).",
        )
    data = await json_body(request, allow_empty=True, vendor=False)
    name = data.get("agentName") if isinstance(data, dict) else None
    _director(request).connect_now(conv, name if isinstance(name, str) else None)
    return Response(status_code=204)


@router.get("/faults")
async def get_faults(request: Request) -> Response:
    """The active fault plan."""
    return json_response(store_of(request).faults.to_json())


@router.put("/faults")
async def put_faults(request: Request) -> Response:
    """Replace the fault plan."""
    store = store_of(request)
    store.faults.replace(await json_body(request, vendor=False))
    return json_response(store.faults.to_json())


@router.delete("/faults")
async def delete_faults(request: Request) -> Response:
    """Clear the fault plan."""
    store_of(request).faults.clear()
    return Response(status_code=204)
