"""Benchmark: the guest swarm. One client process drives 1,000 Web Messaging guests (`webchat-tui swarm`'s
`Swarm`, our `MessagingSession`s on one event loop) for 60 s, each saying a line every 5 s (200 msg/s),
against the emulator in another process.

Method
- The emulator runs in its own process (agents on, time scale 1: the direct deployment's agent answers every
  line after typing, so the emulator also sends ~200 replies/s and their typing events).
- One fresh client process runs `webchat_tui.swarm.swarm.Swarm`: guests start over a 20 s ramp-up (50 new
  sessions a second), then 60 s of steady load (duration = ramp-up + 60 s). Delivery latency: `send()` until
  the service's echo (the session's own path), judged over the steady 60 s (the whole run's p99, connection
  storm included, is shown too). Lost / duplicated: every guest line carries a unique tag, looked up in the
  emulator's record of each session after the run (control API).
- Client CPU: the client process's CPU time over the steady 60 s (after the ramp-up), per guest; the most
  guests one client core holds at this rate = guests / (that CPU as a fraction of one core).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from functools import partial
from typing import Any

from benchmarks import _harness as h

MODULE = "benchmarks.swarm_capacity"
TITLE = "Swarm: 1,000 guests, one process"


def worker_swarm(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: the swarm in this process."""
    from webchat_tui import event_loop

    return event_loop.run(_swarm(params))


async def _swarm(params: dict[str, Any]) -> dict[str, Any]:
    from webchat_tui.emulator.control_client import ControlClient
    from webchat_tui.swarm.swarm import Swarm, SwarmConfig
    from webchat_tui.swarm.target import endpoint_for_emulator

    info = params["info"]
    ramp, steady = float(params["ramp_up"]), float(params["steady"])
    endpoint = endpoint_for_emulator(info, "messaging", "direct")
    config = SwarmConfig(
        endpoint,
        guests=int(params["guests"]),
        ramp_up=ramp,
        duration=ramp + steady,
        say_every=float(params["say_every"]),
        seed=1,
    )
    cpu: dict[str, float] = {}
    steady_ms: list[float] = []

    async def sample(swarm: Swarm) -> None:
        settle = min(2.0, steady / 4)
        await asyncio.sleep(ramp + settle)
        cpu["start"], cpu["start_wall"] = time.process_time(), time.monotonic()
        server0 = h.cpu_seconds(params["server_pid"])
        first, sent0 = len(swarm.stats.delivery.samples), swarm.stats.sent
        await asyncio.sleep(steady - settle)
        cpu["end"], cpu["end_wall"] = time.process_time(), time.monotonic()
        cpu["server"] = h.cpu_seconds(params["server_pid"]) - server0
        # a machine too busy to deliver anything in the window (the smoke test's parallel --quick runs):
        # the whole run's samples, so the figure still exists
        steady_ms.extend(swarm.stats.delivery.samples[first:] or swarm.stats.delivery.samples)
        cpu["sent"] = swarm.stats.sent - sent0

    with ControlClient.from_info(info, timeout=60.0) as control:
        swarm = Swarm(config, control=control)
        sampler = asyncio.create_task(sample(swarm))
        summary = await swarm.run()
        await sampler
    wall = cpu["end_wall"] - cpu["start_wall"]
    client_core = (cpu["end"] - cpu["start"]) / wall
    guests = summary["guests"] - summary["guest_states"]["failed"]
    return {
        **summary,
        "steady_msgs_per_s": cpu["sent"] / wall,
        "steady_delivery_p50_ms": h.percentile(steady_ms, 50),
        "steady_delivery_p99_ms": h.percentile(steady_ms, 99),
        "client_core_fraction": client_core,
        "server_core_fraction": cpu["server"] / wall,
        "cpu_ms_per_guest_s": 1000 * client_core / max(1, guests),
        "guests_per_core": guests / client_core if client_core > 0 else float("nan"),
    }


def run(args: argparse.Namespace, result: h.BenchResult) -> None:
    """One emulator process; per run reset it and start a fresh client process."""
    guests, ramp, steady, every = (5, 0.5, 10.0, 1.0) if args.quick else (1000, 20.0, 60.0, 5.0)
    result.notes.append(
        f"{guests} Web Messaging guests in one client process, a line every {every:g} s each "
        f"({guests / every:,.0f} msg/s offered), {ramp:g} s ramp-up then {steady:g} s measured; "
        "the agent answers every line (time scale 1)."
    )
    runs = h.run_fresh_workers(
        result,
        MODULE,
        "swarm",
        {"guests": guests, "ramp_up": ramp, "steady": steady, "say_every": every},
        config={**h.AGENT_ON, "timeScale": 1.0},
        timeout=ramp + steady + 300,
    )

    col = partial(h.column, runs)

    result.figures += [
        h.Figure("lines said per second (steady load)", "msg/s", col("steady_msgs_per_s"), "higher"),
        h.Figure("delivery latency p50 (send -> echo, steady)", "ms", col("steady_delivery_p50_ms")),
        h.Figure("delivery latency p99 (send -> echo, steady)", "ms", col("steady_delivery_p99_ms")),
        h.Figure("delivery latency p99 (whole run, ramp-up included)", "ms", col("delivery_p99_ms")),
        h.Figure("connect p99 (config, socket, configureSession)", "ms", col("connect_p99_ms")),
        h.Figure("messages lost (vs emulator record)", "msgs", col("lost")),
        h.Figure("messages duplicated", "msgs", col("duplicated")),
        h.Figure("errors", "count", col("errors")),
        h.Figure("client CPU (steady load)", "% of 1 core", [100 * v for v in col("client_core_fraction")]),
        h.Figure("server CPU (steady load)", "% of 1 core", [100 * v for v in col("server_core_fraction")]),
        h.Figure("client CPU per guest", "ms CPU/s", col("cpu_ms_per_guest_s")),
        h.Figure("guests one client core holds at this rate", "guests", col("guests_per_core"), "higher"),
    ]
    for r in runs:
        if r["errors_by_kind"]:
            result.notes.append(f"errors: {r['errors_by_kind']}")
    result.targets += [
        h.make_target("swarm_lost_messages", max(col("lost")), "msgs", "==", 0),
        h.make_target("swarm_duplicated_messages", max(col("duplicated")), "msgs", "==", 0),
        h.make_target("swarm_delivery_p99_ms", h.median(col("steady_delivery_p99_ms")), "ms", "<=", 100),
    ]


if __name__ == "__main__":
    sys.exit(h.bench_main(__doc__, run, {"swarm": worker_swarm}, "swarm_capacity", TITLE))
