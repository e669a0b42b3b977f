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
- The guest loop and all the measuring are `_guests.py`'s, shared with `emulator_capacity`; this module holds
  only what is Web Messaging about them (`MessagingGuest`, the transcript reader).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Sequence
from functools import partial
from typing import Any

from benchmarks import _harness as h
from benchmarks._guests import PacedGuest, measure
from webchat_tui.emulator.control_client import ControlClient

MODULE = "benchmarks.messaging_capacity"
TITLE = "7. Emulator capacity, Web Messaging"


class MessagingGuest(PacedGuest):
    """A Web Messaging guest session: configureSession, then onMessage requests, all on its socket."""

    def __init__(self, idx: int, info: dict[str, Any]) -> None:
        super().__init__(idx)
        self.info = info
        self.dep = str(info["messaging_direct_deployment_id"])
        self.token = str(uuid.uuid4())
        self._configured = asyncio.Event()

    async def connect(self) -> None:
        """Open the socket, configure the session, say hello."""
        from websockets.asyncio.client import connect

        url = f"{self.info['messaging_ws_url']}?deploymentId={self.dep}"
        self.start_reading(await connect(url, compression=None, open_timeout=30, max_size=None))
        await self._send({"action": "configureSession", "deploymentId": self.dep, "tracingId": "configure"})
        await asyncio.wait_for(self._configured.wait(), 30)
        await self.send("hello")

    async def _send(self, request: dict[str, Any]) -> None:
        await self.ws.send(json.dumps({**request, "token": self.token}))

    async def send(self, text: str) -> bool:
        """One onMessage; its tracingId is the key of the echo latency."""
        tracing_id = f"g{self.idx}-{self.sends}"
        self.sent_at[tracing_id] = time.perf_counter()
        self.sends += 1
        await self._send(
            {"action": "onMessage", "tracingId": tracing_id, "message": {"type": "Text", "text": text}}
        )
        return True

    def on_frame(self, frame: dict[str, Any], now: float, wall: float) -> None:
        """Structured messages count (Inbound: the echo, Outbound: the agent); events are typing; anything
        else is an error frame."""
        cls = frame.get("class")
        if cls == "SessionResponse":
            self._configured.set()
            return
        if cls != "StructuredMessage":
            self.errors.append(f"{cls} {frame.get('code')}: {str(frame.get('body'))[:120]}")
            return
        body = frame["body"]
        if body.get("type") == "Event":
            self.typing_frames += 1
            return
        if not self.delivered(body["id"], now):
            return
        if body["direction"] == "Inbound":
            self.echoed(frame.get("tracingId", ""), now)
        else:
            self.agent_replied(body["channel"]["time"], wall)


def recorded(control: ControlClient, guests: Sequence[MessagingGuest]) -> list[set[str]]:
    """Each session's message ids in its transcript (events left out)."""
    by_token = {s["token"]: s["id"] for s in control.messaging_sessions()}
    return [
        {m["id"] for m in control.messaging_messages(by_token[g.token]) if m["type"] != "Event"}
        for g in guests
    ]


async def _guests(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: all guests in one asyncio process."""
    return await measure(
        [MessagingGuest(i, params["info"]) for i in range(int(params["guests"]))], params, recorded
    )


def run(args: argparse.Namespace, result: h.BenchResult) -> None:
    """One emulator process; per run reset it and start a fresh guests process."""
    guests, duration, interval = (10, 1.5, 0.3) if args.quick else (200, 30.0, 0.3)
    result.notes.append(
        f"{guests} Web Messaging sessions x {duration:.0f} s, one message per guest every {interval} s after "
        f"the previous reply (offered ~{2 * guests / interval:,.0f} messages/s incl. echoes); "
        "time scale 0.01; the per-session onMessage limit lifted for the run."
    )

    def lift_rate_limit(emu: h.EmulatorProcess) -> None:
        dep = emu.info["messaging_direct_deployment_id"]
        emu.control.patch_messaging_deployment(dep, messagesPerSecond=0)

    runs = h.run_fresh_workers(
        result,
        MODULE,
        "guests",
        {"guests": guests, "interval": interval, "duration": duration},
        config=h.AGENT_ON,
        timeout=duration + 180,
        prepare=lift_rate_limit,
    )

    col = partial(h.column, runs)

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


if __name__ == "__main__":
    sys.exit(h.bench_main(__doc__, run, {"guests": _guests}, "messaging_capacity", TITLE))
