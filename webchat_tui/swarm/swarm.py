"""The guest swarm: N simulated guests on one event loop, ramped up, talking (a random line every few seconds)
or running a scenario, with statistics and a check for lost and duplicated messages at the end.

Every guest is a `Session` made by `target.open_session` (either protocol). Each line a guest says carries a
unique tag (``#g17.5``: guest 17, line 5); at the end the tags are looked up in the emulator's own record of
the conversation (when the target is an emulator whose control token we have) or, for any other service, in
the messages each guest's session holds (its own echoes). Lost: said but not stored; duplicated: stored twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from webchat_tui.chat.types import FINISHED_STATES, SessionState
from webchat_tui.swarm.names import random_line, random_name
from webchat_tui.swarm.scenario import Conversation
from webchat_tui.swarm.stats import SwarmStats
from webchat_tui.swarm.target import Endpoint, Guest, OpenedSession, open_session

__all__ = ["SwarmConfig", "GuestRecord", "Swarm", "SafetyError", "check_safety", "REAL_ENVIRONMENT_LIMIT"]

REAL_ENVIRONMENT_LIMIT = 5
"""More guests than this against anything but a local emulator needs ``allow_real_environment``."""
MIN_SAY_EVERY_REAL = 0.5
"""The vendor allows 2 messages per second per Web Messaging session."""
FREEZE_EVERY = 200
"""Connected guests between two `gc.freeze()` calls (see `Swarm._connected_one`)."""
_TAG = re.compile(r"#g(\d+)\.(\d+)\b")


class SafetyError(ValueError):
    """The swarm would load a real contact centre without being told to."""


def check_safety(endpoint: Endpoint, guests: int, say_every: float | None, allow_real: bool) -> None:
    """Refuse a swarm larger than 5 guests against a non-local target unless allowed, and a talk rate above
    the vendor's Web Messaging limit (2 per second per session) against one."""
    if endpoint.is_local:
        return
    if guests > REAL_ENVIRONMENT_LIMIT and not allow_real:
        raise SafetyError(
            f"{guests} guests against {endpoint.where}, which is not the local emulator: a load test "
            f"against a real contact centre is a decision, not an accident. Add --allow-real-environment to "
            f"go ahead (up to {REAL_ENVIRONMENT_LIMIT} guests need no flag)."
        )
    if endpoint.channel == "messaging" and say_every is not None and say_every < MIN_SAY_EVERY_REAL:
        raise SafetyError(
            f"--say-every {say_every} is more than 2 messages per second per session, the Web Messaging "
            f"limit of {endpoint.where}"
        )


@dataclass(slots=True)
class SwarmConfig:
    """What the swarm does."""

    endpoint: Endpoint
    guests: int = 10
    ramp_up: float = 5.0
    duration: float = 30.0
    say_every: float | None = 5.0
    """Seconds between lines of the talk loop (None with a scenario)."""
    scenario: tuple[Conversation, ...] = ()
    """Conversations to run instead of the talk loop (guest i runs conversation i mod n)."""
    seed: int | None = None
    leave_at_end: bool = True
    drain_timeout: float = 30.0
    """How long guests may finish their in-flight sends after the duration."""


@dataclass(slots=True)
class GuestRecord:
    """One guest's bookkeeping."""

    index: int
    name: str
    state: str = "connecting"
    opened: OpenedSession | None = None
    said: list[str] = field(default_factory=list)
    """The tags of every line the guest tried to say."""
    error: str | None = None


class Swarm:
    """Runs the guests of a `SwarmConfig` and keeps `stats`; `run()` returns the summary."""

    def __init__(
        self,
        config: SwarmConfig,
        *,
        control: Any | None = None,
    ) -> None:
        """``control``: the target emulator's `ControlClient` (lost/duplicated counted against its record)."""
        self.config = config
        self.control = control
        self.stats = SwarmStats(config.guests)
        self.guests = [GuestRecord(i, "") for i in range(config.guests)]
        self._random = random.Random(config.seed)
        for g in self.guests:
            g.name = random_name(self._random)
        self._stop_at = 0.0
        self._connected = 0

    def _move(self, guest: GuestRecord, state: str) -> None:
        if guest.state != state:
            self.stats.move(guest.state, state)
            guest.state = state

    def _track(self, guest: GuestRecord, opened: OpenedSession) -> Callable[[], None]:
        def follow(_event: object) -> None:
            if guest.state == "failed":
                return
            state = opened.session.state
            if state in FINISHED_STATES:
                self._move(guest, "ended")
            elif state is SessionState.CONNECTED:
                self._move(guest, "chatting")
            elif state is SessionState.WAITING_FOR_AGENT:
                self._move(guest, "waiting")

        return opened.session.subscribe(follow)

    async def run(self) -> dict[str, Any]:
        """Ramp up, run for the duration, drain, count lost/duplicated, leave; the summary dict."""
        cfg = self.config
        self.stats = SwarmStats(cfg.guests)
        self.stats.states["connecting"] = cfg.guests
        started = time.monotonic()
        self._stop_at = started + cfg.duration
        cpu0 = time.process_time()
        tasks = [asyncio.create_task(self._guest(g, started)) for g in self.guests]
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), cfg.duration + cfg.drain_timeout + 60)
        except TimeoutError:
            self.stats.note_error("drain-timeout")
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            gc.unfreeze()
        elapsed = time.monotonic() - started
        cpu = time.process_time() - cpu0
        await self._count()
        if cfg.leave_at_end:
            await asyncio.gather(*(self._finish(g) for g in self.guests))
        else:
            await asyncio.gather(*(g.opened.close() for g in self.guests if g.opened is not None))
        return self.stats.summary(
            min(elapsed, cfg.duration) if cfg.scenario == () else elapsed,
            channel=cfg.endpoint.channel,
            target=cfg.endpoint.where,
            client_cpu_s=round(cpu, 2),
        )

    async def _guest(self, guest: GuestRecord, started: float) -> None:
        cfg = self.config
        delay = cfg.ramp_up * guest.index / max(1, cfg.guests)
        await asyncio.sleep(max(0.0, started + delay - time.monotonic()))
        if time.monotonic() >= self._stop_at:
            self._move(guest, "ended")
            return
        t0 = time.monotonic()
        try:
            guest.opened = await open_session(cfg.endpoint, Guest(guest.name))
        except Exception as exc:
            self.stats.note_error(f"connect: {type(exc).__name__}")
            guest.error = f"{type(exc).__name__}: {exc}"
            self._move(guest, "failed")
            return
        self.stats.connect.add((time.monotonic() - t0) * 1000)
        self._connected_one()
        self._move(guest, "waiting")
        unsubscribe = self._track(guest, guest.opened)
        try:
            if cfg.scenario:
                await self._run_scenario(guest)
            else:
                await self._talk(guest)
        finally:
            unsubscribe()

    def _connected_one(self) -> None:
        # Thousands of long-lived sessions make every full garbage collection re-scan all of them: measured
        # with 1,000 guests, pauses of 100-360 ms that became the delivery p99 (101-505 ms; 8 ms frozen).
        # Freezing moves what exists now out of the collector's scans; `run()` unfreezes at the end.
        self._connected += 1
        if self._connected % FREEZE_EVERY == 0 or self._connected == self.config.guests:
            gc.freeze()

    async def _talk(self, guest: GuestRecord) -> None:
        assert guest.opened is not None and self.config.say_every is not None
        session = guest.opened.session
        every = self.config.say_every
        # first line spread over one period, at least 1 s after connecting (Web Messaging paces a session's
        # sends 0.6 s apart, the autostart Join included: an earlier line would measure that pacing)
        next_at = time.monotonic() + self._random.uniform(min(1.0, every), max(1.0, every))
        pending: set[asyncio.Task[None]] = set()
        while True:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            if time.monotonic() >= self._stop_at or session.state in (
                SessionState.ENDED,
                SessionState.READ_ONLY,
            ):
                break
            tag = f"#g{guest.index}.{len(guest.said) + 1}"
            guest.said.append(tag)
            task = asyncio.create_task(self._say(session, f"{random_line(self._random)} {tag}"))
            pending.add(task)
            task.add_done_callback(pending.discard)
            next_at += every
        if pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*pending), self.config.drain_timeout)

    async def _say(self, session: Any, text: str) -> None:
        self.stats.note_sent()
        t0 = time.monotonic()
        try:
            await session.send(text)
        except Exception as exc:
            self.stats.note_error(f"send: {type(exc).__name__}")
            return
        self.stats.note_delivered((time.monotonic() - t0) * 1000)

    async def _run_scenario(self, guest: GuestRecord) -> None:
        from webchat_tui.swarm.runner import ConversationRunner, StepFailed

        assert guest.opened is not None
        conversation = self.config.scenario[guest.index % len(self.config.scenario)]
        runner = ConversationRunner(conversation, guest.opened)
        try:
            for step in conversation.steps:
                if time.monotonic() >= self._stop_at:
                    break
                if step.kind == "say":
                    tag = f"#g{guest.index}.{len(guest.said) + 1}"
                    guest.said.append(tag)
                    await self._say(guest.opened.session, f"{step.args['text']} {tag}")
                    continue
                try:
                    await runner.run_step(step)
                except StepFailed:
                    self.stats.note_error(f"expectation: {step.kind}")
                    self._move(guest, "failed")
                    return
                except Exception as exc:
                    self.stats.note_error(f"{step.kind}: {type(exc).__name__}")
                    self._move(guest, "failed")
                    return
        finally:
            runner.close()

    async def _finish(self, guest: GuestRecord) -> None:
        if guest.opened is None:
            return
        if guest.opened.session.state not in (*FINISHED_STATES, SessionState.IDLE):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(guest.opened.session.leave(), 15)
        await guest.opened.close()
        if guest.state not in ("failed", "ended"):
            self._move(guest, "ended")

    # --- lost and duplicated ---
    async def _count(self) -> None:
        counts: Counter[str] = Counter()
        if self.control is not None:
            self.stats.counted_against = "emulator record"
            bodies = await asyncio.to_thread(self._record_bodies)
        else:
            self.stats.counted_against = "guest echoes"
            bodies = self._echo_bodies()
        for body in bodies:
            for match in _TAG.finditer(body):
                counts[match.group(0)] += 1
        said = [tag for g in self.guests for tag in g.said]
        self.stats.lost = sum(1 for tag in said if counts[tag] == 0)
        self.stats.duplicated = sum(n - 1 for tag, n in counts.items() if n > 1)

    def _echo_bodies(self) -> list[str]:
        out: list[str] = []
        for g in self.guests:
            if g.opened is not None:
                out.extend(m.body for m in g.opened.session.messages if m.is_own)
        return out

    def _record_bodies(self) -> list[str]:
        """What the emulator stored from each guest (guest messages only: agents quote guests' lines)."""
        control = self.control
        assert control is not None
        out: list[str] = []
        for g in self.guests:
            opened = g.opened
            if opened is None or not g.said:
                continue
            try:
                if opened.channel == "messaging":
                    sid = control.messaging_session_for(opened.extra["token"])["id"]
                    history = control.messaging_messages(sid)
                    out.extend(str(m.get("text", "")) for m in history if m.get("direction") == "Inbound")
                else:
                    me = opened.session.me
                    events = control.record(opened.extra["conversation_id"])
                    out.extend(
                        str(e.get("body", ""))
                        for e in events
                        if e.get("kind") == "message" and me is not None and e.get("senderId") == me.id
                    )
            except Exception as exc:  # its lines then count as lost, and the error says why
                self.stats.note_error(f"record: {type(exc).__name__}")
        return out
