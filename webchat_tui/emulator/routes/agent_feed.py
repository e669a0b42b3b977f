"""The agent desk under the control API (the `X-Emulator-Token` check is in `guard.py`, for the websocket
too): agent modes, the conversations waiting for a person, take and transfer, and the live feed.

- `GET /emulator/v1/agents` -> `{"mode", "humanFirstTimeout", "queues": {name: mode}, "deployments":
  {id: mode}}`; `PUT` the same keys (partial; a null mode removes an override) -> the settings.
- `GET /emulator/v1/agent/conversations` -> `{"entities": [entry]}`: an entry has `channel
  (webchat|messaging), id, state (waiting|taken), guest, queue, deploymentId, fields, since (epoch seconds),
  agent`.
- `POST /emulator/v1/agent/take` `{"channel", "id", "agentName"?}` -> entry: the person's agent joins.
- `POST /emulator/v1/agent/transfer` `{"channel", "id", "toAgent"? | "queue"?}` -> 204: to a simulated agent
  (named or the next free one) or to another queue.
- `WS /emulator/v1/agent/feed`: JSON text frames, first `{"type": "snapshot", "conversations": [entry]}`, then
  `waiting`/`taken` (`conversation`: entry), `message` (`channel, id, kind (text|button|attachment), text,
  time`), `typing`, `media` (`requestId, types, state`), `released` (`to`: simulated or a queue), `ended`;
  a later `snapshot` (after a reset) replaces everything. The server never reads from the socket.

Sending, typing, rich content, media requests and ending use the existing agent-side routes of each
protocol (`/conversations/{id}/agent/...`, `/messaging/sessions/{id}/agent/...`).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from webchat_tui.emulator.errors import EmulatorError
from webchat_tui.emulator.human_agents import CHANNELS, DEFAULT_AGENT_NAME, HumanDesk
from webchat_tui.emulator.routes._common import json_body, json_response

router = APIRouter(prefix="/emulator/v1")
FEED_OVERFLOW_CLOSE = 1008


def desk_of(app_state: object) -> HumanDesk:
    """The agent desk of this app."""
    desk: HumanDesk = app_state.desk  # type: ignore[attr-defined]
    return desk


async def _object(request: Request) -> dict[str, Any]:
    data = await json_body(request, allow_empty=True, vendor=False)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise EmulatorError("bad.request", message="body must be a JSON object")
    return data


def _target(data: dict[str, Any]) -> tuple[str, str]:
    channel, cid = data.get("channel"), data.get("id")
    if channel not in CHANNELS or not isinstance(cid, str) or not cid:
        raise EmulatorError("bad.request", message=f"channel ({' or '.join(CHANNELS)}) and id are required")
    return channel, cid


def _opt_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > 200):
        raise EmulatorError(
            "bad.request", message=f"{key} must be a non-empty string of at most 200 characters"
        )
    return value


@router.get("/agents")
async def get_agents(request: Request) -> Response:
    """The agent modes."""
    return json_response(desk_of(request.app.state).settings())


@router.put("/agents")
async def put_agents(request: Request) -> Response:
    """Change the agent modes (partial)."""
    desk = desk_of(request.app.state)
    desk.update(await _object(request))
    return json_response(desk.settings())


@router.get("/agent/conversations")
async def desk_conversations(request: Request) -> Response:
    """Conversations waiting for a person or taken by one."""
    return json_response({"entities": desk_of(request.app.state).entries_wire()})


@router.post("/agent/take")
async def take(request: Request) -> Response:
    """A person takes a waiting conversation."""
    data = await _object(request)
    channel, cid = _target(data)
    name = _opt_str(data, "agentName") or DEFAULT_AGENT_NAME
    return json_response(desk_of(request.app.state).take(channel, cid, name).wire())


@router.post("/agent/transfer")
async def transfer(request: Request) -> Response:
    """Hand a conversation to a simulated agent or another queue."""
    data = await _object(request)
    channel, cid = _target(data)
    to_agent, queue = _opt_str(data, "toAgent"), _opt_str(data, "queue")
    if to_agent is not None and queue is not None:
        raise EmulatorError("bad.request", message="give toAgent or queue, not both")
    desk_of(request.app.state).transfer(channel, cid, to_agent=to_agent, queue=queue)
    return Response(status_code=204)


@router.websocket("/agent/feed")
async def feed(ws: WebSocket) -> None:
    """The live agent-side feed (server to client only)."""
    desk = desk_of(ws.app.state)
    await ws.accept()
    sub = desk.subscribe()
    receiver = asyncio.create_task(_drain(ws))
    overflow = asyncio.create_task(sub.overflowed.wait())
    try:
        while not receiver.done() and not overflow.done():
            getter = asyncio.create_task(sub.queue.get())
            done, _ = await asyncio.wait({getter, receiver, overflow}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            await ws.send_text(getter.result())
        if overflow.done():
            await ws.close(FEED_OVERFLOW_CLOSE)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        desk.unsubscribe(sub)
        receiver.cancel()
        overflow.cancel()


async def _drain(ws: WebSocket) -> None:
    """Read (and ignore) what the client sends, until it goes away."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
