"""One guest websocket: a bounded send queue drained by a single sender task, the websocket faults (drop
after N frames, duplicate every K-th message frame), and `HeartbeatTimer`: one timer for every socket's
heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.websockets import WebSocket

from webchat_tui.emulator.wire import HEARTBEAT_FRAME

if TYPE_CHECKING:
    from webchat_tui.emulator.state import Store

MAX_QUEUED_FRAMES = 50_000  # a slow consumer beyond this is disconnected (it must backfill via REST)
OVERFLOW_CLOSE_CODE = 1008


class Connection:
    """Send side of one attached socket. `send()` never blocks; the sender task writes in order."""

    def __init__(self, ws: WebSocket, store: Store) -> None:
        self.ws = ws
        self.store = store
        self._queue: deque[tuple[str, bool]] = deque()
        self._wake = asyncio.Event()
        self.closed = asyncio.Event()
        self.sent_frames = 0
        self.message_frames = 0
        self._drop_after = store.faults.drop_limit()
        self._close_code: int | None = None

    def send(self, text: str, is_message: bool = False) -> None:
        """Queue a frame (called from store code on the loop)."""
        if self.closed.is_set():
            return
        if len(self._queue) >= MAX_QUEUED_FRAMES:
            self._close_code = OVERFLOW_CLOSE_CODE
            self._queue.clear()
            self._wake.set()
            return
        self._queue.append((text, is_message))
        if not self._wake.is_set():
            self._wake.set()

    def close(self, code: int) -> None:
        """Close the socket from the server side with `code` (frames still queued are dropped)."""
        if self.closed.is_set():
            return
        self._close_code = code
        self._queue.clear()
        self._wake.set()

    def stop(self) -> None:
        """Mark closed and wake the sender so it exits."""
        self.closed.set()
        self._wake.set()

    async def run_sender(self) -> None:
        """Drain the queue until closed (a drop fault or an overflow closes the socket from here)."""
        ws_send = self.ws.send
        dup_every = self.store.faults.websocket.duplicateEveryFrames
        try:
            while not self.closed.is_set():
                await self._wake.wait()
                self._wake.clear()
                queue = self._queue
                while queue:
                    if self._close_code is not None:
                        break
                    text, is_message = queue.popleft()
                    await ws_send({"type": "websocket.send", "text": text})
                    self.sent_frames += 1
                    if is_message:
                        self.message_frames += 1
                        if dup_every and self.message_frames % dup_every == 0:
                            await ws_send({"type": "websocket.send", "text": text})
                    if self._drop_after and self.sent_frames >= self._drop_after:
                        self._close_code = self.store.faults.consume_drop()
                        break
                if self._close_code is not None:
                    code = self._close_code
                    self.closed.set()
                    with contextlib.suppress(Exception):
                        await self.ws.close(code)
                    return
        except Exception:  # the peer went away; the receive loop cleans up
            self.closed.set()


HEARTBEAT_MAX_NAP = 0.25  # a shortened interval (PUT /config) applies to open sockets within this


class HeartbeatTimer:
    """Sends `WebSocket Heartbeat` to every registered socket every `interval()` seconds from one task.

    Sockets are kept in the order of their last heartbeat, so each wake-up looks only at those that are due;
    the task sleeps until the earliest is due (at most `HEARTBEAT_MAX_NAP`) and ends when no socket is left.
    """

    def __init__(self, interval: Callable[[], float]) -> None:
        self._interval = interval
        self._last: dict[Connection, float] = {}
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._last)

    def add(self, conn: Connection) -> None:
        """Start heartbeats for `conn` (the first one after a full interval)."""
        loop = asyncio.get_running_loop()
        self._last[conn] = loop.time()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(), name="emulator-heartbeats")

    def remove(self, conn: Connection) -> None:
        """Stop heartbeats for `conn`."""
        self._last.pop(conn, None)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last = self._last
        while last:
            interval = max(0.01, self._interval())
            now = loop.time()
            due = []
            for conn, sent in last.items():
                if now - sent < interval:
                    break
                due.append(conn)
            for conn in due:
                del last[conn]
                if not conn.closed.is_set():
                    last[conn] = now  # to the end: the order stays "oldest heartbeat first"
                    conn.send(HEARTBEAT_FRAME)
            if not last:
                break
            earliest = next(iter(last.values()))
            await asyncio.sleep(min(HEARTBEAT_MAX_NAP, max(0.005, earliest + interval - now)))
        self._task = None
