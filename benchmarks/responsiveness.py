"""Benchmark 2: responsiveness: key press -> next rendered frame, while the agent streams and after a burst.

Method
- The full app runs headless in a fresh process, joined to a chat on the emulator process through its join
  form (see `_app.py`). Every frame is observed and ANSI-encoded (`_tui_probe.py`).
- A key is posted through the app's driver (as a terminal's input thread does) into the focused message input;
  its latency is post -> the first frame in which the input's text has changed.
- Idle: 10 keys before anything streams (reference).
- Stream: a separate agent process posts one agent message every 10 ms (100 msg/s) through the control API for
  20 s, on a fixed schedule. Meanwhile a key is pressed every 50-150 ms (random gaps, ~130 samples per run).
- After a burst: once the stream has been rendered, the emulator pushes a 10,000-message burst; one key is
  pressed 50 ms into the burst (informational), and as soon as the burst's last message reaches the session
  (the socket side is over, the UI is still catching up) keys are pressed back to back for 1 s.
- p99 per run; the target is judged on the median of the per-run p99s.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sys
import time
from functools import partial
from typing import Any

from benchmarks import _harness as h

MODULE = "benchmarks.responsiveness"
TITLE = "2. Responsiveness (key -> frame)"
STREAM_BODY = "Streaming from the agent at one hundred messages per second, to see typing stay responsive"
BURST_BODY = "Burst after the stream: ten thousand agent messages pushed as fast as the emulator can go"


def worker_stream(params: dict[str, Any]) -> dict[str, Any]:
    """Agent side: one control-API message every 1/rate s for `duration` s (keep-alive HTTP, on schedule)."""
    control = h.control_for(params["info"])
    rate, duration = float(params["rate"]), float(params["duration"])
    total = int(rate * duration)
    start = time.perf_counter()
    late = 0
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        elif delay < -0.005:
            late += 1
        control.agent_messages(params["cid"], f"{STREAM_BODY} {i + 1}/{total}")
    elapsed = time.perf_counter() - start
    control.close()
    return {"sent": total, "elapsed_s": elapsed, "rate": total / elapsed, "late": late}


async def _app(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: the app under a stream and a burst."""
    from benchmarks import _app
    from benchmarks._burst import webchat_burst
    from webchat_tui.api.session_types import MessagesAdded, SessionEvent

    info = params["info"]
    rate, duration, burst = float(params["rate"]), float(params["duration"]), int(params["burst"])
    rng = random.Random(1234)
    async with _app.joined_app(info) as chat:
        chat.composer_input.focus()
        await chat.probe.next_frame()
        if chat.app.focused is not chat.composer_input:
            raise h.BenchError(f"message input not focused ({chat.app.focused!r})")
        typist = chat.typist(rng)
        idle = []
        for _ in range(10):
            idle.append(await typist.key())
            await asyncio.sleep(0.05)
        await typist.clear()

        # --- the stream: an agent process posting 100 msg/s; keys at random 50-150 ms gaps
        gc_pauses: list[tuple[int, float]] = []
        gc_started = [0.0]

        def on_gc(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                gc_started[0] = time.perf_counter()
            else:
                gc_pauses.append((info["generation"], time.perf_counter() - gc_started[0]))

        gc.callbacks.append(on_gc)
        stream = {"cid": chat.conversation_id, "rate": rate, "duration": duration, "info": info}
        streamer = h.spawn_worker(MODULE, "stream", stream, cpu=h.SERVER_CPU)
        total = int(rate * duration)
        last_stream = f" {total}/{total}"
        stream_keys = await typist.while_running(lambda: streamer.poll() is None, clear_at=200)
        stream_reply = h.worker_reply(streamer, "stream process")
        gc.callbacks.remove(on_gc)
        full_gcs = [dt for gen, dt in gc_pauses if gen == 2]
        await chat.probe.frame_where(lambda: chat.last_body().endswith(last_stream), timeout=60)
        stream_rendered = sum(1 for m in chat.session.messages if m.body.startswith(STREAM_BODY))
        await typist.clear()

        # --- the burst: one key 50 ms in, then keys back to back from when the session has it all
        arrived = asyncio.Event()
        marker = f"{BURST_BODY} #{burst}"

        def on_event(event: SessionEvent) -> None:
            if isinstance(event, MessagesAdded) and event.messages[-1].body == marker:
                arrived.set()

        unsubscribe = chat.session.subscribe(on_event)
        trigger = webchat_burst(info, chat.conversation_id, BURST_BODY, burst)
        t0 = trigger.start()
        rendered_task = asyncio.ensure_future(
            chat.probe.frame_where(lambda: chat.pane_has_last(burst), timeout=120)
        )
        await asyncio.sleep(0.05)
        during = await typist.key()
        await asyncio.wait_for(arrived.wait(), 120)
        t_arrived = time.perf_counter()
        after: list[float] = []
        while time.perf_counter() - t_arrived < 1.0:
            after.append(await typist.key())
        rendered = await rendered_task
        trigger.join()
        unsubscribe()
    ms = 1000.0
    return {
        "idle_p50_ms": h.percentile(idle, 50) * ms,
        **h.latency_summary(stream_keys, "stream_"),
        "stream_sent": stream_reply["sent"],
        "stream_rate": stream_reply["rate"],
        "stream_late": stream_reply["late"],
        "stream_rendered": stream_rendered,
        "stream_gen2_count": len(full_gcs),
        "stream_gen2_max_ms": max(full_gcs, default=0.0) * ms,
        "stream_gen2_total_ms": sum(full_gcs) * ms,
        "during_burst_ms": during * ms,
        **h.latency_summary(after, "after_"),
        "burst_arrived_s": t_arrived - t0,
        "burst_rendered_s": rendered - t0,
    }


def run(args: argparse.Namespace, result: h.BenchResult) -> None:
    """One emulator; per run a fresh app process (which starts its own agent-stream process)."""
    rate, duration, burst = (100.0, 1.5, 300) if args.quick else (100.0, 20.0, 10_000)
    runs = h.run_fresh_workers(
        result,
        MODULE,
        "app",
        {"rate": rate, "duration": duration, "burst": burst},
        config=h.AGENT_OFF,
        timeout=duration + 240,
    )

    col = partial(h.column, runs)

    result.notes.append(
        f"stream {rate:.0f} msg/s for {duration:.0f} s, then a {burst:,}-message burst; app at "
        "120x40 headless, every frame ANSI-encoded; key -> first frame showing the new character"
    )
    result.notes.append(
        "stream achieved: "
        + ", ".join(
            f"{r['stream_rate']:.1f} msg/s ({r['stream_late']} late sends, {r['stream_rendered']} rendered)"
            for r in runs
        )
    )
    result.figures += [
        h.Figure("idle key -> frame p50", "ms", col("idle_p50_ms")),
        h.Figure("during 100 msg/s stream: key -> frame p50", "ms", col("stream_p50_ms")),
        h.Figure("during 100 msg/s stream: key -> frame p99", "ms", col("stream_p99_ms")),
        h.Figure("during 100 msg/s stream: key -> frame max", "ms", col("stream_max_ms")),
        h.Figure("during stream: key samples", "keys", col("stream_samples"), "higher"),
        h.Figure("during stream: full (gen 2) GC collections", "count", col("stream_gen2_count")),
        h.Figure("during stream: longest full GC pause", "ms", col("stream_gen2_max_ms")),
        h.Figure("during stream: time in full GC pauses", "ms", col("stream_gen2_total_ms")),
        h.Figure("key 50 ms into the burst -> frame", "ms", col("during_burst_ms")),
        h.Figure("right after the burst: key -> frame p50", "ms", col("after_p50_ms")),
        h.Figure("right after the burst: key -> frame p99", "ms", col("after_p99_ms")),
        h.Figure("after burst: key samples (1 s back to back)", "keys", col("after_samples"), "higher"),
        h.Figure("burst: all messages in the session", "s", col("burst_arrived_s")),
        h.Figure("burst: last message rendered", "s", col("burst_rendered_s")),
    ]
    result.targets += [
        h.make_target("responsiveness_stream_key_p99_ms", h.median(col("stream_p99_ms")), "ms", "<=", 100),
        h.make_target(
            "responsiveness_after_burst_key_p99_ms", h.median(col("after_p99_ms")), "ms", "<=", 150
        ),
    ]


if __name__ == "__main__":
    sys.exit(h.bench_main(__doc__, run, {"app": _app, "stream": worker_stream}, "responsiveness", TITLE))
