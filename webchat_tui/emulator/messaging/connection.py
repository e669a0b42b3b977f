"""One Web Messaging guest socket: a never-blocking send queue drained by one sender task, which applies the
messaging fault plan (drop after N frames, duplicate, reorder, delay pushed frames).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import TYPE_CHECKING

from starlette.websockets import WebSocket

from webchat_tui.emulator.sockets import MAX_QUEUED_FRAMES, OVERFLOW_CLOSE_CODE

if TYPE_CHECKING:
    from webchat_tui.emulator.messaging.faults import MessagingFaults
    from webchat_tui.emulator.messaging.session import MessagingSession

REORDER_FLUSH = 0.05  # seconds a held-back frame waits for a successor before it goes out anyway


class MessagingConnection:
    """Send side of one socket (`send()` from store code on the loop; the sender task writes in order)."""

    def __init__(self, ws: WebSocket, faults: MessagingFaults, deployment_id: str, base_url: str) -> None:
        self.ws = ws
        self.base_url = base_url
        self.faults = faults
        self.deployment_id = deployment_id
        self.session: MessagingSession | None = None
        self._queue: deque[tuple[str, bool]] = deque()
        self._wake = asyncio.Event()
        self.closed = asyncio.Event()
        self.sent_frames = 0
        self.pushed_frames = 0
        self._drop_after = faults.drop_limit()
        self._close_code: int | None = None
        self._closing = False

    def send(self, text: str, is_message: bool = False) -> None:
        """Queue a frame (`is_message`: pushed, so subject to duplicate/reorder/delay faults)."""
        if self.closed.is_set() or self._closing:
            return
        if len(self._queue) >= MAX_QUEUED_FRAMES:
            self._queue.clear()
            self.close(OVERFLOW_CLOSE_CODE)
            return
        self._queue.append((text, is_message))
        self._wake.set()

    def close(self, code: int) -> None:
        """Close from the server side after the frames already queued (so a closing event is delivered)."""
        if self.closed.is_set() or self._closing:
            return
        self._closing = True
        self._queue.append(("", False))  # marker: close here
        self._close_code = code
        self._wake.set()

    def stop(self) -> None:
        """Mark closed and wake the sender so it exits."""
        self.closed.set()
        self._wake.set()

    async def _write(self, text: str) -> None:
        await self.ws.send({"type": "websocket.send", "text": text})
        self.sent_frames += 1
        if self._drop_after and self.sent_frames >= self._drop_after and not self._closing:
            self._closing = True
            self._close_code = self.faults.closeCode
            self._queue.clear()
            self._queue.append(("", False))

    async def run_sender(self) -> None:
        """Drain the queue until closed."""
        held: str | None = None
        try:
            while not self.closed.is_set():
                if held is not None and not self._queue:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), REORDER_FLUSH)
                    if not self._queue:
                        await self._write(held)
                        held = None
                        continue
                else:
                    await self._wake.wait()
                self._wake.clear()
                while self._queue:
                    text, pushed = self._queue.popleft()
                    if not text and not pushed:  # the close marker
                        if held is not None:
                            await self._write(held)
                        await self._close()
                        return
                    if pushed:
                        faults = self.faults
                        self.pushed_frames += 1
                        n = self.pushed_frames
                        if faults.delayMs:
                            await asyncio.sleep(faults.delayMs / 1000)
                        if held is None and faults.reorderEveryFrames and n % faults.reorderEveryFrames == 0:
                            held = text
                            continue
                        await self._write(text)
                        if faults.duplicateEveryFrames and n % faults.duplicateEveryFrames == 0:
                            await self._write(text)
                        if held is not None:
                            await self._write(held)
                            held = None
                    else:
                        await self._write(text)
        except Exception:  # the peer went away; the receive loop cleans up
            self.closed.set()

    async def _close(self) -> None:
        self.closed.set()
        with contextlib.suppress(Exception):
            await self.ws.close(self._close_code or 1000)
