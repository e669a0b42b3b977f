"""Paced simulated guests for the capacity benchmarks (`emulator_capacity`, `messaging_capacity`).

One asyncio process plays every guest. Each guest attaches a real `websockets` client, waits for its agent's
greeting, then sends a message, waits for the agent's reply on its socket and paces itself to one send per
`interval` until the deadline; guests start staggered across one interval. What differs per protocol (how a
guest connects and sends, what a frame means, where the emulator keeps its record) is a `PacedGuest`
subclass plus a `recorded` function; the measuring (latencies, sustained rate, CPU, the quiet period and the
lost / duplicated / unexpected count against the emulator's record) is here, once.

- Echo latency: send start -> the guest's own message arrives on its socket.
- Agent reply latency: the message's server timestamp (ms resolution, same clock) -> arrival on the socket.
- Sustained rate: chat-message frames delivered inside the run window / window length (typing frames are
  counted apart).
"""

from __future__ import annotations

import asyncio
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from benchmarks import _harness as h
from webchat_tui.emulator.control_client import ControlClient

SETUP_CONCURRENCY = 16
"""Guests connecting at once during setup."""
GREETING_TIMEOUT = 30.0
REPLY_TIMEOUT = 10.0


class PacedGuest(ABC):
    """One simulated guest: its socket reader, its paced send loop and its measurements.

    A subclass connects (`connect`, which calls `start_reading`), sends (`send`), reads one frame (`on_frame`,
    which reports through `delivered`, `echoed` and `agent_replied`) and closes what else it holds (`close`).
    """

    def __init__(self, idx: int) -> None:
        self.idx = idx
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.sent_at: dict[str, float] = {}
        """Send start per echo key (the text, or the tracing id), until the echo arrives."""
        self.received: dict[str, int] = {}
        """How many times each message id arrived."""
        self.deliveries: list[float] = []
        self.echo_lat: list[float] = []
        self.agent_lat: list[float] = []
        self.agent_replies = 0
        self.typing_frames = 0
        self.errors: list[str] = []
        self.missing_replies = 0
        self.sends = 0
        self.last_frame = time.perf_counter()
        self._reply = asyncio.Event()

    @abstractmethod
    async def connect(self) -> None:
        """Open the conversation or session, attach the socket (`start_reading`), be greeted soon after."""

    @abstractmethod
    async def send(self, text: str) -> bool:
        """Send one message, keyed in `sent_at`; False when it failed (recorded in `errors`)."""

    @abstractmethod
    def on_frame(self, frame: dict[str, Any], now: float, wall: float) -> None:
        """Account for one frame that arrived at `now` (perf counter) / `wall` (epoch seconds)."""

    def start_reading(self, ws: Any) -> None:
        """Keep `ws` and start reading its frames."""
        self.ws = ws
        self.reader = asyncio.create_task(self._read())

    def delivered(self, message_id: str, now: float) -> bool:
        """Count one arrival of a message; True the first time (a repeat is a duplicate, nothing more)."""
        seen = self.received.get(message_id, 0)
        self.received[message_id] = seen + 1
        if seen:
            return False
        self.deliveries.append(now)
        return True

    def echoed(self, key: str, now: float) -> None:
        """The guest's own message, sent under `key`, came back."""
        sent = self.sent_at.pop(key, None)
        if sent is not None:
            self.echo_lat.append(now - sent)

    def agent_replied(self, stamp: str, wall: float) -> None:
        """An agent message stamped `stamp` (ISO 8601 by the server) arrived."""
        self.agent_replies += 1
        self.agent_lat.append(wall - datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())
        self._reply.set()

    async def setup(self, sem: asyncio.Semaphore) -> None:
        """`connect`, at most `sem` guests at a time."""
        async with sem:
            await self.connect()

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self.ws:
                now = time.perf_counter()
                wall = time.time()
                self.last_frame = now
                self.on_frame(json.loads(raw), now, wall)
        except ConnectionClosed:
            pass

    async def wait_agent_messages(self, count: int, timeout: float) -> bool:
        """Wait until at least `count` agent messages have arrived."""
        deadline = time.perf_counter() + timeout
        while self.agent_replies < count:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return False
            self._reply.clear()
            try:
                await asyncio.wait_for(self._reply.wait(), remaining)
            except TimeoutError:
                return self.agent_replies >= count
        return True

    async def run(self, start_at: float, deadline: float, interval: float, reply_timeout: float) -> None:
        """Send, wait for the reply, pace to one send per interval, until the deadline."""
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        seq = 0
        next_at = start_at
        while time.perf_counter() < deadline:
            replies_before = self.agent_replies
            if await self.send(f"capacity check g{self.idx} m{seq}") and not await self.wait_agent_messages(
                replies_before + 1, reply_timeout
            ):
                self.missing_replies += 1
            seq += 1
            next_at = max(next_at + interval, time.perf_counter())
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    async def close(self) -> None:
        """Close the socket and wait for the reader."""
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader


Recorded = Callable[[ControlClient, Sequence[Any]], list[set[str]]]
"""For each guest, the ids of the messages the emulator recorded for its conversation (control API)."""


async def measure(guests: Sequence[PacedGuest], params: dict[str, Any], recorded: Recorded) -> dict[str, Any]:
    """Set the guests up, run them paced for `params["duration"]` s, compare with the emulator's record.

    `params`: info, duration, interval, server_pid. Returns the run's figures (latencies in ms, CPU in % of
    one core over the run).
    """
    setup_started = time.perf_counter()
    sem = asyncio.Semaphore(SETUP_CONCURRENCY)
    await asyncio.gather(*(g.setup(sem) for g in guests))
    greeted = await asyncio.gather(*(g.wait_agent_messages(1, GREETING_TIMEOUT) for g in guests))
    if not all(greeted):
        raise h.BenchError(f"{greeted.count(False)} guests never got the agent's greeting")
    setup_s = time.perf_counter() - setup_started

    duration, interval = float(params["duration"]), float(params["interval"])
    server_pid = int(params["server_pid"])
    cpu_server0, cpu_client0 = h.cpu_seconds(server_pid), h.cpu_seconds()
    busy0, _total0 = h.machine_cpu()
    t_start = time.perf_counter() + 0.05
    deadline = t_start + duration
    await asyncio.gather(
        *(
            g.run(t_start + interval * i / len(guests), deadline, interval, REPLY_TIMEOUT)
            for i, g in enumerate(guests)
        )
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

    records = await asyncio.to_thread(recorded, h.control_for(params["info"]), guests)
    lost = duplicated = unexpected = recorded_count = 0
    for g, ids in zip(guests, records, strict=True):
        recorded_count += len(ids)
        got = set(g.received)
        lost += len(ids - got)
        unexpected += len(got - ids)
        duplicated += sum(n - 1 for n in g.received.values() if n > 1)
    await asyncio.gather(*(g.close() for g in guests))

    window = deadline - t_start
    run_s = t_done - t_start
    delivered = sum(1 for g in guests for t in g.deliveries if t_start <= t <= deadline)
    echo = [v for g in guests for v in g.echo_lat]
    agent = [v for g in guests for v in g.agent_lat]
    errors = [e for g in guests for e in g.errors]
    return {
        "guests": len(guests),
        "setup_s": setup_s,
        "window_s": window,
        "run_s": run_s,
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
        "recorded": recorded_count,
        "typing_frames": sum(g.typing_frames for g in guests),
        "missing_replies": sum(g.missing_replies for g in guests),
        "errors": len(errors),
        "error_sample": errors[:3],
        "server_cpu_pct": 100 * cpu_server / run_s,
        "client_cpu_pct": 100 * cpu_client / run_s,
        "other_cpu_pct": 100 * (busy - cpu_server - cpu_client) / run_s,
    }
