"""Exactly once across a drop, edge cases the emulator cannot stage deterministically. A small real server
started by the test (websockets + its plain-HTTP hook for the history API), not the emulator: it has to lose
one particular frame, the way a dying socket loses what was written to it last."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from webchat_tui.messaging import MessagingClient, MessagingSession, TokenStore

WAIT = 30.0


class _Service:
    """Stores guest texts; the connection that receives the `lose_on`-th onMessage dies without storing it."""

    def __init__(self, lose_on: int) -> None:
        self.lose_on = lose_on
        self.received = 0
        self.stored: list[dict[str, Any]] = []
        self.connections = 0

    def history(self) -> Response:
        newest_first = list(reversed(self.stored))
        page = {
            "entities": newest_first,
            "pageSize": len(newest_first),
            "pageNumber": 1,
            "total": len(newest_first),
            "pageCount": 1 if newest_first else 0,
        }
        body = json.dumps(page).encode()
        return Response(200, "OK", Headers({"Content-Type": "application/json"}), body)

    async def handler(self, ws: ServerConnection) -> None:
        self.connections += 1
        resumed = self.connections > 1
        async for raw in ws:
            request: dict[str, Any] = json.loads(raw)
            tracing_id = request.get("tracingId")
            action = request.get("action")
            if action == "configureSession":
                body = {"connected": True, "newSession": not resumed, "maxCustomDataBytes": 2048}
                await ws.send(_frame("response", "SessionResponse", body, tracing_id))
            elif action == "getJwt":
                await ws.send(_frame("response", "JwtResponse", {"jwt": "j", "exp": 4102444800}, tracing_id))
            elif action == "onMessage":
                self.received += 1
                if self.received == self.lose_on:
                    ws.transport.abort()  # written by the guest, never stored: lost with the socket
                    return
                message = request["message"]
                echo = {
                    "id": f"in-{self.received}",
                    "type": "Text",
                    "direction": "Inbound",
                    "text": message.get("text", ""),
                    "channel": {"time": datetime.now(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"},
                }
                self.stored.append(echo)
                await ws.send(_frame("message", "StructuredMessage", echo, tracing_id))


def _frame(kind: str, cls: str, body: dict[str, Any], tracing_id: str | None) -> str:
    return json.dumps({"type": kind, "class": cls, "code": 200, "body": body, "tracingId": tracing_id})


async def test_a_lost_send_is_resent_even_when_an_earlier_message_had_the_same_text() -> None:
    service = _Service(lose_on=2)

    def process_request(connection: ServerConnection, request: Request) -> Response | None:
        if request.path.startswith("/api/v2/webmessaging/messages"):
            return service.history()
        return None

    async with serve(service.handler, "127.0.0.1", 0, process_request=process_request) as server:
        port = server.sockets[0].getsockname()[1]
        client = MessagingClient("dep", base_url=f"http://127.0.0.1:{port}")
        session = MessagingSession(client, token_store=TokenStore(None), fetch_config=False, autostart=False)
        try:
            await session.start()
            first = await session.send("ok")
            # The same text again: the service never stores it (the socket dies as it arrives). After the
            # reconnect the history holds only the first "ok", which must not be taken for this one.
            second = await session.send("ok")
            assert second.id != first.id
            assert service.received == 3 and [m["text"] for m in service.stored] == ["ok", "ok"]
            await session.wait_until(lambda s: [m.body for m in s.messages if m.is_own] == ["ok", "ok"], WAIT)
        finally:
            await session.close()


async def test_a_late_rate_limit_answer_does_not_let_the_next_message_overtake() -> None:
    """The service answers the first message 4029 after the pacing interval (a slow network, or
    a second window of the same guest using up the rate): the second message must still land after it."""
    stored: list[str] = []
    limited = False

    async def handler(ws: ServerConnection) -> None:
        nonlocal limited

        async def answer(request: dict[str, Any]) -> None:
            nonlocal limited
            tracing_id = request.get("tracingId")
            text = request["message"].get("text", "")
            if not limited:
                limited = True
                await asyncio.sleep(1.5)  # longer than the client's send interval
                body = {"retryAfter": 1, "errorCode": 4029, "errorMessage": "Message rate too high"}
                frame = {
                    "type": "response",
                    "class": "TooManyRequestsErrorMessage",
                    "code": 429,
                    "body": body,
                }
                await ws.send(json.dumps(frame | {"tracingId": tracing_id}))
                return
            stored.append(text)
            echo = {
                "id": f"in-{len(stored)}",
                "type": "Text",
                "direction": "Inbound",
                "text": text,
                "channel": {"time": datetime.now(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"},
            }
            await ws.send(_frame("message", "StructuredMessage", echo, tracing_id))

        tasks = set()
        async for raw in ws:
            request: dict[str, Any] = json.loads(raw)
            if request.get("action") == "configureSession":
                body = {"connected": True, "newSession": True, "maxCustomDataBytes": 2048}
                await ws.send(_frame("response", "SessionResponse", body, request.get("tracingId")))
            elif request.get("action") == "onMessage":
                task = asyncio.create_task(answer(request))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = MessagingClient("dep", base_url=f"http://127.0.0.1:{port}")
        session = MessagingSession(client, token_store=TokenStore(None), fetch_config=False, autostart=False)
        try:
            await session.start()
            sent = await asyncio.wait_for(asyncio.gather(session.send("first"), session.send("second")), WAIT)
            assert [m.body for m in sent] == ["first", "second"]
            assert stored == ["first", "second"]
        finally:
            await session.close()
