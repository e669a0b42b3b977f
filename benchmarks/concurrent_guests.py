"""Benchmark 7: concurrent guests: 50 guests sending and polling at once, ours on one event loop vs the
official SDK with a thread per guest (issue 12).

Method
- One emulator process, auto agent off. The harness creates the guests' conversations once (each with its
  websocket attached and drained in a thread, and an agent connected through the control API, as in
  `client_calls.py`); every variant and run uses the same conversations. That setup is not measured.
- Each variant and run is a fresh client process, variants interleaved run by run (A, B, C, A, B, C, ...):
  - ours: one `WebChatClient` per guest (each guest its own connection pool, as each chat of the app or the
    swarm has), all guests as tasks on ONE event loop. "ours" is what we ship for a loop we own (aiohttp wire,
    uvloop); the same code on the asyncio loop and on httpx's default transport are shown for comparison.
  - sdk: `PureCloudPlatformClientV2==258.0.0`, one thread per guest, each with its own `ApiClient` (its own
    urllib3 pool) carrying that guest's JWT as a default `Authorization` header (the SDK's `configuration` is
    a process-wide singleton, so the documented `api_key` setting cannot hold 50 different tokens).
- Every guest first makes 2 warm-up calls (connections open), then all start together (a barrier) and each
  runs K rounds of: send a message (`POST .../messages`, 80 characters), then poll it (`GET
  .../messages/{id}`). Figures: calls/s over the whole phase (all guests, from the start to the last guest
  done), client CPU per call (/proc, the whole process), per-call latency p50/p99, and, over the same phase,
  the emulator's CPU and how busy the whole machine was (other engineers' work included): when the emulator
  or the machine is saturated, calls/s measures them, not the client, and CPU per call is the client's figure.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from functools import partial
from typing import Any

from benchmarks import _harness as h
from benchmarks._calls import TEXT, Holder, Variant, http_transport, sdk_message, versus_sdk

MODULE = "benchmarks.concurrent_guests"
TITLE = "7. Concurrent guests (ours on one loop vs official SDK, a thread per guest)"
WARMUP = 2

# (key, worker, wire, loop, label). The first is what we ship ("ours" in the targets).
VARIANTS: tuple[Variant, ...] = (
    ("ours", "ours", "aiohttp", "uvloop", "ours: one event loop, httpx on aiohttp, uvloop"),
    ("aiohttp_asyncio", "ours", "aiohttp", "asyncio", "ours: one event loop, httpx on aiohttp, asyncio loop"),
    (
        "httpcore_asyncio",
        "ours",
        "httpcore",
        "asyncio",
        "ours: one event loop, httpx default transport, asyncio",
    ),
    ("sdk", "sdk", "", "", "official SDK 258.0.0: a thread per guest (urllib3)"),
)


class _Phase:
    """CPU of the emulator process and of the whole machine over the measured phase."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.server0 = h.cpu_seconds(server_pid)
        self.busy0, self.total0 = h.machine_cpu()

    def end(self, wall_s: float) -> dict[str, float]:
        busy1, total1 = h.machine_cpu()
        return {
            "server_cpu_pct": 100 * (h.cpu_seconds(self.server_pid) - self.server0) / wall_s,
            "machine_busy_pct": 100 * (busy1 - self.busy0) / max(total1 - self.total0, 1e-9),
        }


def _summary(latencies: list[float], wall_s: float, cpu_s: float, calls: int, guests: int) -> dict[str, Any]:
    return {
        "guests": guests,
        "calls": calls,
        "wall_s": wall_s,
        "rate": calls / wall_s,
        "p50_ms": h.percentile(latencies, 50) * 1000,
        "p99_ms": h.percentile(latencies, 99) * 1000,
        "cpu_ms_per_call": cpu_s * 1000 / calls,
        "cpu_pct_of_core": 100 * cpu_s / wall_s,
    }


async def _ours(params: dict[str, Any]) -> dict[str, Any]:
    from webchat_tui.api import WebChatClient

    base_url, guests, rounds = params["info"]["base_url"], params["guests"], int(params["rounds"])
    perf = time.perf_counter
    start = asyncio.Event()
    ready: list[None] = []
    latencies: list[float] = []

    async def guest(g: dict[str, str]) -> int:
        cid, mid = g["cid"], g["mid"]
        async with WebChatClient(base_url=base_url, http_transport=http_transport(params["wire"])) as client:
            client.set_guest_token(cid, g["jwt"])
            for i in range(WARMUP):
                msg = await client.post_webchat_guest_conversation_member_messages(cid, mid, f"{TEXT}w{i}")
                await client.get_webchat_guest_conversation_message(cid, msg.id)
            ready.append(None)
            await start.wait()
            for i in range(rounds):
                t = perf()
                msg = await client.post_webchat_guest_conversation_member_messages(cid, mid, f"{TEXT}{i}")
                t2 = perf()
                got = await client.get_webchat_guest_conversation_message(cid, msg.id)
                latencies.extend((t2 - t, perf() - t2))
                assert got.id == msg.id
        return 2 * rounds

    tasks = [asyncio.create_task(guest(g)) for g in guests]
    while len(ready) < len(guests):
        if any(t.done() for t in tasks):  # a guest failed during its warm-up: report it
            await asyncio.gather(*tasks)
        await asyncio.sleep(0.01)
    phase = _Phase(params["server_pid"])
    cpu0 = h.cpu_seconds()
    began = perf()
    start.set()
    calls = sum(await asyncio.gather(*tasks))
    wall = perf() - began
    cpu = h.cpu_seconds() - cpu0
    return {**_summary(latencies, wall, cpu, calls, len(guests)), **phase.end(wall)}


def worker_ours(params: dict[str, Any]) -> dict[str, Any]:
    """All guests on one event loop (`params["loop"]`: uvloop / asyncio) in this process."""
    from webchat_tui.event_loop import run

    return run(_ours(params), use_uvloop=params["loop"] == "uvloop")


def worker_sdk(params: dict[str, Any]) -> dict[str, Any]:
    """The official synchronous SDK, one thread (and one ApiClient) per guest."""
    import PureCloudPlatformClientV2 as pc

    base_url, guests, rounds = params["info"]["base_url"], params["guests"], int(params["rounds"])
    perf = time.perf_counter
    pc.configuration.host = base_url
    barrier = threading.Barrier(len(guests) + 1)
    latencies: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def guest(g: dict[str, str]) -> None:
        cid, mid = g["cid"], g["mid"]
        own: list[float] = []
        try:
            api = pc.WebChatApi(
                pc.ApiClient(host=base_url, header_name="Authorization", header_value=f"Bearer {g['jwt']}")
            )
            for i in range(WARMUP):
                msg = api.post_webchat_guest_conversation_member_messages(
                    cid, mid, sdk_message(pc, f"{TEXT}w{i}")
                )
                api.get_webchat_guest_conversation_message(cid, msg.id)
        except BaseException as exc:
            failures.append(exc)
            barrier.abort()
            raise
        barrier.wait()
        try:
            for i in range(rounds):
                t = perf()
                msg = api.post_webchat_guest_conversation_member_messages(
                    cid, mid, sdk_message(pc, f"{TEXT}{i}")
                )
                t2 = perf()
                got = api.get_webchat_guest_conversation_message(cid, msg.id)
                own += [t2 - t, perf() - t2]
                assert got.id == msg.id
        except BaseException as exc:
            failures.append(exc)
            raise
        with lock:
            latencies.extend(own)

    threads = [threading.Thread(target=guest, args=(g,), daemon=True) for g in guests]
    for thread in threads:
        thread.start()
    barrier.wait()
    phase = _Phase(params["server_pid"])
    cpu0 = h.cpu_seconds()
    began = perf()
    for thread in threads:
        thread.join()
    wall = perf() - began
    cpu = h.cpu_seconds() - cpu0
    if failures:
        raise RuntimeError(f"{len(failures)} guest thread(s) failed: {failures[0]!r}")
    return {**_summary(latencies, wall, cpu, 2 * rounds * len(guests), len(guests)), **phase.end(wall)}


def run(args: argparse.Namespace, result: h.BenchResult) -> None:
    """Create the guests once, then interleave the variants run by run against one emulator process."""
    guests, rounds = (4, 3) if args.quick else (50, 40)
    per: dict[str, list[dict[str, Any]]] = {key: [] for key, *_ in VARIANTS}
    with h.EmulatorProcess(time_scale=0.01) as emu:
        emu.reset(**h.AGENT_OFF)
        holders = [Holder(emu) for _ in range(guests)]
        try:
            guest_params = [holder.params() for holder in holders]
            for _ in range(result.runs):
                for key, worker, wire, loop, _label in VARIANTS:
                    params = {
                        "info": emu.params(),
                        "guests": guest_params,
                        "rounds": rounds,
                        "wire": wire,
                        "loop": loop,
                        "server_pid": emu.pid,
                    }
                    per[key].append(h.run_worker(MODULE, worker, params, timeout=600))
        finally:
            for holder in holders:
                holder.close()
    result.notes.append(
        f"{guests} guests at once, each {rounds} rounds of send + poll (GET the message) = "
        f"{2 * guests * rounds:,} calls per variant and run, after {WARMUP} warm-up rounds per guest; "
        "variants interleaved, fresh process each, same conversations"
    )
    for key, _worker, _wire, _loop, label in VARIANTS:
        col = partial(h.column, per[key])
        result.figures += [
            h.Figure(f"{label}: calls/s (all guests)", "calls/s", col("rate"), "higher"),
            h.Figure(f"{label}: call p50", "ms", col("p50_ms")),
            h.Figure(f"{label}: call p99", "ms", col("p99_ms")),
            h.Figure(f"{label}: client CPU per call", "ms", col("cpu_ms_per_call")),
            h.Figure(f"{label}: client CPU", "% of 1 core", col("cpu_pct_of_core")),
            h.Figure(f"{label}: emulator CPU meanwhile", "% of 1 core", col("server_cpu_pct")),
            h.Figure(f"{label}: whole machine busy meanwhile", "% of all cores", col("machine_busy_pct")),
            h.Figure(
                f"{label}: calls one client core holds (1 / CPU per call)",
                "calls/s",
                [1000 / v for v in col("cpu_ms_per_call")],
                "higher",
            ),
        ]
    ratios, figures = versus_sdk(per, VARIANTS)
    result.figures += figures
    result.targets.append(
        h.make_target("concurrent_guests_throughput_vs_sdk_ratio", h.median(ratios), "x", ">=", 1.5)
    )


if __name__ == "__main__":
    sys.exit(h.bench_main(__doc__, run, {"ours": worker_ours, "sdk": worker_sdk}, "concurrent_guests", TITLE))
