"""Benchmark 7: huge messages: the longest time the UI is blocked by one enormous message or a resize after.

Method
- The full app runs headless in a fresh process, joined to a chat on the emulator process through its join
  form (see `_app.py`), at 120x40.
- A loop-lag monitor runs inside the app's event loop: a task that sleeps 1 ms at a time and records the
  longest gap between two wake-ups beyond the sleep. Everything the UI does (applying the session's events,
  wrapping, rendering, encoding the frame) runs on that loop, so the longest gap is the longest time a key
  press would have waited.
- Cases, one after the other, each sent by the agent through the control API: a single 100,000-character
  word; a 1,000,000-character message of ordinary words (the control API takes bodies up to 1 MiB); then
  the terminal is resized to 80x24 and back (every entry re-wrapped). The lag is measured from just before
  the message is posted until it is on screen (or the resize is drawn), plus 200 ms. The same resize before
  the huge messages is the baseline: Textual's own cost of laying out and drawing the whole screen. The
  pane's re-wrap (`_relayout`) during the resize, and its write of the 1,000,000-character message
  (`flush`), are timed on their own.
- The figure per case is the longest block; the target (issue 8: no message of any size blocks the UI for
  more than 50 ms) is judged on the median over runs of the worst of: the two messages and the pane's
  re-wrap.
- What dominates a case that is still slow (e.g. receiving and parsing 1 MB of JSON, which is not the
  pane's doing) is left to a profile; the pane only ever wraps the first `DISPLAY_CAP` characters of a
  message.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from benchmarks import _harness as h

MODULE = "benchmarks.huge_messages"
TITLE = "7. Huge messages (longest UI block)"
WORD_CASE = "one 100,000-character word"
TEXT_CASE = "one 1,000,000-character message"
RESIZE_CASE = "resize to 80x24 and back, huge messages in the pane"
BASELINE_CASE = "resize to 80x24 and back, before the huge messages"
REWRAP_CASE = "the pane's re-wrap on that resize"
FLUSH_CASE = "the pane's write of the 1,000,000-character message"


_POSTER = """
import json, sys
from pathlib import Path
from benchmarks._harness import control_for
control_for(json.loads(sys.argv[1])).agent_messages(sys.argv[2], Path(sys.argv[3]).read_text())
"""
"""Posts one agent message (body read from a file) through the control API, in a process of its own."""


class LagMonitor:
    """The longest stall of the running event loop since `reset()`."""

    def __init__(self, tick: float = 0.001) -> None:
        self.tick = tick
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin watching the current loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    def reset(self) -> None:
        """Forget the stalls seen so far."""
        self.worst = 0.0

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.tick)
            self.worst = max(self.worst, time.perf_counter() - before - self.tick)

    def stop(self) -> None:
        """Stop watching."""
        if self._task is not None:
            self._task.cancel()


def _timed(method: Callable[[], None], into: list[float]) -> Callable[[], None]:
    """`method`, appending the seconds each call takes to `into`."""

    def timed() -> None:
        started = time.perf_counter()
        method()
        into.append(time.perf_counter() - started)

    return timed


async def _measure(monitor: LagMonitor, action: Any, done: Any, timeout: float) -> float:
    """Longest loop stall (ms) from `action()` until `done()` holds, plus 200 ms of settling."""
    await asyncio.sleep(0.2)
    monitor.reset()
    await action()
    deadline = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > deadline:
            raise h.BenchError("the case did not finish in time")
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    return monitor.worst * 1000


async def _app(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: the app receiving the huge messages."""
    from benchmarks import _app

    info = params["info"]
    word_len, text_len = int(params["word"]), int(params["text"])
    async with _app.joined_app(info) as chat:
        monitor = LagMonitor()
        monitor.start()
        results: dict[str, float] = {}

        def post(body: str) -> Any:
            # posted from another process: encoding and sending 1 MB from a thread of this one would hold
            # the GIL and show up as a UI block that the app did not cause
            async def action() -> None:
                with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
                    f.write(body)
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-c", _POSTER, json.dumps(info), chat.conversation_id, f.name
                )
                if await proc.wait() != 0:
                    raise h.BenchError("posting the agent message failed")
                os.unlink(f.name)

            return action

        def shown(body: str) -> bool:
            # a body over the websocket's frame limit arrives through the reconnect's backfill, so the
            # newest entry may be the "Reconnected" notice
            entries = chat.log.entries[-4:]
            return any(e.body == body for e in entries) and chat.on_screen("not shown")

        async def resize() -> None:
            await chat.pilot.resize_terminal(80, 24)
            await chat.probe.next_frame()
            await chat.pilot.resize_terminal(*_app.SIZE)

        def resized() -> bool:
            return bool(chat.log._wrap_width == chat.log.scrollable_content_region.width)

        # the pane's own re-wrap and write, timed apart from Textual's layout of the whole screen
        rewrap: list[float] = []
        flushes: list[float] = []
        chat.log._relayout = _timed(chat.log._relayout, rewrap)
        chat.log.flush = _timed(chat.log.flush, flushes)
        results[BASELINE_CASE] = await _measure(monitor, resize, resized, 120)
        word = "w" * (word_len - 1) + "!"
        results[WORD_CASE] = await _measure(monitor, post(word), lambda: shown(word), 120)
        unit = "lorem ipsum dolor sit amet "
        text = (unit * (text_len // len(unit) + 1))[: text_len - 1] + "?"
        flushes.clear()
        results[TEXT_CASE] = await _measure(monitor, post(text), lambda: shown(text), 120)
        results[FLUSH_CASE] = max(flushes, default=0.0) * 1000
        rewrap.clear()
        results[RESIZE_CASE] = await _measure(monitor, resize, lambda: resized() and shown(text), 120)
        results[REWRAP_CASE] = max(rewrap, default=0.0) * 1000
        monitor.stop()
    return results


def run(args: argparse.Namespace, result: h.BenchResult) -> None:
    """One emulator; a fresh app process per run."""
    word, text = (30_000, 100_000) if args.quick else (100_000, 1_000_000)
    runs = h.run_fresh_workers(
        result,
        MODULE,
        "app",
        {"word": word, "text": text},
        config=h.AGENT_OFF,
        timeout=600,
    )
    cases = [BASELINE_CASE, WORD_CASE, TEXT_CASE, FLUSH_CASE, RESIZE_CASE, REWRAP_CASE]
    for case in cases:
        result.figures.append(h.Figure(f"longest UI block: {case}", "ms", h.column(runs, case)))
    judged = [WORD_CASE, TEXT_CASE, REWRAP_CASE]
    worst = [max(float(r[c]) for c in judged) for r in runs]
    result.figures.append(h.Figure("longest block caused by a message (judged)", "ms", worst))
    result.targets.append(h.make_target("huge_message_longest_block_ms", h.median(worst), "ms", "<=", 50))
    result.notes.append(
        "loop-lag monitor (1 ms ticks) inside the app's event loop; the pane shows the first 20,000 "
        "characters of a message and a note, the session keeps the whole body"
    )
    result.notes.append(
        "judged: the two messages, and the pane's own re-wrap during the resize; a resize's total block "
        "is mostly Textual laying out and drawing the whole screen, the same with or without huge messages "
        "(compare the two resize rows)"
    )
    result.notes.append(
        "a body near the client's 1 MiB websocket frame limit may drop the stream, which reconnects and "
        "fetches it by REST; whatever blocks beyond the pane's own write (its own row) is that receive path "
        "(an earlier 2,000,000-character trial, before the control API's 1 MiB cap: ~75 ms, all of it there)"
    )


if __name__ == "__main__":
    sys.exit(h.bench_main(__doc__, run, {"app": _app}, "huge_messages", TITLE))
