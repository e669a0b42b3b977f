"""Agent-message bursts for the ingest benchmarks (`ingest`, `messaging_ingest`) and `responsiveness`.

A burst is one control-API call asking the emulator's agent to send `count` messages to one guest, made from a
thread so the measured client's event loop never blocks on it (`Trigger`). Each ingest benchmark runs its
variants (bare websockets, our session, the full app) in fresh worker processes interleaved run by run
(`run_variants`), and every variant times t0 (the trigger) -> the burst's last message (`reply`). What differs
per protocol (how the burst is asked for, which frame or message belongs to it) is passed in.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks import _harness as h

WORKER_TIMEOUT = 240.0


class Trigger:
    """Runs `push` (the control call that starts the burst) in a thread; `start` returns t0."""

    def __init__(self, push: Callable[[], object], join_timeout: float = 60.0) -> None:
        self.push = push
        self.join_timeout = join_timeout
        self.started = 0.0
        self.returned = 0.0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.push()
        except BaseException as exc:  # reported by join()
            self.error = exc
        self.returned = time.perf_counter()

    def start(self) -> float:
        """Start the burst; returns t0."""
        self.started = time.perf_counter()
        self._thread.start()
        return self.started

    def join(self) -> None:
        """Wait for the control call; re-raise its error."""
        self._thread.join(self.join_timeout)
        if self.error is not None:
            raise self.error


def webchat_burst(info: dict[str, Any], cid: str, body: str, count: int) -> Trigger:
    """A Web Chat v2 burst: the agent of conversation `cid` sends `count` messages `<body> #1..#count`."""
    control = h.control_for(info)
    return Trigger(lambda: control.agent_messages(cid, body, count))


def reply(
    n: int, t0: float, first: float, last: float, trigger: Trigger, cpu_s: float, **extra: Any
) -> dict[str, Any]:
    """A variant's RESULT: t0 -> last, first -> last, when the emulator's control call returned, msgs/s."""
    return {
        "cpu_s": cpu_s,
        "n": n,
        "total_s": last - t0,
        "first_to_last_s": last - first,
        "server_push_s": trigger.returned - t0,
        "rate": n / (last - t0),
        **extra,
    }


async def bare_burst(
    ws: Any, trigger: Trigger, n: int, in_burst: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The bare variant: start the burst, read frames from `ws` (`json.loads` each) until `n` of them are the
    burst's (`in_burst`); its `reply`."""
    count = 0
    first = 0.0
    cpu0 = h.cpu_seconds()
    t0 = trigger.start()
    async for raw in ws:
        if in_burst(json.loads(raw)):
            count += 1
            if count == 1:
                first = time.perf_counter()
            if count == n:
                break
    last = time.perf_counter()
    cpu = h.cpu_seconds() - cpu0
    trigger.join()
    return reply(n, t0, first, last, trigger, cpu)


class MessageCounter:
    """Counts the burst's messages as a session emits them (`saw`); `done` is set at the n-th."""

    def __init__(self, marker: str, n: int) -> None:
        self.marker, self.n = marker, n
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.cpu = 0.0
        """Client CPU seconds (`cpu_seconds()`) at the n-th message."""
        self.done = asyncio.Event()

    def saw(self, messages: Iterable[Any]) -> None:
        """Messages the session just added."""
        for message in messages:
            if message.body.startswith(self.marker):
                self.count += 1
                if self.count == 1:
                    self.first = time.perf_counter()
                if self.count == self.n:
                    self.last = time.perf_counter()
                    self.cpu = h.cpu_seconds()
                    self.done.set()


@dataclass
class VariantRuns:
    """Every variant's RESULTs, and the first error of a variant that failed (it is not run again)."""

    per: dict[str, list[dict[str, Any]]]
    errors: dict[str, str]

    def figures(self, variants: Sequence[tuple[str, str]], *, first_to_last: bool) -> list[h.Figure]:
        """Per variant: burst -> last, msgs/s, (first -> last,) client CPU."""
        figures = []
        for name, label in variants:
            runs = self.per[name]
            figures.append(h.Figure(f"{label}: burst -> last", "s", h.column(runs, "total_s")))
            figures.append(h.Figure(f"{label}: msgs/s", "msg/s", h.column(runs, "rate"), "higher"))
            if first_to_last:
                figures.append(h.Figure(f"{label}: first -> last", "s", h.column(runs, "first_to_last_s")))
            figures.append(h.Figure(f"{label}: client CPU for the burst", "s", h.column(runs, "cpu_s")))
        return figures

    def ratios(self, name: str, key: str = "total_s") -> list[float]:
        """`key` of variant `name` / the same run's bare variant."""
        pairs = zip(self.per["bare"], self.per[name], strict=False)
        return [v[key] / b[key] for b, v in pairs if b[key] > 0]

    def raise_errors(self) -> None:
        """BenchError naming every variant that failed (after the figures of the others are reported)."""
        if self.errors:
            raise h.BenchError("; ".join(f"{k}: {v.splitlines()[0]}" for k, v in self.errors.items()))


def run_variants(
    result: h.BenchResult,
    module: str,
    variants: Sequence[tuple[str, str]],
    *,
    n: int,
    body: str,
    config: dict[str, Any],
) -> VariantRuns:
    """One emulator process; per run, every variant in turn (a, b, c, a, b, c, ...): reset the emulator with
    `config`, then a fresh worker `<variant name>` given info, `n` and the run's marker `<body> r<run>`.
    A failed variant notes its error in `result` and is skipped from then on."""
    runs = VariantRuns({name: [] for name, _ in variants}, {})
    with h.EmulatorProcess(time_scale=0.01) as emu:
        for run_idx in range(result.runs):
            for name, _label in variants:
                if name in runs.errors:
                    continue
                emu.reset(**config)
                params = {"info": emu.params(), "n": n, "marker": f"{body} r{run_idx}"}
                try:
                    runs.per[name].append(h.run_worker(module, name, params, timeout=WORKER_TIMEOUT))
                except h.BenchError as exc:
                    runs.errors[name] = str(exc)
    for name, label in variants:
        if name in runs.errors:
            result.notes.append(f"{label} FAILED: {runs.errors[name]}")
    return runs
