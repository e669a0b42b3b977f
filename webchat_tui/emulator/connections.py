"""Connection limits of the emulator's HTTP server (uvicorn's h11 protocol, extended).

- A request (head and body) must arrive whole within `request_read_timeout` seconds from its first byte (or
  from the connection's opening): silent and slowloris connections are closed. Between requests uvicorn's
  keep-alive timeout applies.
- At most `max_connections` connections (HTTP and websocket) are served; a connection beyond the cap gets a
  503 `service.unavailable` in the vendor shape with `Retry-After` and is closed.
- `raise_fd_limit()` lifts the soft open-files limit to the hard one; the cap is lowered to fit it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from webchat_tui.emulator.errors import EmulatorError

log = logging.getLogger("webchat_tui.emulator")
FD_RESERVE = 64  # descriptors kept for the listening socket, logs, the app around an embedded emulator
MIN_CONNECTIONS = 16
_READING = (h11.IDLE, h11.SEND_BODY)
WARNING_EVERY = 10.0  # seconds between two "cap reached" log lines
_last_warning = [float("-inf")]


def raise_fd_limit() -> int | None:
    """Raise the soft RLIMIT_NOFILE to the hard limit; the resulting soft limit (None where unknown)."""
    try:
        import resource
    except ImportError:  # not on this platform
        return None
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and soft != hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        elif hard == resource.RLIM_INFINITY and soft != resource.RLIM_INFINITY and soft < 65536:
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_NOFILE, (65536, hard))
                soft = 65536
    except (ValueError, OSError):
        return None
    return None if soft == resource.RLIM_INFINITY else int(soft)


def connection_cap(wanted: int, fd_limit: int | None) -> int:
    """`wanted`, lowered so that capped connections can never exhaust `fd_limit`."""
    if fd_limit is None:
        return wanted
    return max(MIN_CONNECTIONS, min(wanted, fd_limit - FD_RESERVE))


def _over_capacity_body() -> tuple[bytes, str]:
    context_id = str(uuid.uuid4())
    error = EmulatorError(
        "service.unavailable",
        status=503,
        message="The emulator is serving as many connections as it allows; retry shortly.",
    )
    return json.dumps(error.body(context_id), separators=(",", ":")).encode(), context_id


async def _over_capacity(scope: Any, receive: Any, send: Any) -> None:
    body, context_id = _over_capacity_body()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"1"),
                (b"inin-correlation-id", context_id.encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def limited_h11(max_connections: int, request_read_timeout: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol with a request read deadline and a connection cap (pass as `http=`)."""

    class LimitedH11Protocol(H11Protocol):
        """H11Protocol + read deadline + connection cap."""

        _read_deadline: asyncio.TimerHandle | None = None
        over_capacity = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            if len(self.connections) >= max_connections:
                self.over_capacity = True
                self.app = _over_capacity
                now = self.loop.time()
                if now - _last_warning[0] >= WARNING_EVERY:  # one line per burst, not one per connection
                    _last_warning[0] = now
                    log.warning("connection cap (%d) reached: new connections get 503", max_connections)
            super().connection_made(transport)
            self._arm()

        def _arm(self) -> None:
            if self._read_deadline is None:
                self._read_deadline = self.loop.call_later(request_read_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._read_deadline is not None:
                self._read_deadline.cancel()
                self._read_deadline = None

        def _too_slow(self) -> None:
            self._read_deadline = None
            if not self.transport.is_closing():
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state in _READING:
                self._arm()  # a request has started to arrive: it must be complete in time
            super().data_received(data)
            if self.conn.their_state not in _READING and not self.transport.is_closing():
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _should_upgrade(self) -> bool:
            return not self.over_capacity and super()._should_upgrade()

        def handle_websocket_upgrade(self, event: h11.Request) -> None:
            self._disarm()
            super().handle_websocket_upgrade(event)

    return LimitedH11Protocol
