"""The swarm's live view (a block redrawn in place on a terminal, a plain line every few seconds otherwise)
and its final summary in words."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any, TextIO

from webchat_tui.swarm.stats import GUEST_STATES, SwarmStats, percentile

__all__ = ["LiveView", "format_summary", "live_lines"]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def live_lines(stats: SwarmStats, elapsed: float, duration: float) -> list[str]:
    """The live view's lines: guests by state, rates, latencies (last 5 s), errors by kind."""
    states = "  ".join(f"{s} {stats.states[s]}" for s in GUEST_STATES)
    sent_rate, delivered_rate = stats.rates()
    window = stats.delivery.window()
    errors = ", ".join(f"{k} {n}" for k, n in stats.errors.most_common(4)) or "none"
    return [
        f"swarm {elapsed:5.1f}/{duration:.0f} s  guests {stats.guests}: {states}",
        f"  msgs/s sent {sent_rate:7.1f}  delivered {delivered_rate:7.1f}   total sent {stats.sent} "
        f"delivered {stats.delivered}",
        f"  delivery p50 {_ms(percentile(window, 50))}  p99 {_ms(percentile(window, 99))}   connect p50 "
        f"{_ms(percentile(stats.connect.samples, 50))}  p99 {_ms(percentile(stats.connect.samples, 99))}",
        f"  errors: {errors}",
    ]


class LiveView:
    """Shows `live_lines` while the swarm runs."""

    def __init__(
        self, stats_of: Any, duration: float, stream: TextIO | None = None, tty: bool | None = None
    ) -> None:
        """``stats_of``: a callable returning the current `SwarmStats` (the swarm replaces it at start)."""
        self.stats_of = stats_of
        self.duration = duration
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.drawn = 0

    async def run(self) -> None:
        """Redraw every second on a terminal, print a line every 5 s otherwise; cancel to stop."""
        started = time.monotonic()
        interval = 1.0 if self.tty else 5.0
        while True:
            await asyncio.sleep(interval)
            self.show(time.monotonic() - started)

    def show(self, elapsed: float) -> None:
        """Draw once."""
        lines = live_lines(self.stats_of(), elapsed, self.duration)
        if self.tty:
            up = f"\x1b[{self.drawn}F" if self.drawn else ""
            self.stream.write(up + "".join(f"\x1b[2K{line}\n" for line in lines))
            self.drawn = len(lines)
        else:
            self.stream.write(" | ".join(line.strip() for line in lines) + "\n")
        self.stream.flush()


def format_summary(summary: dict[str, Any]) -> str:
    """The final summary in words."""
    s = summary
    errors = ", ".join(f"{k} {n}" for k, n in s.get("errors_by_kind", {}).items()) or "none"
    states = ", ".join(f"{k} {n}" for k, n in s.get("guest_states", {}).items() if n)
    return "\n".join(
        [
            f"Swarm of {s['guests']} {s.get('channel', '')} guests on {s.get('target', '?')} "
            f"for {s['duration_s']} s ({states})",
            f"  sent {s['sent']}, delivered {s['delivered']}, lost {s['lost']}, duplicated {s['duplicated']}"
            f" (against the {s.get('counted_against') or '?'}), {s['msgs_per_s']} msgs/s",
            f"  delivery p50 {_ms(s['delivery_p50_ms'])}, p99 {_ms(s['delivery_p99_ms'])}; connect p50 "
            f"{_ms(s['connect_p50_ms'])}, p99 {_ms(s['connect_p99_ms'])}",
            f"  errors {s['errors']}: {errors}",
        ]
    )
