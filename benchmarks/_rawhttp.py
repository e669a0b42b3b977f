"""A minimal asyncio HTTP/1.1 keep-alive client used as a *load generator* (emulator capacity benchmark).

Why not httpx here: `performance-baseline.md` §4 measured httpx at ~1.4-1.9 ms of client CPU per request, so
200 guests sending several hundred messages per second would saturate the client core and the benchmark would
measure httpx, not the emulator. This client costs ~0.15 ms per request (baseline: a hand-rolled asyncio
client drove the same server stack to ~1.8-2k req/s). It speaks exactly what the emulator needs:
Content-Length bodies and chunked responses, one request at a time per connection.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any


class RawHttpError(RuntimeError):
    """The server answered with something this client cannot parse, or the connection broke."""


class RawHttpConnection:
    """One keep-alive connection; `request()` is not re-entrant (one request in flight at a time)."""

    def __init__(self, host: str, port: int, *, idle_reconnect: float = 3.0) -> None:
        self.host = host
        self.port = port
        self.idle_reconnect = idle_reconnect
        """Reconnect before a request if idle this long: uvicorn closes keep-alive sockets after 5 s."""
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = 0.0

    async def _connect(self) -> None:
        await self.close()
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        """Close the socket (idempotent)."""
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except (OSError, ConnectionError):
                pass

    async def request(
        self, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """Send one request, return (status, body bytes). JSON-encodes `body` when it is not bytes."""
        now = time.monotonic()
        if (
            self._writer is None
            or self._reader is None
            or self._reader.at_eof()
            or now - self._last_used > self.idle_reconnect
        ):
            await self._connect()
        assert self._reader is not None and self._writer is not None
        payload = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept: application/json"]
        if body is not None:
            head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        for key, value in (headers or {}).items():
            head.append(f"{key}: {value}")
        self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)
        try:
            status, resp_headers = await self._read_head()
            data = await self._read_body(resp_headers, method, status)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            await self.close()
            raise RawHttpError(f"{method} {path}: connection broke: {exc!r}") from exc
        self._last_used = time.monotonic()
        if resp_headers.get("connection", "").lower() == "close":
            await self.close()
        return status, data

    async def _read_head(self) -> tuple[int, dict[str, str]]:
        assert self._reader is not None
        raw = await self._reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise RawHttpError(f"bad status line {lines[0]!r}")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
        return int(parts[1]), headers

    async def _read_body(self, headers: dict[str, str], method: str, status: int) -> bytes:
        assert self._reader is not None
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return b""
        if "content-length" in headers:
            return await self._reader.readexactly(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self._reader.readuntil(b"\r\n")
                    return b"".join(chunks)
                chunks.append(await self._reader.readexactly(size))
                await self._reader.readexactly(2)
        raise RawHttpError("response without Content-Length or chunked encoding")
