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
- The guest loop and all the measuring are `_guests.py`'s, shared with `messaging_capacity`; this module
  holds only what is Web Chat v2 about them (`WebChatGuest`, the record reader).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from benchmarks import _harness as h
from benchmarks._guests import PacedGuest, measure
from webchat_tui.emulator.control_client import ControlClient

MODULE = "benchmarks.emulator_capacity"
TITLE = "6. Emulator capacity"


class WebChatGuest(PacedGuest):
    """A Web Chat v2 guest: conversation created and messages sent over raw keep-alive HTTP, events on its
    socket."""

    def __init__(self, idx: int, info: dict[str, Any], host: str, port: int) -> None:
        from benchmarks._rawhttp import RawHttpConnection

        super().__init__(idx)
        self.info = info
        self.http = RawHttpConnection(host, port)
        self.cid = ""
        self.member_id = ""
        self.jwt = ""
        self.post_lat: list[float] = []

    async def connect(self) -> None:
        """Create the conversation and attach the socket."""
        from websockets.asyncio.client import connect

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
        self.start_reading(await connect(conv["eventStreamUri"], compression=None, open_timeout=30))

    async def send(self, text: str) -> bool:
        """POST the message (the text is its echo key); its latency goes to `post_lat`."""
        path = f"/api/v2/webchat/guest/conversations/{self.cid}/members/{self.member_id}/messages"
        sent = time.perf_counter()
        self.sent_at[text] = sent
        try:
            status, data = await self.http.request(
                "POST",
                path,
                body={"body": text, "bodyType": "standard"},
                headers={"Authorization": f"Bearer {self.jwt}"},
            )
        except Exception as exc:
            self.errors.append(repr(exc))
            status, data = 0, b""
        self.post_lat.append(time.perf_counter() - sent)
        self.sends += 1
        if status != 200:
            self.errors.append(f"{status}: {data[:200]!r}")
            return False
        return True

    def on_frame(self, frame: dict[str, Any], now: float, wall: float) -> None:
        """Chat messages count; the agent's standard messages are the replies; typing is counted apart."""
        meta = frame.get("metadata")
        kind = meta.get("type") if meta else None
        if kind != "message":
            if kind == "typing-indicator":
                self.typing_frames += 1
            return
        event = frame["eventBody"]
        if not self.delivered(event["id"], now):
            return
        if event["sender"]["id"] == self.member_id:
            self.echoed(event.get("body", ""), now)
        elif event.get("bodyType") == "standard":
            self.agent_replied(event["timestamp"], wall)

    async def close(self) -> None:
        """Close the socket, then the HTTP connection."""
        await super().close()
        await self.http.close()


def recorded(control: ControlClient, guests: Sequence[WebChatGuest]) -> list[set[str]]:
    """Each conversation's message ids in the emulator's record."""
    return [{e["id"] for e in control.record(g.cid) if e.get("kind") == "message"} for g in guests]


async def _guests(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: all guests in one asyncio process."""
    info = params["info"]
    url = urlsplit(info["base_url"])
    host, port = url.hostname or "127.0.0.1", url.port or 80
    guests = [WebChatGuest(i, info, host, port) for i in range(int(params["guests"]))]
    reply = await measure(guests, params, recorded)
    posts = [v for g in guests for v in g.post_lat]
    reply["post_p50_ms"] = h.percentile(posts, 50) * 1000
    reply["post_p99_ms"] = h.percentile(posts, 99) * 1000
    return reply


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
                emu.reset(**h.AGENT_ON)
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

    col = partial(h.column, runs)

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
        h.Figure("send errors", "count", col("errors")),
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
        if r["error_sample"]:
            result.notes.append(f"send error sample: {r['error_sample']}")
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


if __name__ == "__main__":
    sys.exit(h.bench_main(__doc__, run, {"guests": _guests}, "emulator_capacity", TITLE))
