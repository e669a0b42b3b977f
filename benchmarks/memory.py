"""Benchmark 3: memory: resident memory of the app with 100,000 messages in the pane, and bytes per message.

Method
- The full app runs headless in a fresh process, joined to a chat on the emulator process through its join
  form (see `_app.py`).
- The emulator pushes 100,000 agent messages as 10 bursts of 10,000 (`count=10000`, ~90-character bodies);
  each burst is waited for until its last message is on screen, then the process's RSS (/proc/self/status
  VmRSS) is sampled after `gc.collect()` (so the figure is what is held, not garbage waiting for the
  collector).
- RSS after 100,000 = the target figure. Bytes per message = least-squares slope of RSS over the 10 samples
  (so the app's fixed start-up memory is excluded). "Text itself" = the average UTF-8 size of a body; the
  ratio says how much the app holds per message beyond its text.
- An object-size estimate (deep `sys.getsizeof` over a sample of 1,000 messages, shared objects counted once)
  splits the per-message cost between the session's `ChatMessage` list and the pane's entries + lines.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
from functools import partial
from typing import Any

from benchmarks import _harness as h

MODULE = "benchmarks.memory"
TITLE = "3. Memory (100,000 messages in the pane)"
BODY = "Memory benchmark message from the agent, about ninety characters long so it fits one line"


def deep_size(objects: list[Any], seen: set[int] | None = None) -> int:
    """Approximate deep size of `objects` (containers, slots and __dict__ followed; each object once)."""
    seen = set() if seen is None else seen
    total = 0
    stack = list(objects)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, bool | int | float) and -5 <= obj <= 256:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, str | bytes):
            continue
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        else:
            for slot in getattr(type(obj), "__slots__", ()):
                if hasattr(obj, slot):
                    stack.append(getattr(obj, slot))
            if hasattr(obj, "__dict__"):
                stack.append(obj.__dict__)
    return total


def _slope(xs: list[float], ys: list[float]) -> float:
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mean_x) ** 2 for x in xs)
    return (
        sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / den if den else float("nan")
    )


async def _app(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: the app filled with `bursts * burst` messages."""
    from benchmarks import _app
    from benchmarks._burst import webchat_burst

    info, bursts, size = params["info"], int(params["bursts"]), int(params["burst"])
    async with _app.joined_app(info) as chat:
        gc.collect()
        rss_join = h.rss_bytes()
        counts: list[float] = []
        samples: list[float] = []
        body_bytes = 0
        for idx in range(bursts):
            marker = f"{BODY} b{idx}"
            trigger = webchat_burst(info, chat.conversation_id, marker, size)
            trigger.start()
            await chat.probe.frame_where(
                lambda marker=marker: chat.pane_has_last(size) and chat.last_body().startswith(marker),
                timeout=300,
            )
            trigger.join()
            gc.collect()
            counts.append((idx + 1) * size)
            samples.append(float(h.rss_bytes()))
        held = len(chat.session.messages)
        entries = len(chat.log.entries)
        lines = chat.log.line_count
        burst_messages = [m for m in chat.session.messages[-1000:]]
        body_bytes = sum(len(m.body.encode()) for m in burst_messages) / len(burst_messages)
        session_part = deep_size(burst_messages) / len(burst_messages)
        log_entries = chat.log.entries[-1000:]
        log_lines = chat.log._lines[-1000:]
        pane_part = (deep_size(list(log_entries)) + deep_size(list(log_lines))) / len(log_entries)
        on_screen = chat.on_screen(rf"#{size}(?!\d)")
        rss_final = h.rss_bytes()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    mb = 1024 * 1024
    return {
        "rss_join_mb": rss_join / mb,
        "rss_final_mb": rss_final / mb,
        "rss_peak_mb": peak / mb,
        "bytes_per_msg": _slope(counts, samples),
        "growth_per_msg": (samples[-1] - rss_join) / counts[-1],
        "body_bytes": body_bytes,
        "session_obj_bytes": session_part,
        "pane_obj_bytes": pane_part,
        "held": held,
        "entries": entries,
        "lines": lines,
        "last_on_screen": on_screen,
        "samples_mb": [s / mb for s in samples],
    }


def run(args: argparse.Namespace, result: h.BenchResult) -> None:
    """One emulator; a fresh app process per run."""
    bursts, size = (2, 500) if args.quick else (10, 10_000)
    total = bursts * size
    runs = h.run_fresh_workers(
        result,
        MODULE,
        "app",
        {"bursts": bursts, "burst": size},
        config=h.AGENT_OFF,
        timeout=600,
    )

    col = partial(h.column, runs)

    for r in runs:
        if not r["last_on_screen"] or r["held"] < total:
            raise h.BenchError(f"run did not end with all {total} messages shown: {r}")
    result.notes.append(
        f"{total:,} messages as {bursts} bursts of {size:,}; RSS sampled after gc.collect() "
        "once each burst's last message is on screen; app at 120x40"
    )
    result.notes.append(
        "RSS after each burst (MB), first run: " + ", ".join(f"{v:.0f}" for v in runs[0]["samples_mb"])
    )
    result.notes.append(
        f"held at the end: {runs[0]['held']:,} session messages, {runs[0]['entries']:,} pane "
        f"entries, {runs[0]['lines']:,} pane lines"
    )
    result.figures += [
        h.Figure("RSS after joining (before messages)", "MB", col("rss_join_mb")),
        h.Figure(f"RSS with {total:,} messages in the pane", "MB", col("rss_final_mb")),
        h.Figure("peak RSS (ru_maxrss)", "MB", col("rss_peak_mb")),
        h.Figure("RSS growth per message (slope over the bursts)", "B/msg", col("bytes_per_msg")),
        h.Figure("message body size (the text itself, UTF-8)", "B/msg", col("body_bytes")),
        h.Figure("per message: session ChatMessage objects (deep size)", "B/msg", col("session_obj_bytes")),
        h.Figure("per message: pane entry + lines (deep size)", "B/msg", col("pane_obj_bytes")),
    ]
    ratio = [r["bytes_per_msg"] / r["body_bytes"] for r in runs]
    result.figures.append(h.Figure("RSS growth per message / body size", "x", ratio))
    result.targets += [
        h.make_target("memory_rss_100k_mb", h.median(col("rss_final_mb")), "MB", "<=", 250),
        h.make_target("memory_bytes_per_message", h.median(col("bytes_per_msg")), "B/msg", "<=", 2048),
    ]
    result.notes.append(
        "bytes-per-message target (<= 2,048 B): the 250 MB budget minus the app's ~50 MB start-up "
        "memory, spread over 100,000 messages; a widget per message would cost 26-70 KB "
        "(performance-baseline.md)"
    )


if __name__ == "__main__":
    sys.exit(h.bench_main(__doc__, run, {"app": _app}, "memory", TITLE))
