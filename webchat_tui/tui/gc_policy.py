"""Keep the chat history out of the garbage collector's full scans.

A chat's history only grows, and every message adds GC-tracked objects (the session's `ChatMessage`, the
pane's entry and line tuples). CPython's full collections re-scan all of them, so with a long history each one
pauses the UI for longer (measured: 18 -> 166 ms, which showed as >100 ms key-to-frame stalls while an agent
streamed messages; see benchmarks/PROFILES.md). After enough new history has arrived we collect the young
generations (so short-lived garbage cycles are freed, not frozen) and `gc.freeze()` everything that is left:
frozen objects are still freed by reference counting, they are only skipped by the cycle collector.
"""

from __future__ import annotations

import gc

__all__ = ["HistoryFreezer"]


class HistoryFreezer:
    """Freeze long-lived objects after every `every` new history entries."""

    def __init__(self, every: int = 200) -> None:
        self.every = every
        """How many new entries make a freeze worthwhile."""
        self._since = 0
        self.freezes = 0
        """How many times this freezer has frozen (for tests and diagnostics)."""

    def added(self, count: int) -> None:
        """Note `count` new history entries; freeze when enough have accumulated."""
        self._since += count
        if self._since >= self.every:
            self._since = 0
            gc.collect(1)
            gc.freeze()
            self.freezes += 1
