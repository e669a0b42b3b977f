"""Observe a headless Textual app's frames honestly, and type into it the way a terminal driver does.

Headless Textual (`run_test`) still runs the compositor for every screen update but skips the ANSI encoding
and the terminal write in `App._display`. `FrameProbe` wraps `_display` on the app instance so that every
frame also pays `render_segments()` (the encoding step, as `performance-baseline.md` did), counts frames, and
lets a benchmark wait for "the first frame at which <condition> holds". Only the pty write and the terminal's
own parsing are missing.

`press_key` posts a `Key` event through the app's driver (`driver.send_message`, what a real terminal driver
does from its input thread), without `Pilot.press`'s wait-for-idle, so a benchmark can time key -> next frame
under load; `Typist` does that for the responsiveness benchmarks (random letters at random gaps).
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Callable
from typing import Any


class FrameProbe:
    """Frame hook for one app: counts frames, encodes them, resolves waits at the first matching frame."""

    def __init__(self, app: Any) -> None:
        from textual._compositor import CompositorUpdate

        self.app = app
        self.frames = 0
        self.last_frame = 0.0
        self.encode_seconds = 0.0
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []
        original = app._display

        def _display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None or app._batch_count:
                return
            now = time.perf_counter()
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)
            self.encode_seconds += time.perf_counter() - now
            self.frames += 1
            self.last_frame = now
            if self._waiters:
                self._resolve(now)

        app._display = _display

    def _resolve(self, frame_time: float) -> None:
        keep = []
        for condition, future in self._waiters:
            if future.done():
                continue
            try:
                hit = condition()
            except Exception as exc:  # surface a broken condition instead of hanging
                future.set_exception(exc)
                continue
            if hit:
                future.set_result(frame_time)
            else:
                keep.append((condition, future))
        self._waiters = keep

    async def frame_where(self, condition: Callable[[], bool], timeout: float = 30.0) -> float:
        """perf_counter time of the first frame (from now on) at which `condition()` is true."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append((condition, future))
        return await asyncio.wait_for(future, timeout)

    async def next_frame(self, timeout: float = 30.0) -> float:
        """perf_counter time of the next frame."""
        return await self.frame_where(lambda: True, timeout)


def screen_text(app: Any) -> str:
    """The whole screen as plain text, rendered from the compositor's current state (for verification)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def text_on_screen(app: Any, pattern: str) -> bool:
    """Whether `pattern` (a regex) appears on the rendered screen."""
    return re.search(pattern, screen_text(app)) is not None


def press_key(app: Any, key: str, character: str | None = None) -> float:
    """Post one key event through the driver (as a terminal would); returns perf_counter at posting."""
    from textual import events

    char = key if character is None and len(key) == 1 else character
    event = events.Key(key, char)
    event.set_sender(app)
    posted = time.perf_counter()
    app._driver.send_message(event)
    return posted


KEYS = "abcdefghijklmnopqrstuvwxyz"
"""What the responsiveness benchmarks type: one random letter per key."""


class Typist:
    """Types random letters into one text field of a headless app and times each key -> frame.

    `text()` reads the field, `clear()` empties it; latency is the key's posting -> the first frame in which
    the field's text has changed.
    """

    def __init__(
        self,
        app: Any,
        probe: FrameProbe,
        text: Callable[[], str],
        clear: Callable[[], None],
        rng: random.Random,
    ) -> None:
        self.app = app
        self.probe = probe
        self.text = text
        self._clear = clear
        self.rng = rng

    async def key(self, timeout: float = 30.0) -> float:
        """Press one random letter; seconds from posting it to the frame that shows it."""
        before = self.text()
        posted = press_key(self.app, self.rng.choice(KEYS))
        frame = await self.probe.frame_where(lambda: self.text() != before, timeout=timeout)
        return frame - posted

    async def clear(self) -> None:
        """Empty the field and wait for the frame that shows it."""
        self._clear()
        await self.probe.next_frame()

    async def while_running(self, running: Callable[[], bool], *, clear_at: int) -> list[float]:
        """A key at random 50-150 ms gaps as long as `running()`; each key's latency. The field is emptied
        whenever it reaches `clear_at` characters."""
        samples: list[float] = []
        while running():
            samples.append(await self.key())
            if len(self.text()) >= clear_at:
                await self.clear()
            await asyncio.sleep(self.rng.uniform(0.05, 0.15))
        return samples
