"""The Web Messaging client against hostile input: a small real server started by the test (websockets,
which also answers plain HTTP for the REST calls) that sends frames no parser should die of, REST bodies of
the wrong shape, redirects and endless history; and the real emulator's agent sending a file named to escape
the folder."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import os
import stat
import tracemalloc
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from tests.api.hostile import HostileRequest, HostileServer, response
from tests.messaging.conftest import WAIT, SessionFactory
from webchat_tui.chat.types import Attachment
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.messaging import MessagingClient, MessagingSession, TokenStore
from webchat_tui.messaging import errors as e
from webchat_tui.safe_files import safe_file_name


def _agent(i: int) -> str:
    body = {
        "id": f"m{i}",
        "type": "Text",
        "direction": "Outbound",
        "text": f"agent {i}",
        "channel": {"time": f"2026-01-01T00:00:0{i}.000Z"},
        "originatingEntity": "Human",
    }
    return json.dumps({"type": "message", "class": "StructuredMessage", "code": 200, "body": body})


POISON = [
    '{"a":' * 100_000 + "1" + "}" * 100_000,  # RecursionError in json.loads
    "[" * 100_000 + "]" * 100_000,
    '{"type":"response","class":"string","code":1e400,"body":"x"}',  # int(inf): OverflowError
    '{"type":"message","class":"StructuredMessage","code":-1e400,"body":{"id":"z","channel":{"time":1e400}}}',
]


async def test_poison_frames_are_skipped_without_a_reconnect() -> None:
    connections = 0

    async def handler(ws: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        async for raw in ws:
            request: dict[str, Any] = json.loads(raw)
            if request.get("action") == "configureSession":
                body = {"connected": True, "newSession": True}
                frame = {"type": "response", "class": "SessionResponse", "code": 200, "body": body}
                await ws.send(json.dumps(frame | {"tracingId": request.get("tracingId")}))
                await ws.send(_agent(1))
                for poison in POISON:
                    await ws.send(poison)
                await ws.send(_agent(2))

    async with serve(handler, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        client = MessagingClient("dep", base_url=f"http://127.0.0.1:{port}")
        session = MessagingSession(client, token_store=TokenStore(None), fetch_config=False, autostart=False)
        try:
            await session.start()
            await session.wait_until(lambda s: len(s.messages) == 2, WAIT)
            assert [m.id for m in session.messages] == ["m1", "m2"]
            assert client.stats.drops == 0 and connections == 1
        finally:
            await session.close()


Route = Callable[[Request], Response | None]


async def _http_server(route: Route) -> Any:
    """A websockets server that answers plain HTTP requests with `route`."""

    def process_request(connection: ServerConnection, request: Request) -> Response | None:
        return route(request)

    async def handler(ws: ServerConnection) -> None:
        await ws.close()

    return serve(handler, "127.0.0.1", 0, process_request=process_request)


def _json(status: int, data: Any, **headers: str) -> Response:
    body = json.dumps(data).encode()
    all_headers = Headers({"Content-Type": "application/json", "Content-Length": str(len(body)), **headers})
    return Response(status, HTTPStatus(status).phrase, all_headers, body)


@pytest.mark.parametrize(
    ("history", "config"),
    [
        ({"entities": [], "total": "lots"}, {"messenger": 5}),
        ({"entities": [{"id": 5, "channel": 7}], "pageCount": [1]}, {"id": ["x"], "auth": "no"}),
    ],
)
async def test_rest_bodies_of_the_wrong_shape_are_typed_errors(history: Any, config: Any) -> None:
    def route(request: Request) -> Response:
        return _json(200, history if "webmessaging/messages" in request.path else config)

    async with await _http_server(route) as server:
        port = server.sockets[0].getsockname()[1]
        client = MessagingClient("dep", base_url=f"http://127.0.0.1:{port}")
        try:
            with pytest.raises(e.UnexpectedServerError):
                await client.history("jwt")
            with pytest.raises(e.UnexpectedServerError):
                await client.deployment_config()
        finally:
            await client.close()


async def test_a_redirect_is_an_error_not_a_page() -> None:
    page = {"entities": [{"id": "planted", "type": "Text", "text": "from the redirect"}], "total": 1}

    def route(request: Request) -> Response:
        return _json(302, page, Location="http://127.0.0.2/elsewhere")

    async with await _http_server(route) as server:
        port = server.sockets[0].getsockname()[1]
        client = MessagingClient("dep", base_url=f"http://127.0.0.1:{port}")
        try:
            with pytest.raises(e.MessagingError):
                await client.history("jwt")
            with pytest.raises(e.MessagingError):
                await client.download(f"http://127.0.0.1:{port}/file", io.BytesIO())
        finally:
            await client.close()


async def test_endless_stuffed_history_pages_are_bounded() -> None:
    served = 0

    def route(request: Request) -> Response:
        nonlocal served
        served += 1
        entities = [{"id": f"p{served}-{i}"} for i in range(20_000)]  # asked for 100
        return _json(200, {"entities": entities, "total": 10**9, "pageCount": 10**9})

    async with await _http_server(route) as server:
        port = server.sockets[0].getsockname()[1]
        client = MessagingClient("dep", base_url=f"http://127.0.0.1:{port}")
        try:
            with pytest.raises(e.UnexpectedServerError, match="items"):
                await asyncio.wait_for(client.history("jwt"), 100)
            assert served <= 6  # 100,000 items at most
        finally:
            await client.close()


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("../../.bashrc", "bashrc"),
        ("..", "attachment"),
        (".", "attachment"),
        ("", "attachment"),
        ("C:\\Users\\me\\evil.exe", "evil.exe"),
        ("a\x1b]52;c;eA==\x07b.txt", "a]52;c;eA==b.txt"),
        ("\u202etxt.exe", "txt.exe"),
        ("re:port?.pdf", "re_port_.pdf"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_safe_file_name(remote: str, expected: str) -> None:
    assert safe_file_name(remote) == expected


async def test_an_agents_file_never_lands_outside_the_folder_or_over_a_file(
    new_session: SessionFactory, control: ControlClient, tmp_path: Path
) -> None:
    session = await new_session()
    sid = control.messaging_session_for(session.token.get())["id"]
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "bashrc").write_text("mine")
    (tmp_path / ".bashrc").write_text("mine")
    for name in ("../.bashrc", ".."):
        control.messaging_agent(sid, "attachment", {"fileName": name, "text": "echo pwned\n"})
    await session.wait_until(
        lambda s: sum(isinstance(c, Attachment) for m in s.messages for c in m.content) == 2, WAIT
    )
    files = [c for m in session.messages for c in m.content if isinstance(c, Attachment)]
    saved = [await session.download_attachment(f, folder) for f in files]
    assert [p.name for p in saved] == ["bashrc (2)", "attachment"]
    assert all(p.parent == folder and p.read_text() == "echo pwned\n" for p in saved)
    assert (folder / "bashrc").read_text() == "mine" and (tmp_path / ".bashrc").read_text() == "mine"


async def test_an_absurd_retry_after_does_not_silence_the_session() -> None:
    """retryAfter 1e400 decodes to infinity: the client waits the documented 3 s instead, then sends."""
    limited = False

    async def handler(ws: ServerConnection) -> None:
        nonlocal limited
        async for raw in ws:
            request: dict[str, Any] = json.loads(raw)
            reply: dict[str, Any] = {"tracingId": request.get("tracingId"), "code": 200}
            if request.get("action") == "configureSession":
                reply |= {"type": "response", "class": "SessionResponse", "body": {"connected": True}}
            elif request.get("action") == "onMessage" and not limited:
                limited = True
                await ws.send(
                    json.dumps(reply).replace(
                        '"code": 200',
                        '"type": "response", "class": "TooManyRequestsErrorMessage", "code": 429, '
                        '"body": {"retryAfter": 1e400, "errorCode": 4029, "errorMessage": "slow down"}',
                    )
                )
                continue
            elif request.get("action") == "onMessage":
                body = {"id": "echo1", "type": "Text", "direction": "Inbound", "text": "hi"}
                reply |= {"type": "message", "class": "StructuredMessage", "body": body}
            else:
                continue
            await ws.send(json.dumps(reply))

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = MessagingClient("dep", base_url=f"http://127.0.0.1:{port}")
        session = MessagingSession(client, token_store=TokenStore(None), fetch_config=False, autostart=False)
        try:
            await session.start()
            sent = await asyncio.wait_for(session.send("hi"), WAIT)
            assert limited and sent.body == "hi"
        finally:
            await session.close()


def test_the_token_file_is_never_written_through_a_planted_link(tmp_path: Path) -> None:
    """A link planted under the temporary name the old code used (`.<name>.<pid>.tmp`) in a folder others
    can write to: the write must neither follow it nor touch its target."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    victim.chmod(0o644)
    path = tmp_path / "messaging-tokens.json"
    (tmp_path / f".{path.name}.{os.getpid()}.tmp").symlink_to(victim)
    store = TokenStore(path)
    store.put("dep", "secret-token")
    assert victim.read_text() == "precious" and stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert store.get("dep") == "secret-token" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.is_symlink()


def _gzip_bomb_server(size: int = 10_000_000) -> HostileServer:
    """Every path answers 10 MB of zeros gzipped (about 10 KB on the wire), whatever it was asked."""
    body = gzip.compress(bytes(size))

    def bomb(request: HostileRequest) -> bytes:
        return response(200, body, [(b"Content-Type", b"application/json"), (b"Content-Encoding", b"gzip")])

    return HostileServer(bomb)


async def test_gzip_bombs_in_history_and_config_are_refused_at_the_limit() -> None:
    with _gzip_bomb_server() as server:
        client = MessagingClient("dep", base_url=server.base_url, max_response_bytes=1_000_000)
        try:
            with pytest.raises(e.ConnectionLost, match="once decoded"):
                await client.history("jwt")
            with pytest.raises(e.ConnectionLost, match="once decoded"):
                await client.deployment_config()
            with pytest.raises(e.ConnectionLost, match="once decoded"):
                await client.exchange_code("code", "https://example.org/back")
        finally:
            await client.close()


async def test_a_download_that_inflates_past_the_limit_leaves_no_file(tmp_path: Path) -> None:
    """An attachment served with an unexpected Content-Encoding inflates only up to the limit, and the cut
    download is removed (into a folder) or leaves the named file as it was."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    mine = tmp_path / "mine.txt"
    mine.write_text("keep me")
    with _gzip_bomb_server() as server:
        client = MessagingClient("dep", base_url=server.base_url, max_response_bytes=1_000_000)
        session = MessagingSession(client, token_store=TokenStore(None), fetch_config=False, autostart=False)
        bomb = Attachment(id=None, filename="report.txt", url=server.base_url + "/file")
        try:
            with pytest.raises(e.ConnectionLost, match="once decoded"):
                await session.download_attachment(bomb, folder)
            with pytest.raises(e.ConnectionLost, match="once decoded"):
                await session.download_attachment(bomb, mine)
        finally:
            await session.close()
    assert list(folder.iterdir()) == [] and mine.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["downloads", "mine.txt"]  # no temporary file left


async def test_a_download_is_streamed_to_the_file_not_held(tmp_path: Path) -> None:
    """20 MiB (no Content-Length, 0.5 MiB writes) reach the file whole while the client holds a few pieces."""
    piece = b"0123456789abcdef" * 32_768
    size = 40 * len(piece)

    async def trickle(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 X\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
        for _ in range(size // len(piece)):
            writer.write(piece)
            await writer.drain()

    with HostileServer(lambda request: trickle) as server:
        client = MessagingClient("dep", base_url=server.base_url)
        session = MessagingSession(client, token_store=TokenStore(None), fetch_config=False, autostart=False)
        tracemalloc.start()
        try:
            path = await session.download_attachment(
                Attachment(id=None, filename="big.bin", url=server.base_url + "/big"), tmp_path
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            await session.close()
    assert path == tmp_path / "big.bin" and path.stat().st_size == size
    assert peak < 6_000_000, f"{peak} bytes held for a 20 MiB download"
