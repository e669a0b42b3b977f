"""`StatusBar`: where the chat is: connecting, waiting (spinner + elapsed time), connected, ended."""

from __future__ import annotations

from collections.abc import Callable

from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from webchat_tui.sanitize import sanitize_line

__all__ = ["StatusBar", "SPINNER", "format_elapsed"]

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_MARKER_COLOURS = {
    "connecting": "$text-warning",
    "waiting": "$text-warning",
    "connected": "$text-success",
    "reconnecting": "$text-warning",
    "ended": "$text-error",
}
"""The state's colour is on its marker; the words are drawn in the theme's text colour (readable in every
theme: a success green on a light panel is not)."""


def format_elapsed(seconds: float) -> str:
    """`m:ss` (or `h:mm:ss`) for a duration."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class StatusBar(Static):
    """Shows the session state in words, after a marker in the state's colour; animates a spinner and elapsed
    time while the guest waits.

    The clock is injected so snapshots stay still: the spinner frame and the elapsed time both come from it.
    """

    DEFAULT_CSS = """
    StatusBar {
        height: 1; padding: 0 1; background: $panel; color: $text;
        text-wrap: nowrap; text-overflow: ellipsis;  /* a line too long for the terminal ends in "…" */
    }
    StatusBar.-reconnecting, StatusBar.-ended { text-style: bold; }
    """

    def __init__(self, clock: Callable[[], float], *, id: str | None = None) -> None:  # noqa: A002
        super().__init__("", id=id)
        self._clock = clock
        self._kind = "connecting"
        self._text = "Connecting…"
        self._since = clock()
        self._ticker: Timer | None = None
        self._later: tuple[float, str] | None = None

    def on_mount(self) -> None:
        self._ticker = self.set_interval(0.1, self._tick, pause=True)
        self._render_status()

    def show(
        self, kind: str, text: str, *, reset_clock: bool = False, later: tuple[float, str] | None = None
    ) -> None:
        """Show `text` (plain, never markup); `kind` is connecting/waiting/connected/reconnecting/ended.

        `later` is (seconds, words): while the spinner runs, the words are added once that long has passed
        (a suggestion after a long wait).
        """
        if reset_clock or kind != self._kind:
            self._since = self._clock()
        self._kind = kind
        self._text = sanitize_line(text)
        self._later = later
        for name in ("connecting", "waiting", "connected", "reconnecting", "ended"):
            self.set_class(name == kind, f"-{name}")
        if self._ticker is not None:
            if kind in ("connecting", "waiting", "reconnecting"):
                self._ticker.resume()
            else:
                self._ticker.pause()
        self._render_status()

    @property
    def text(self) -> str:
        """The status words currently shown (without spinner and time)."""
        return self._text

    def _tick(self) -> None:
        self._render_status()

    def _render_status(self) -> None:
        now = self._clock()
        if self._kind in ("connecting", "waiting", "reconnecting"):
            frame = SPINNER[int(now * 10) % len(SPINNER)]
            waited = now - self._since
            parts: list[str | tuple[str, str]] = [(frame, _MARKER_COLOURS[self._kind]), " ", self._text]
            parts.append(f"  {format_elapsed(waited)}")
            if self._later is not None and waited >= self._later[0]:
                parts.append(f"  — {self._later[1]}")
            self.update(Content.assemble(*parts))
        else:
            marker = "●" if self._kind == "connected" else "■"
            self.update(Content.assemble((marker, _MARKER_COLOURS[self._kind]), " ", self._text))
