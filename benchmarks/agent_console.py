"""Benchmark: the agent console stays responsive while a workshop room of guests chats (issue 13).

Method
- One emulator process in human-agent mode. The console (`AgentApp`) runs headless in a fresh process with a
  `FrameProbe` (every frame ANSI-encoded, as in `responsiveness.py`), on its own control client and feed.
- A guest process starts `guests` Web Chat v2 guests (`ChatSession`, the same client the guest app and so
  every browser tab of `webchat-tui serve` uses); they wait at the desk. The console takes every one of them
  (one tab each, as a trainer would), then the guests chat: each sends a message every `gap` seconds with a
  typing signal before it, for `duration` seconds (40 guests at 2 s: 20 messages and 20 typing events per
  second reach the console through its feed).
- Meanwhile keys are typed into the composer of the console's active tab at random 50-150 ms gaps; latency
  is key posted -> the first frame in which the composer's text changed. p99 per run; the target is judged
  on the median of the per-run p99s (key -> frame p99 <= 100 ms while 40 guests chat).
- What is not modelled: the browsers and textual-serve's app processes themselves (40 of them would need a
  bigger machine than the console's); the guests here make the same API calls their apps make.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from functools import partial
from typing import Any

from benchmarks import _harness as h

MODULE = "benchmarks.agent_console"
SIZE = (120, 40)


async def _guests(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: the room: `guests` chatting guests."""
    from webchat_tui.api import ChatSession, GuestMemberInfo, SessionState, WebChatClient

    info = params["info"]
    count, duration, gap = int(params["guests"]), float(params["duration"]), float(params["gap"])
    rng = random.Random(7)
    async with WebChatClient(base_url=info["base_url"]) as client:
        sessions = [ChatSession(client) for _ in range(count)]
        await asyncio.gather(
            *(
                s.start(
                    organization_id=info["organization_id"],
                    deployment_id=info["deployment_id"],
                    queue="Support",
                    member_info=GuestMemberInfo(display_name=f"Trainee {i + 1}"),
                )
                for i, s in enumerate(sessions)
            )
        )
        print("WAITING", flush=True)  # the console may take them now
        await asyncio.gather(
            *(s.wait_until(lambda x: x.state is SessionState.CONNECTED, 300) for s in sessions)
        )
        await asyncio.to_thread(sys.stdin.readline)  # "go": the console has opened every tab
        sent = [0]

        async def chat(session: Any, index: int) -> None:
            await asyncio.sleep(rng.uniform(0, gap))
            end = time.perf_counter() + duration
            while time.perf_counter() < end:
                await session.typing()
                await asyncio.sleep(0.3)
                await session.send(f"Trainee {index + 1} asks question {sent[0] + 1}")
                sent[0] += 1
                await asyncio.sleep(max(0.0, gap - 0.3))

        started = time.perf_counter()
        await asyncio.gather(*(chat(s, i) for i, s in enumerate(sessions)))
        elapsed = time.perf_counter() - started
        for s in sessions:
            await s.close()
    return {"sent": sent[0], "elapsed_s": elapsed, "rate": sent[0] / elapsed}


async def _console(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: the console under the room's chatter."""
    from benchmarks._tui_probe import FrameProbe, Typist
    from webchat_tui.tui.agent.app import AgentApp
    from webchat_tui.tui.agent.backend import DeskBackend

    info = params["info"]
    count = int(params["guests"])
    app = AgentApp(DeskBackend(h.control_for(info), "Bench Trainer"))
    probe = FrameProbe(app)
    rng = random.Random(1234)
    async with app.run_test(size=SIZE) as pilot:
        room = h.spawn_worker(MODULE, "guests", params, cpu=h.SERVER_CPU, stdin=True)
        took = time.perf_counter()
        desk = app.desk
        deadline = time.perf_counter() + 300
        while len(desk.table.entries) < count:
            if room.poll() is not None or time.perf_counter() > deadline:
                raise h.BenchError(f"only {len(desk.table.entries)} of {count} guests waiting")
            await asyncio.sleep(0.05)
        for key in list(desk.table.entries):
            desk.take(key)
        while len(desk.panes) < count or any(not p.is_mounted for p in desk.panes.values()):
            if time.perf_counter() > deadline:
                raise h.BenchError(f"only {len(desk.panes)} tabs open")
            await asyncio.sleep(0.05)
        await pilot.pause()
        tabs_s = time.perf_counter() - took
        assert room.stdin is not None
        room.stdin.write("go\n")
        room.stdin.flush()
        profiler = None
        if params.get("profile_to"):  # for PROFILES.md: where the console's time goes while the room chats
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        from textual.widgets import TabbedContent

        from webchat_tui.tui.agent.screens.desk import tab_id

        key, pane = list(desk.panes.items())[-1]
        desk.query_one(TabbedContent).active = tab_id(key)  # the takes finished in any order
        box = pane.composer
        box.focus()
        await probe.next_frame()
        if app.focused is not box:
            raise h.BenchError(f"composer not focused ({app.focused!r})")
        await probe.next_frame()

        def clear() -> None:
            box.value = ""

        typist = Typist(app, probe, lambda: str(box.value), clear, rng)
        samples = await typist.while_running(lambda: room.poll() is None, clear_at=61)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(params["profile_to"])
        reply = h.worker_reply(room, "guest process")
        if not samples:
            raise h.BenchError("the room finished before any key was measured")
        shown = sum(1 for p in desk.panes.values() for e in p.log_view.entries if e.role == "customer")
    return {
        **h.latency_summary(samples),
        "sent": reply["sent"],
        "rate": reply["rate"],
        "shown": shown,
        "frames": probe.frames,
        "setup_s": tabs_s,
    }


def run(args: argparse.Namespace, result: h.BenchResult) -> None:
    """One emulator (human agents); per run a fresh console process, which starts the room's process."""
    guests, duration, gap = (5, 2.0, 1.0) if args.quick else (40, 20.0, 2.0)
    runs = h.run_fresh_workers(
        result,
        MODULE,
        "console",
        {"guests": guests, "duration": duration, "gap": gap},
        config={"timeScale": 1.0, "idleTimeout": 10_000_000},
        timeout=duration + 400,
        prepare=lambda emu: emu.control.set_agents(mode="human"),
    )

    col = partial(h.column, runs)

    result.notes.append(
        f"{guests} Web Chat v2 guests (ChatSession, one process) all taken by the console (one tab "
        f"each), each typing then sending a message every {gap:.0f} s for {duration:.0f} s; console "
        "120x40 headless, every frame ANSI-encoded; key -> first frame showing the new character in the "
        "active tab's composer"
    )
    result.notes.append(
        "room achieved: "
        + ", ".join(f"{r['rate']:.1f} msg/s ({r['sent']} sent, {r['shown']} shown in tabs)" for r in runs)
    )
    result.figures += [
        h.Figure(f"{guests} guests chatting: console key -> frame p50", "ms", col("p50_ms")),
        h.Figure(f"{guests} guests chatting: console key -> frame p99", "ms", col("p99_ms")),
        h.Figure(f"{guests} guests chatting: console key -> frame max", "ms", col("max_ms")),
        h.Figure("key samples", "keys", col("samples"), "higher"),
        h.Figure("guest messages per second", "msg/s", col("rate"), "higher"),
        h.Figure(f"{guests} guests arrive until every tab is open (not a target)", "s", col("setup_s")),
    ]
    result.targets.append(h.make_target("agent_console_key_p99_ms", h.median(col("p99_ms")), "ms", "<=", 100))


WORKERS = {"console": _console, "guests": _guests}

if __name__ == "__main__":
    sys.exit(h.bench_main(__doc__, run, WORKERS, "agent_console", "Agent console under a workshop room"))
