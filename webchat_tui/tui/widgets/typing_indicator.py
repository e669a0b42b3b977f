"""`TypingIndicator`: "<name> is typing…" for the other members (the session expires stale indicators)."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from webchat_tui.sanitize import sanitize_line

__all__ = ["TypingIndicator", "typing_text"]


def typing_text(names: tuple[str, ...]) -> Content:
    """Literal text for the names currently typing (empty when nobody is)."""
    clean = [sanitize_line(n) or "Someone" for n in names]
    if not clean:
        return Content("")
    if len(clean) == 1:
        return Content.assemble((clean[0], "bold"), " is typing…")
    if len(clean) == 2:
        return Content.assemble((clean[0], "bold"), " and ", (clean[1], "bold"), " are typing…")
    return Content(f"{len(clean)} people are typing…")


class TypingIndicator(Static):
    """One line under the transcript; empty (but keeping its height) while nobody types."""

    DEFAULT_CSS = """
    TypingIndicator { height: 1; color: $text-muted; text-style: italic; padding: 0 1; }
    """

    names: reactive[tuple[str, ...]] = reactive(tuple, init=False)
    """Display names of the members typing right now, as the session reports them."""

    def watch_names(self, names: tuple[str, ...]) -> None:
        self.update(typing_text(names))
