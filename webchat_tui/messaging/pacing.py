"""Send pacing: keep onMessage under the service's 2 per second per session (protocol.md §11).

A `Pacer` hands out send slots at most one per `interval` seconds; waiting callers queue in FIFO order.
After a 429/4029 the pacer is pushed back by `retryAfter` so nothing else is sent before the service is ready.
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["Pacer", "DEFAULT_SEND_INTERVAL"]

DEFAULT_SEND_INTERVAL = 0.6
"""Seconds between two onMessage frames: 1.67/s, a margin under the 2/s limit for clock and network jitter."""


class Pacer:
    """FIFO slots at most one per `interval` seconds (monotonic clock)."""

    def __init__(self, interval: float = DEFAULT_SEND_INTERVAL) -> None:
        self.interval = interval
        self._next = 0.0
        self._lock = asyncio.Lock()

    @property
    def busy(self) -> bool:
        """True when a slot is not free right now (someone waits, or the last slot was too recent)."""
        return self._lock.locked() or time.monotonic() < self._next

    async def slot(self) -> None:
        """Wait for the next free slot (FIFO: asyncio.Lock wakes waiters in order)."""
        async with self._lock:
            delay = self._next - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next = max(self._next, time.monotonic()) + self.interval

    def try_slot(self) -> bool:
        """Take a slot only if one is free now (for droppable signals such as typing)."""
        if self.busy:
            return False
        self._next = time.monotonic() + self.interval
        return True

    def back_off(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (after a 429/4029 with retryAfter)."""
        self._next = max(self._next, time.monotonic() + seconds)
