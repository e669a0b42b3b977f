"""Benchmark 6: emulator capacity: 200 concurrent guests, each chatting with its simulated agent for 30 s.

Method
- The emulator runs in its own process with its simulated agents on, at time scale 0.01 (an agent's
  typing-then-reply delay of ~1-2 s becomes ~10-20 ms). Idle timeout is raised so no chat ends mid-run.
- One asyncio client process (separate from the server's) plays all guests: each creates its conversation over
  real HTTP, attaches a real `websockets` client to its `eventStreamUri` and waits for the agent's greeting.
  Then, for the run's duration, each guest sends a message, waits for the agent's reply on its socket, and
  paces itself to one send per `interval` (offered load = 2 * guests / interval chat messages per second: the
  guest's echo + the reply). Guests start staggered across one interval, so the load is smooth.
- HTTP sends use a minimal asyncio HTTP/1.1 keep-alive client (`_rawhttp.py`), not httpx: httpx costs ~1.4-1.9
  ms of client CPU per request (baseline §4) and would make the load generator, not the emulator, the
  bottleneck.
- Delivery latency: for the guest's own message, POST start -> its echo arrives on the guest's socket; for the
  agent's reply, the message's server timestamp (ms resolution, same clock) -> arrival on the socket.
- Sustained rate: chat-message frames delivered to guests inside the run window / window length (typing frames
  are counted separately, not in the rate).
- Lost / duplicated: after the run (and a quiet period), every conversation's record from the emulator's
  control API is compared with the message ids each guest received. Lost = recorded but never delivered;
  duplicated = delivered more than once; unexpected = delivered but not recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from benchmarks import _harness as h

MODULE = "benchmarks.emulator_capacity"


class Guest:
    """One simulated guest: its conversation, socket reader, send loop and measurements."""

    def __init__(self, idx: int, info: dict[str, Any], host: str, port: int) -> None:
        from benchmarks._rawhttp import RawHttpConnection

        self.idx = idx
        self.info = info
        self.http = RawHttpConnection(host, port)
        self.cid = ""
        self.member_id = ""
        self.jwt = ""
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.sent_at: dict[str, float] = {}
        self.received: dict[str, int] = {}
        self.deliveries: list[float] = []
        self.echo_lat: list[float] = []
        self.agent_lat: list[float] = []
        self.post_lat: list[float] = []
        self.agent_standard = 0
        self.typing_frames = 0
        self.send_errors: list[str] = []
        self.missing_replies = 0
        self.sends = 0
        self.last_frame = time.perf_counter()
        self._reply = asyncio.Event()

    async def setup(self, sem: asyncio.Semaphore) -> None:
        """Create the conversation and attach the socket."""
        from websockets.asyncio.client import connect

        async with sem:
            body = {
                "organizationId": self.info["organization_id"],
                "deploymentId": self.info["deployment_id"],
                "routingTarget": {"targetType": "QUEUE", "targetAddress": "Support"},
                "memberInfo": {"displayName": f"Capacity Guest {self.idx}"},
            }
            status, data = await self.http.request("POST", "/api/v2/webchat/guest/conversations", body=body)
            if status != 200:
                raise h.BenchError(f"create conversation -> {status}: {data[:300]!r}")
            conv = json.loads(data)
            self.cid, self.jwt, self.member_id = conv["id"], conv["jwt"], conv["member"]["id"]
            self.ws = await connect(conv["eventStreamUri"], compression=None, open_timeout=30)
            self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self.ws:
                now = time.perf_counter()
                wall = time.time()
                self.last_frame = now
                frame = json.loads(raw)
                meta = frame.get("metadata")
                kind = meta.get("type") if meta else None
                if kind != "message":
                    if kind == "typing-indicator":
                        self.typing_frames += 1
                    continue
                event = frame["eventBody"]
                mid = event["id"]
                seen = self.received.get(mid, 0)
                self.received[mid] = seen + 1
                if seen:
                    continue
                self.deliveries.append(now)
                if event["sender"]["id"] == self.member_id:
                    sent = self.sent_at.pop(event.get("body", ""), None)
                    if sent is not None:
                        self.echo_lat.append(now - sent)
                elif event.get("bodyType") == "standard":
                    self.agent_standard += 1
                    stamp = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).timestamp()
                    self.agent_lat.append(wall - stamp)
                    self._reply.set()
        except ConnectionClosed:
            pass

    async def wait_agent_messages(self, count: int, timeout: float) -> bool:
        """Wait until at least `count` standard messages from the agent have arrived."""
        deadline = time.perf_counter() + timeout
        while self.agent_standard < count:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return False
            self._reply.clear()
            try:
                await asyncio.wait_for(self._reply.wait(), remaining)
            except TimeoutError:
                return self.agent_standard >= count
        return True

    async def run(self, start_at: float, deadline: float, interval: float, reply_timeout: float) -> None:
        """Send, wait for the reply, pace to one send per interval, until the deadline."""
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        path = f"/api/v2/webchat/guest/conversations/{self.cid}/members/{self.member_id}/messages"
        headers = {"Authorization": f"Bearer {self.jwt}"}
        seq = 0
        next_at = start_at
        while time.perf_counter() < deadline:
            replies_before = self.agent_standard
            text = f"capacity check g{self.idx} m{seq}"
            sent = time.perf_counter()
            self.sent_at[text] = sent
            try:
                status, data = await self.http.request(
                    "POST", path, body={"body": text, "bodyType": "standard"}, headers=headers
                )
            except Exception as exc:
                self.send_errors.append(repr(exc))
                status, data = 0, b""
            self.post_lat.append(time.perf_counter() - sent)
            self.sends += 1
            if status != 200:
                self.send_errors.append(f"{status}: {data[:200]!r}")
            elif not await self.wait_agent_messages(replies_before + 1, reply_timeout):
                self.missing_replies += 1
            seq += 1
            next_at = max(next_at + interval, time.perf_counter())
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    async def close(self) -> None:
        """Close socket and HTTP connection."""
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader
        await self.http.close()


async def _guests(params: dict[str, Any]) -> dict[str, Any]:
    info = params["info"]
    url = urlsplit(info["base_url"])
    host, port = url.hostname or "127.0.0.1", url.port or 80
    guests = [Guest(i, info, host, port) for i in range(int(params["guests"]))]
    setup_started = time.perf_counter()
    sem = asyncio.Semaphore(16)
    await asyncio.gather(*(g.setup(sem) for g in guests))
    greeted = await asyncio.gather(*(g.wait_agent_messages(1, 30.0) for g in guests))
    if not all(greeted):
        raise h.BenchError(f"{greeted.count(False)} guests never got the agent's greeting")
    setup_s = time.perf_counter() - setup_started

    duration = float(params["duration"])
    interval = float(params["interval"])
    server_pid = int(params["server_pid"])
    cpu_server0, cpu_client0 = h.cpu_seconds(server_pid), h.cpu_seconds()
    busy0, _total0 = h.machine_cpu()
    t_start = time.perf_counter() + 0.05
    deadline = t_start + duration
    await asyncio.gather(
        *(g.run(t_start + interval * i / len(guests), deadline, interval, 10.0) for i, g in enumerate(guests))
    )
    t_done = time.perf_counter()
    cpu_server = h.cpu_seconds(server_pid) - cpu_server0
    cpu_client = h.cpu_seconds() - cpu_client0
    busy = h.machine_cpu()[0] - busy0
    # Quiet period: wait until no frame has arrived for 0.5 s (at most 10 s) before comparing with the record.
    quiet_deadline = time.perf_counter() + 10.0
    while time.perf_counter() < quiet_deadline:
        if time.perf_counter() - max(g.last_frame for g in guests) > 0.5:
            break
        await asyncio.sleep(0.05)

    control = h.control_for(info)
    lost = duplicated = unexpected = recorded = 0
    for g in guests:
        events = await asyncio.to_thread(control.record, g.cid)
        ids = {e["id"] for e in events if e.get("kind") == "message"}
        recorded += len(ids)
        got = set(g.received)
        lost += len(ids - got)
        unexpected += len(got - ids)
        duplicated += sum(n - 1 for n in g.received.values() if n > 1)
    await asyncio.gather(*(g.close() for g in guests))

    window = deadline - t_start
    delivered = sum(1 for g in guests for t in g.deliveries if t_start <= t <= deadline)
    echo = [v for g in guests for v in g.echo_lat]
    agent = [v for g in guests for v in g.agent_lat]
    posts = [v for g in guests for v in g.post_lat]
    errors = [e for g in guests for e in g.send_errors]
    return {
        "guests": len(guests),
        "setup_s": setup_s,
        "window_s": window,
        "run_s": t_done - t_start,
        "delivered": delivered,
        "rate": delivered / window,
        "sends": sum(g.sends for g in guests),
        "echo_p50_ms": h.percentile(echo, 50) * 1000,
        "echo_p99_ms": h.percentile(echo, 99) * 1000,
        "agent_p50_ms": h.percentile(agent, 50) * 1000,
        "agent_p99_ms": h.percentile(agent, 99) * 1000,
        "all_p50_ms": h.percentile(echo + agent, 50) * 1000,
        "all_p99_ms": h.percentile(echo + agent, 99) * 1000,
        "post_p50_ms": h.percentile(posts, 50) * 1000,
        "post_p99_ms": h.percentile(posts, 99) * 1000,
        "lost": lost,
        "duplicated": duplicated,
        "unexpected": unexpected,
        "recorded": recorded,
        "typing_frames": sum(g.typing_frames for g in guests),
        "missing_replies": sum(g.missing_replies for g in guests),
        "send_errors": len(errors),
        "send_error_sample": errors[:3],
        "server_cpu_pct": 100 * cpu_server / (t_done - t_start),
        "client_cpu_pct": 100 * cpu_client / (t_done - t_start),
        "other_cpu_pct": 100 * (busy - cpu_server - cpu_client) / (t_done - t_start),
    }


def worker_guests(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: all guests in one asyncio process."""
    return asyncio.run(_guests(params))


def run(args: argparse.Namespace, result: h.BenchResult) -> None:
    """Orchestrate: one emulator process; per run reset it and start a fresh guests process."""
    guests, duration, interval = (10, 1.5, 0.3) if args.quick else (200, 30.0, 0.3)
    result.notes.append(
        f"{guests} guests x {duration:.0f} s, one send per guest every {interval} s after the "
        f"previous reply (offered ~{2 * guests / interval:,.0f} chat messages/s incl. echoes); "
        "emulator time scale 0.01 (agent reply after ~10-20 ms)."
    )
    sat_duration = 1.0 if args.quick else 10.0
    runs: list[dict[str, Any]] = []
    saturated: list[dict[str, Any]] = []
    with h.EmulatorProcess(time_scale=0.01) as emu:
        for _ in range(result.runs):
            for phase, wanted, pace in (("paced", runs, interval), ("saturation", saturated, 0.0)):
                emu.control.reset()
                emu.control.set_config(timeScale=0.01, autoAgent=True, idleTimeout=10_000_000)
                params = {
                    "info": emu.params(),
                    "guests": guests,
                    "interval": pace,
                    "server_pid": emu.pid,
                    "duration": duration if phase == "paced" else sat_duration,
                }
                wanted.append(h.run_worker(MODULE, "guests", params, timeout=float(params["duration"]) + 180))
    result.notes.append(
        f"saturation phase (informational, not a target): the same {guests} guests for "
        f"{sat_duration:.0f} s with no pacing (each sends again as soon as the reply arrives)."
    )

    def col(key: str) -> list[float]:
        return [float(r[key]) for r in runs]

    result.figures += [
        h.Figure("delivered chat messages/s (sustained)", "msg/s", col("rate"), "higher"),
        h.Figure("delivery latency p50 (echo + reply)", "ms", col("all_p50_ms")),
        h.Figure("delivery latency p99 (echo + reply)", "ms", col("all_p99_ms")),
        h.Figure("guest echo latency p50 (send -> own socket)", "ms", col("echo_p50_ms")),
        h.Figure("guest echo latency p99", "ms", col("echo_p99_ms")),
        h.Figure("agent reply delivery p50 (server stamp -> socket)", "ms", col("agent_p50_ms")),
        h.Figure("agent reply delivery p99", "ms", col("agent_p99_ms")),
        h.Figure("POST message p50", "ms", col("post_p50_ms")),
        h.Figure("POST message p99", "ms", col("post_p99_ms")),
        h.Figure("messages lost (vs emulator record)", "msgs", col("lost")),
        h.Figure("messages duplicated", "msgs", col("duplicated")),
        h.Figure("messages unexpected (not in record)", "msgs", col("unexpected")),
        h.Figure("send errors", "count", col("send_errors")),
        h.Figure("replies not received within 10 s", "count", col("missing_replies")),
        h.Figure("server CPU during run", "% of 1 core", col("server_cpu_pct")),
        h.Figure("client CPU during run", "% of 1 core", col("client_cpu_pct")),
        h.Figure(
            "other processes' CPU during run (machine busy - server - client)",
            "% of 1 core",
            col("other_cpu_pct"),
        ),
        h.Figure("setup (create + attach + greeting, all guests)", "s", col("setup_s")),
        h.Figure(
            "saturation: delivered chat messages/s", "msg/s", [float(r["rate"]) for r in saturated], "higher"
        ),
        h.Figure("saturation: delivery latency p50", "ms", [float(r["all_p50_ms"]) for r in saturated]),
        h.Figure("saturation: delivery latency p99", "ms", [float(r["all_p99_ms"]) for r in saturated]),
        h.Figure("saturation: server CPU", "% of 1 core", [float(r["server_cpu_pct"]) for r in saturated]),
        h.Figure(
            "saturation: lost + duplicated", "msgs", [float(r["lost"] + r["duplicated"]) for r in saturated]
        ),
    ]
    for r in runs:
        if r["send_error_sample"]:
            result.notes.append(f"send error sample: {r['send_error_sample']}")
    rate = h.median(col("rate"))
    result.targets += [
        h.make_target("capacity_delivered_msgs_per_s", rate, "msg/s", ">=", 1000),
        h.make_target("capacity_delivery_p99_ms", h.median(col("all_p99_ms")), "ms", "<=", 100),
        # Any loss or duplicate in any run of either phase misses the target.
        h.make_target(
            "capacity_lost_messages", max(float(r["lost"]) for r in runs + saturated), "msgs", "==", 0
        ),
        h.make_target(
            "capacity_duplicated_messages",
            max(float(r["duplicated"]) for r in runs + saturated),
            "msgs",
            "==",
            0,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m benchmarks.emulator_capacity [--quick] [--runs N] [--json-out F]`."""
    args = h.bench_parser(__doc__ or "").parse_args(argv)
    return h.bench_main(args, run, {"guests": worker_guests}, "emulator_capacity", "6. Emulator capacity")


if __name__ == "__main__":
    sys.exit(main())
