"""A hostile Web Messaging server (a small real websockets server started by the test, not the emulator):
frames that are not JSON, not objects, of unknown classes, with unknown fields or with terminal controls never
break the session, and what it shows is inert."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

from webchat_tui.chat.types import SessionState
from webchat_tui.messaging import MessagingClient, MessagingSession, TokenStore


def _agent(i: int, text: str) -> str:
    return json.dumps(
        {
            "type": "message",
            "class": "StructuredMessage",
            "code": 200,
            "surprise": {"new": "field"},
            "body": {
                "id": f"m{i}",
                "type": "Text",
                "direction": "Outbound",
                "text": text,
                "channel": {"time": f"2026-01-01T00:00:0{i}.000Z", "from": {"nickname": "Eve\x1b[5m"}},
                "originatingEntity": "Human",
                "metadata": {"n": 1, "nested": {"a": [1]}},
                "content": [{"contentType": "Hologram", "hologram": {}}],
            },
        }
    )


GARBAGE = [
    "this is not json",
    "[1, 2, 3]",
    '"a string"',
    json.dumps({"type": "message", "class": "TeleportEvent", "code": 200, "body": {"x": 1}}),
    json.dumps({"type": "message", "class": "StructuredMessage", "code": 200, "body": "not an object"}),
    json.dumps({"type": "message", "class": "StructuredMessage", "code": "NaN?", "body": {"events": 7}}),
    json.dumps({"class": "JwtResponse", "body": {"jwt": None}}),
]


async def test_garbage_frames_are_ignored_and_text_is_inert() -> None:
    async def handler(ws: ServerConnection) -> None:
        async for raw in ws:
            request: dict[str, Any] = json.loads(raw)
            if request.get("action") == "configureSession":
                answer = {"connected": True, "newSession": True, "maxCustomDataBytes": 2048}
                await ws.send(
                    json.dumps(
                        {
                            "type": "response",
                            "class": "SessionResponse",
                            "code": 200,
                            "body": answer,
                            "tracingId": request.get("tracingId"),
                        }
                    )
                )
                await ws.send(_agent(1, "first"))
                for junk in GARBAGE:
                    await ws.send(junk)
                await ws.send(_agent(2, "second \x1b]0;title\x07 \u202eright-to-left"))

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = MessagingClient("dep", base_url=f"http://127.0.0.1:{port}")
        session = MessagingSession(client, token_store=TokenStore(None), fetch_config=False, autostart=False)
        try:
            await session.start()
            await session.wait_until(lambda s: len(s.messages) == 2, 30.0)
            assert [m.id for m in session.messages] == ["m1", "m2"]
            second = session.messages[1]
            for bad in ("\x1b", "\x07", "\u202e"):
                assert bad not in second.body and bad not in second.sender_name
            assert second.sender_name == "Eve[5m" and second.content == ()
            assert session.state is SessionState.CONNECTED
            assert client.stats.unparsable == 3  # not JSON, an array, a bare string
            await asyncio.sleep(0)
        finally:
            await session.close()


async def test_a_drop_during_the_resume_configure_is_retried_not_fatal() -> None:
    connections = 0

    async def handler(ws: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        mine = connections
        async for raw in ws:
            request: dict[str, Any] = json.loads(raw)
            if request.get("action") != "configureSession":
                continue
            if mine == 2:  # the first reconnect: the socket dies before the SessionResponse
                ws.transport.abort()
                return
            body = {"connected": True, "newSession": True}  # (resumed would need the history API too)
            frame = {"type": "response", "class": "SessionResponse", "code": 200, "body": body}
            await ws.send(json.dumps(frame | {"tracingId": request.get("tracingId")}))
            if mine == 3:
                await ws.send(_agent(3, "after the resume"))

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = MessagingClient("dep", base_url=f"http://127.0.0.1:{port}")
        session = MessagingSession(client, token_store=TokenStore(None), fetch_config=False, autostart=False)
        try:
            await session.start()
            client.drop()
            await session.wait_until(lambda s: any(m.body == "after the resume" for m in s.messages), 30.0)
            assert session.state is SessionState.CONNECTED and connections == 3
        finally:
            await session.close()
