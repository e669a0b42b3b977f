"""Benchmark: Web Messaging responsiveness: key press -> next frame while the bot streams rich content.

Method (as `responsiveness.py`, on Web Messaging)
- The full app runs headless in a fresh process, joined through its join form on Web Messaging (the
  direct-to-agent deployment, see `_app.joined_messaging_app`). Every frame is observed and ANSI-encoded.
- The stream: a thread posts, through the control API, 2 messages per second (the service's per-session
  rate) for `duration` s, cycling through quick replies, a card, a carousel of three cards, a date picker, a
  list picker and plain text: every message but the text one is drawn as rows of choices.
- A key is posted through the app's driver into the focused message input every 50-150 ms; its latency is
  post -> the first frame in which the input's text has changed. p99 per run; the target is judged on the
  median of the per-run p99s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks import _harness as h

MODULE = "benchmarks.messaging_responsiveness"
TITLE = "Web Messaging responsiveness (rich stream)"
RICH = (
    ("quickreplies", {"text": "Pick one", "replies": ["Yes", "No", "Maybe later"], "bot": True}),
    ("card", {"bot": True}),
    ("carousel", {"bot": True}),
    ("datepicker", {"bot": True}),
    ("listpicker", {"bot": True}),
    ("messages", {"text": "Plain text between the rich ones, to keep the mix realistic", "bot": True}),
)


class Stream:
    """Posts rich content at `rate` messages per second for `duration` s, on schedule, from a thread."""

    def __init__(self, info: dict[str, Any], token: str, rate: float, duration: float) -> None:
        self.control = h.control_for(info)
        self.token, self.rate, self.duration = token, rate, duration
        self.sent = 0
        self.late = 0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            sid = str(self.control.messaging_session_for(self.token)["id"])
            total = int(self.rate * self.duration)
            start = time.perf_counter()
            for i in range(total):
                delay = start + i / self.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                elif delay < -0.05:
                    self.late += 1
                what, body = RICH[i % len(RICH)]
                self.control.messaging_agent(sid, what, body)
                self.sent += 1
        except BaseException as exc:  # reported by join()
            self.error = exc

    def start(self) -> None:
        """Start streaming."""
        self._thread.start()

    @property
    def running(self) -> bool:
        """Still streaming."""
        return self._thread.is_alive()

    def join(self) -> None:
        """Wait for the stream; re-raise its error."""
        self._thread.join(self.duration + 60)
        self.control.close()
        if self.error is not None:
            raise self.error


async def _app(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: the app under the rich stream."""
    from benchmarks import _app

    info, rate, duration = params["info"], float(params["rate"]), float(params["duration"])
    rng = random.Random(1234)
    tokens = Path(tempfile.mkdtemp(prefix="bench-msg-resp-")) / "tokens.json"
    async with _app.joined_messaging_app(info, tokens) as chat:
        chat.composer_input.focus()
        await chat.probe.next_frame()
        stream = Stream(info, chat.conversation_id, rate, duration)
        offers0 = sum(1 for e in chat.log.entries if e.choices)
        stream.start()
        keys = await chat.typist(rng).while_running(lambda: stream.running, clear_at=200)
        stream.join()
        await asyncio.sleep(0.5)
        await chat.probe.next_frame()
        offers = sum(1 for e in chat.log.entries if e.choices) - offers0
    if not keys:
        raise h.BenchError("no key samples")
    return {
        **h.latency_summary(keys),
        "sent": stream.sent,
        "late": stream.late,
        "offers": offers,
    }


def run(args: argparse.Namespace, result: h.BenchResult) -> None:
    """One emulator; per run a fresh app process."""
    rate, duration = (2.0, 1.5) if args.quick else (2.0, 30.0)
    runs = h.run_fresh_workers(
        result,
        MODULE,
        "app",
        {"rate": rate, "duration": duration},
        config=h.AGENT_ON,
        timeout=duration + 240,
    )

    col = partial(h.column, runs)

    result.notes.append(
        f"Web Messaging: {rate:.0f} rich messages/s for {duration:.0f} s (quick replies, card, carousel, "
        "date picker, list picker, text); app at 120x40 headless; key -> first frame with the new character"
    )
    result.notes.append(
        "stream: "
        + ", ".join(f"{r['sent']} sent ({r['late']} late), {r['offers']} rows of choices" for r in runs)
    )
    result.figures += [
        h.Figure("during the rich stream: key -> frame p50", "ms", col("p50_ms")),
        h.Figure("during the rich stream: key -> frame p99", "ms", col("p99_ms")),
        h.Figure("during the rich stream: key -> frame max", "ms", col("max_ms")),
        h.Figure("key samples", "keys", col("samples"), "higher"),
    ]
    result.targets.append(
        h.make_target("messaging_responsiveness_key_p99_ms", h.median(col("p99_ms")), "ms", "<=", 100)
    )


if __name__ == "__main__":
    sys.exit(h.bench_main(__doc__, run, {"app": _app}, "messaging_responsiveness", TITLE))
