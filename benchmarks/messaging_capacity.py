"""Benchmark 7: emulator capacity for Web Messaging: 200 concurrent guest sessions, each chatting with its
simulated agent for 30 s (the Web Messaging twin of benchmark 6, `emulator_capacity`).

Method
- The emulator runs in its own process (`webchat-tui emulator`), agents on, time scale 0.01; the direct
  deployment (straight to an agent). Its onMessage rate limit (2/s per session) is lifted for the run with
  `PATCH /emulator/v1/messaging/deployments/{id}` so the offered load can exceed what 200 humans would send;
  the limit itself is tested in `tests/emulator_messaging/`.
- One asyncio client process plays all guests over real `websockets` connections to `/v1?deploymentId=...`:
  configureSession, a first message, the agent's greeting; then each guest sends a message, waits for the
  agent's reply and paces itself to one send per `interval` (offered = 2 * guests / interval messages/s: the
  Inbound echo + the agent's reply). Guests start staggered across one interval.
- Delivery latency: the echo from send to its arrival (matched by tracingId); the agent's reply from its
  `channel.time` (ms resolution, same clock) to arrival. Typing events are counted apart, not in the rate.
- Lost / duplicated: after a quiet period every session's transcript from the control API
  (`/emulator/v1/messaging/sessions/{id}/messages`) is compared with the message ids the guest received.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import datetime
from typing import Any

from benchmarks import _harness as h

MODULE = "benchmarks.messaging_capacity"


class Guest:
    """One guest session: socket reader, send loop, measurements."""

    def __init__(self, idx: int, info: dict[str, Any]) -> None:
        self.idx = idx
        self.info = info
        self.dep = str(info["messaging_direct_deployment_id"])
        self.token = str(uuid.uuid4())
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.sent_at: dict[str, float] = {}
        self.received: dict[str, int] = {}
        self.deliveries: list[float] = []
        self.echo_lat: list[float] = []
        self.agent_lat: list[float] = []
        self.agent_texts = 0
        self.typing_frames = 0
        self.errors: list[str] = []
        self.missing_replies = 0
        self.sends = 0
        self.last_frame = time.perf_counter()
        self._reply = asyncio.Event()
        self._configured = asyncio.Event()

    async def setup(self, sem: asyncio.Semaphore) -> None:
        """Open the socket, configure the session, say hello."""
        from websockets.asyncio.client import connect

        async with sem:
            url = f"{self.info['messaging_ws_url']}?deploymentId={self.dep}"
            self.ws = await connect(url, compression=None, open_timeout=30, max_size=None)
            self.reader = asyncio.create_task(self._read())
            await self._send(
                {"action": "configureSession", "deploymentId": self.dep, "tracingId": "configure"}
            )
            await asyncio.wait_for(self._configured.wait(), 30)
            await self.say("hello")

    async def _send(self, request: dict[str, Any]) -> None:
        await self.ws.send(json.dumps({**request, "token": self.token}))

    async def say(self, text: str) -> None:
        """One onMessage; its tracingId is the key of the echo latency."""
        tracing_id = f"g{self.idx}-{self.sends}"
        self.sent_at[tracing_id] = time.perf_counter()
        self.sends += 1
        await self._send(
            {"action": "onMessage", "tracingId": tracing_id, "message": {"type": "Text", "text": text}}
        )

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self.ws:
                now = time.perf_counter()
                wall = time.time()
                self.last_frame = now
                frame = json.loads(raw)
                cls = frame.get("class")
                if cls == "SessionResponse":
                    self._configured.set()
                    continue
                if cls != "StructuredMessage":
                    self.errors.append(f"{cls} {frame.get('code')}: {str(frame.get('body'))[:120]}")
                    continue
                body = frame["body"]
                if body.get("type") == "Event":
                    self.typing_frames += 1
                    continue
                mid = body["id"]
                seen = self.received.get(mid, 0)
                self.received[mid] = seen + 1
                if seen:
                    continue
                self.deliveries.append(now)
                if body["direction"] == "Inbound":
                    sent = self.sent_at.pop(frame.get("tracingId", ""), None)
                    if sent is not None:
                        self.echo_lat.append(now - sent)
                else:
                    self.agent_texts += 1
                    stamp = datetime.fromisoformat(body["channel"]["time"].replace("Z", "+00:00")).timestamp()
                    self.agent_lat.append(wall - stamp)
                    self._reply.set()
        except ConnectionClosed:
            pass

    async def wait_agent_messages(self, count: int, timeout: float) -> bool:
        """Wait until at least `count` agent messages have arrived."""
        deadline = time.perf_counter() + timeout
        while self.agent_texts < count:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return False
            self._reply.clear()
            try:
                await asyncio.wait_for(self._reply.wait(), remaining)
            except TimeoutError:
                return self.agent_texts >= count
        return True

    async def run(self, start_at: float, deadline: float, interval: float, reply_timeout: float) -> None:
        """Send, wait for the reply, pace to one send per interval, until the deadline."""
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        seq = 0
        next_at = start_at
        while time.perf_counter() < deadline:
            before = self.agent_texts
            await self.say(f"capacity check g{self.idx} m{seq}")
            if not await self.wait_agent_messages(before + 1, reply_timeout):
                self.missing_replies += 1
            seq += 1
            next_at = max(next_at + interval, time.perf_counter())
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    async def close(self) -> None:
        """Close the socket."""
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader


async def _guests(params: dict[str, Any]) -> dict[str, Any]:
    info = params["info"]
    guests = [Guest(i, info) for i in range(int(params["guests"]))]
    setup_started = time.perf_counter()
    sem = asyncio.Semaphore(16)
    await asyncio.gather(*(g.setup(sem) for g in guests))
    greeted = await asyncio.gather(*(g.wait_agent_messages(1, 30.0) for g in guests))
    if not all(greeted):
        raise h.BenchError(f"{greeted.count(False)} guests never got the agent's greeting")
    setup_s = time.perf_counter() - setup_started

    duration, interval = float(params["duration"]), float(params["interval"])
    server_pid = int(params["server_pid"])
    cpu_server0, cpu_client0 = h.cpu_seconds(server_pid), h.cpu_seconds()
    t_start = time.perf_counter() + 0.05
    deadline = t_start + duration
    await asyncio.gather(
        *(g.run(t_start + interval * i / len(guests), deadline, interval, 10.0) for i, g in enumerate(guests))
    )
    t_done = time.perf_counter()
    cpu_server = h.cpu_seconds(server_pid) - cpu_server0
    cpu_client = h.cpu_seconds() - cpu_client0
    quiet_deadline = time.perf_counter() + 10.0
    while time.perf_counter() < quiet_deadline:
        if time.perf_counter() - max(g.last_frame for g in guests) > 0.5:
            break
        await asyncio.sleep(0.05)

    control = h.control_for(info)
    sessions = await asyncio.to_thread(control.messaging_sessions)
    by_token = {s["token"]: s["id"] for s in sessions}
    lost = duplicated = unexpected = recorded = 0
    for g in guests:
        transcript = await asyncio.to_thread(control.messaging_messages, by_token[g.token])
        ids = {m["id"] for m in transcript if m["type"] != "Event"}
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
    errors = [e for g in guests for e in g.errors]
    return {
        "guests": len(guests),
        "setup_s": setup_s,
        "delivered": delivered,
        "rate": delivered / window,
        "sends": sum(g.sends for g in guests),
        "echo_p50_ms": h.percentile(echo, 50) * 1000,
        "echo_p99_ms": h.percentile(echo, 99) * 1000,
        "agent_p50_ms": h.percentile(agent, 50) * 1000,
        "agent_p99_ms": h.percentile(agent, 99) * 1000,
        "all_p50_ms": h.percentile(echo + agent, 50) * 1000,
        "all_p99_ms": h.percentile(echo + agent, 99) * 1000,
        "lost": lost,
        "duplicated": duplicated,
        "unexpected": unexpected,
        "recorded": recorded,
        "typing_frames": sum(g.typing_frames for g in guests),
        "missing_replies": sum(g.missing_replies for g in guests),
        "errors": len(errors),
        "error_sample": errors[:3],
        "server_cpu_pct": 100 * cpu_server / (t_done - t_start),
        "client_cpu_pct": 100 * cpu_client / (t_done - t_start),
    }


def worker_guests(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: all guests in one asyncio process."""
    return asyncio.run(_guests(params))


def run(args: argparse.Namespace, result: h.BenchResult) -> None:
    """One emulator process; per run reset it and start a fresh guests process."""
    guests, duration, interval = (10, 1.5, 0.3) if args.quick else (200, 30.0, 0.3)
    result.notes.append(
        f"{guests} Web Messaging sessions x {duration:.0f} s, one message per guest every {interval} s after "
        f"the previous reply (offered ~{2 * guests / interval:,.0f} messages/s incl. echoes); "
        "time scale 0.01; the per-session onMessage limit lifted for the run."
    )
    runs: list[dict[str, Any]] = []
    with h.EmulatorProcess(time_scale=0.01) as emu:
        for _ in range(result.runs):
            emu.control.reset()
            emu.control.set_config(timeScale=0.01, autoAgent=True, idleTimeout=10_000_000)
            dep = emu.info["messaging_direct_deployment_id"]
            emu.control.patch_messaging_deployment(dep, messagesPerSecond=0)
            params = {
                "info": emu.params(),
                "guests": guests,
                "interval": interval,
                "server_pid": emu.pid,
                "duration": duration,
            }
            runs.append(h.run_worker(MODULE, "guests", params, timeout=duration + 180))

    def col(key: str) -> list[float]:
        return [float(r[key]) for r in runs]

    result.figures += [
        h.Figure("delivered messages/s (sustained)", "msg/s", col("rate"), "higher"),
        h.Figure("delivery latency p50 (echo + reply)", "ms", col("all_p50_ms")),
        h.Figure("delivery latency p99 (echo + reply)", "ms", col("all_p99_ms")),
        h.Figure("guest echo latency p99 (send -> own socket)", "ms", col("echo_p99_ms")),
        h.Figure("agent reply delivery p99 (channel.time -> socket)", "ms", col("agent_p99_ms")),
        h.Figure("messages lost (vs transcript)", "msgs", col("lost")),
        h.Figure("messages duplicated", "msgs", col("duplicated")),
        h.Figure("messages unexpected (not in transcript)", "msgs", col("unexpected")),
        h.Figure("error frames", "count", col("errors")),
        h.Figure("replies not received within 10 s", "count", col("missing_replies")),
        h.Figure("server CPU during run", "% of 1 core", col("server_cpu_pct")),
        h.Figure("client CPU during run", "% of 1 core", col("client_cpu_pct")),
        h.Figure("setup (connect + configure + greeting, all guests)", "s", col("setup_s")),
    ]
    for r in runs:
        if r["error_sample"]:
            result.notes.append(f"error frame sample: {r['error_sample']}")
    result.targets += [
        h.make_target("messaging_capacity_delivered_msgs_per_s", h.median(col("rate")), "msg/s", ">=", 1000),
        h.make_target("messaging_capacity_delivery_p99_ms", h.median(col("all_p99_ms")), "ms", "<=", 100),
        h.make_target("messaging_capacity_lost_messages", max(col("lost")), "msgs", "==", 0),
        h.make_target("messaging_capacity_duplicated_messages", max(col("duplicated")), "msgs", "==", 0),
    ]


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m benchmarks.messaging_capacity [--quick] [--runs N] [--json-out F]`."""
    args = h.bench_parser(__doc__ or "").parse_args(argv)
    return h.bench_main(
        args, run, {"guests": worker_guests}, "messaging_capacity", "7. Emulator capacity, Web Messaging"
    )


if __name__ == "__main__":
    sys.exit(main())
