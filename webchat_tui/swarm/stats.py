"""Swarm statistics: guest states, counters, latencies (overall and over a recent window), errors by kind,
and the JSON summary."""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

__all__ = ["GUEST_STATES", "percentile", "Latencies", "SwarmStats"]

GUEST_STATES = ("connecting", "waiting", "chatting", "ended", "failed")
WINDOW_S = 5.0


def percentile(values: list[float], p: float) -> float | None:
    """The ``p``-th percentile (nearest rank) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


@dataclass(slots=True)
class Latencies:
    """Samples in milliseconds, all of them and those of the last `WINDOW_S` seconds."""

    samples: list[float] = field(default_factory=list)
    recent: deque[tuple[float, float]] = field(default_factory=deque)

    def add(self, ms: float, now: float | None = None) -> None:
        """One sample."""
        self.samples.append(ms)
        self.recent.append((time.monotonic() if now is None else now, ms))

    def window(self, now: float | None = None) -> list[float]:
        """The samples of the last few seconds."""
        limit = (time.monotonic() if now is None else now) - WINDOW_S
        while self.recent and self.recent[0][0] < limit:
            self.recent.popleft()
        return [ms for _, ms in self.recent]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(slots=True)
class SwarmStats:
    """Everything the live view and the summary show."""

    guests: int
    states: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    delivered: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    connect: Latencies = field(default_factory=Latencies)
    delivery: Latencies = field(default_factory=Latencies)
    sent_times: deque[float] = field(default_factory=deque)
    started: float = field(default_factory=time.monotonic)
    lost: int | None = None
    duplicated: int | None = None
    counted_against: str = ""

    def move(self, old: str | None, new: str) -> None:
        """A guest changed state."""
        if old is not None:
            self.states[old] -= 1
        self.states[new] += 1

    def note_sent(self) -> None:
        """A guest called send."""
        self.sent += 1
        self.sent_times.append(time.monotonic())

    def note_delivered(self, ms: float) -> None:
        """A send came back (the service stored it)."""
        self.delivered += 1
        self.delivery.add(ms)

    def note_error(self, kind: str) -> None:
        """Something failed (kind: an exception class name or a short word)."""
        self.errors[kind] += 1

    def rates(self) -> tuple[float, float]:
        """Messages per second sent and delivered over the last few seconds."""
        now = time.monotonic()
        limit = now - WINDOW_S
        while self.sent_times and self.sent_times[0] < limit:
            self.sent_times.popleft()
        span = min(WINDOW_S, max(now - self.started, 1e-3))
        return len(self.sent_times) / span, len(self.delivery.window(now)) / span

    def summary(self, duration_s: float, **extra: Any) -> dict[str, Any]:
        """The final summary (the keys of `--json`)."""
        return {
            "guests": self.guests,
            "duration_s": round(duration_s, 2),
            "sent": self.sent,
            "delivered": self.delivered,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "counted_against": self.counted_against,
            "errors": sum(self.errors.values()),
            "errors_by_kind": dict(self.errors),
            "guest_states": {s: self.states[s] for s in GUEST_STATES},
            "connect_p50_ms": _ms(percentile(self.connect.samples, 50)),
            "connect_p99_ms": _ms(percentile(self.connect.samples, 99)),
            "delivery_p50_ms": _ms(percentile(self.delivery.samples, 50)),
            "delivery_p99_ms": _ms(percentile(self.delivery.samples, 99)),
            "msgs_per_s": round(self.delivered / duration_s, 2) if duration_s > 0 else 0.0,
            **extra,
        }
