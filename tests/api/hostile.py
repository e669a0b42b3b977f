"""A small, real, hostile HTTP server on 127.0.0.1 (ephemeral port) for the client-hardening tests.

It is not the emulator: it says what a compromised or broken service could say (terminal escapes in every
field and header, redirects, endless or repeating pages, trickled bodies, malformed JSON). Each test gives it
a `Handler` that turns a parsed request into raw response bytes, so nothing is normalised on the way out.
It runs its own event loop in a thread, so it serves a client in the test's loop and a subprocess alike.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "HostileRequest",
    "HostileServer",
    "response",
    "json_response",
    "NASTY",
    "nasty",
    "hostile_error_body",
]

# Everything a terminal could be made to act on: ESC-introduced CSI, OSC 52 (clipboard write), OSC 8
# (hyperlink), 8-bit C1 CSI/OSC/ST, BEL, and bidi overrides/isolates.
NASTY = (
    "\x1b[7777m\x1b]52;c;SE9TVElMRQ==\x07\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\"
    "\x9b7777m\x9d52;c;SE9TVElMRQ==\x9c\u202e\u2066\u200f\x07\x08\x7f"
)


def nasty(word: str) -> str:
    """``word`` wrapped in every terminal control this file knows (the word survives sanitising)."""
    return f"{NASTY} {word} {NASTY}"


def hostile_error_body() -> dict[str, Any]:
    """An ErrorBody with terminal controls in every field."""
    return {
        "message": nasty("message"),
        "code": nasty("evil.code"),
        "status": 400,
        "entityId": nasty("entity"),
        "entityName": nasty("entityName"),
        "messageWithParams": nasty("withParams"),
        "messageParams": {nasty("key"): nasty("param")},
        "contextId": nasty("context"),
        "details": [{"errorCode": nasty("detail"), "fieldName": nasty("f")}],
        "errors": [{"message": nasty("nested"), "code": nasty("nested.code")}],
    }


@dataclass
class HostileRequest:
    """One parsed request."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


Reply = bytes | Callable[[asyncio.StreamWriter], Awaitable[None]]
Handler = Callable[[HostileRequest], Reply]


def response(status: int, body: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None) -> bytes:
    """Raw response bytes; header names and values are sent exactly as given."""
    lines = [f"HTTP/1.1 {status} X".encode()]
    for name, value in headers or []:
        lines.append(name + b": " + value)
    lines.append(f"Content-Length: {len(body)}".encode())
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def json_response(status: int, data: Any, headers: list[tuple[bytes, bytes]] | None = None) -> bytes:
    """A JSON response (``data`` dumped without ASCII escaping, so controls go out as raw UTF-8)."""
    body = json.dumps(data, ensure_ascii=False).encode()
    return response(status, body, [(b"Content-Type", b"application/json"), *(headers or [])])


@dataclass
class HostileServer:
    """Serve ``handler`` on 127.0.0.1:<ephemeral> from a thread until `stop()`; `requests` records each."""

    handler: Handler
    requests: list[HostileRequest] = field(default_factory=list)
    port: int = 0
    tls: ssl.SSLContext | None = None
    """Serve HTTPS with this server-side context (plain HTTP when None)."""
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _server: asyncio.Server | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (``https://`` with `tls`)."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> HostileServer:
        """Start serving; returns self once the port is bound."""
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop

            async def main() -> None:
                self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
                self.port = self._server.sockets[0].getsockname()[1]
                ready.set()
                async with self._server:
                    await self._server.serve_forever()

            try:
                loop.run_until_complete(main())
            except asyncio.CancelledError:
                pass
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="hostile-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the hostile server did not start")
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        loop, server = self._loop, self._server
        if loop is not None and server is not None:

            def close() -> None:
                server.close()
                for task in asyncio.all_tasks(loop):
                    task.cancel()

            loop.call_soon_threadsafe(close)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            body = await reader.readexactly(length) if length else b""
            parts = urlsplit(target)
            request = HostileRequest(method, parts.path, parse_qs(parts.query), headers, body)
            self.requests.append(request)
            reply = self.handler(request)
            if isinstance(reply, bytes):
                writer.write(reply)
                await writer.drain()
            else:
                await reply(writer)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError, asyncio.CancelledError):
            pass
        finally:
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - the socket may already be gone
                pass
