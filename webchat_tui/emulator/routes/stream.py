"""The guest event stream at `/v1/token/{jwt}`: attach triggers routing; heartbeats;
`{"message":"ping"}` -> pong."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid

from fastapi import APIRouter
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from webchat_tui.emulator.errors import EmulatorError
from webchat_tui.emulator.sockets import Connection
from webchat_tui.emulator.state import Store
from webchat_tui.emulator.wire import PONG_FRAME

router = APIRouter()


async def _deny(ws: WebSocket, error: EmulatorError) -> None:
    context_id = str(uuid.uuid4())
    status, body, headers = error.render(context_id)
    headers["inin-correlation-id"] = context_id
    try:
        await ws.send_denial_response(
            Response(body, status_code=status, media_type="application/json", headers=headers)
        )
    except RuntimeError:  # server without the denial-response extension
        await ws.close(code=1008)


@router.websocket("/v1/token/{token}")
async def event_stream(ws: WebSocket, token: str) -> None:
    """Attach a guest socket to its conversation."""
    store: Store = ws.app.state.store
    refusal = store.faults.take_refusal()
    if refusal is not None:
        code = "service.unavailable" if refusal == 503 else "internal.server.error"
        await _deny(ws, EmulatorError(code, status=refusal, message="Injected handshake refusal"))
        return
    try:
        claims = store.guest_tokens.verify(token)
        conv = store.get_conversation(claims.conversation_id)
    except EmulatorError as exc:
        await _deny(ws, exc)
        return
    subprotocols = ws.scope.get("subprotocols") or []
    await ws.accept(subprotocol=subprotocols[0] if subprotocols else None)
    conn = Connection(ws, store)
    sender = asyncio.create_task(conn.run_sender())
    store.heartbeats.add(conn)
    store.attach(conv, conn)
    receiver = asyncio.create_task(_receive(ws, conn))
    try:
        await asyncio.wait(
            {receiver, asyncio.create_task(conn.closed.wait())}, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        conn.stop()
        store.heartbeats.remove(conn)
        store.detach(conv, conn)
        receiver.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(sender, timeout=1.0)


async def _receive(ws: WebSocket, conn: Connection) -> None:
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                continue
            try:
                data = json.loads(text)
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("message") == "ping":
                conn.send(PONG_FRAME)
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        conn.stop()
