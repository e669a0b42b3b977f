"""`HelpScreen`: every key of the screen in front of the user, read from its live bindings.

The rows come from `Screen.active_bindings` of the screen below, so they follow the focused widget, the
`[keymap]` table of config.toml and any key another screen adds or moves. The ~40 text-editing keys of
Textual's `Input` and `TextArea` are summed up in one line instead of listed.

| key               | action      |
|-------------------|-------------|
| escape / f1 / ?   | close       |
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Static, TextArea

__all__ = ["HelpScreen", "help_rows"]

_EDITING_WIDGETS: tuple[type[Input] | type[TextArea], ...] = (Input, TextArea)
_HIDDEN_ACTIONS = {"help_quit", "command_palette"}
_SCROLL_ACTIONS = {
    f"{verb}_{where}"
    for verb in ("scroll", "page")
    for where in ("up", "down", "left", "right", "home", "end")
}


def _editing_actions() -> set[str]:
    """Actions of the stock text-editing bindings (cursor moves, deletes, undo...)."""
    actions: set[str] = set()
    for widget in _EDITING_WIDGETS:
        for binding in widget.BINDINGS:
            if isinstance(binding, Binding):
                actions.add(binding.action)
    return actions


def help_rows(screen: Screen[object]) -> list[tuple[str, str, str]]:
    """(section, keys, what it does) for every active binding of `screen`, screen keys before app keys."""
    app = screen.app
    editing = _editing_actions()
    by_action: dict[tuple[str, str], list[str]] = {}
    order: list[tuple[str, str]] = []
    scrolls: list[str] = []
    for active in screen.active_bindings.values():
        binding = active.binding
        node = active.node
        if binding.action in _HIDDEN_ACTIONS and not binding.description:
            continue
        if isinstance(node, _EDITING_WIDGETS) and binding.action in editing:
            continue  # summed up as one "text fields" line below
        if isinstance(node, ScrollableContainer) and binding.action in _SCROLL_ACTIONS:
            scrolls.append(app.get_key_display(binding))
            continue  # summed up as one "scroll" line below
        words = binding.tooltip or binding.description
        if not words:
            continue
        if not active.enabled:
            words += " (not now)"
        section = "Everywhere" if node is app else "This screen"
        key = (section, words)
        if key not in by_action:
            by_action[key] = []
            order.append(key)
        display = app.get_key_display(binding)
        if display not in by_action[key]:
            by_action[key].append(display)
    rows = [(section, " / ".join(by_action[(section, words)]), words) for section, words in order]
    extra = getattr(screen, "help_extra", None)
    if callable(extra):
        rows.extend(("This screen", keys, words) for keys, words in extra())
    if scrolls:
        rows.append(("This screen", " ".join(dict.fromkeys(scrolls)), "Scroll the focused pane"))
    rows.sort(key=lambda row: row[0] != "This screen")  # stable: the screen's own keys first
    if isinstance(screen.focused, _EDITING_WIDGETS):
        rows.append(("Text fields", "← → home end", "The usual editing keys (ctrl+a/e/k/u/w, ctrl+x/c/v, …)"))
    return rows


class HelpScreen(ModalScreen[None]):
    """The keys of the screen below, grouped; Escape (or F1, ?) closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-dialog {
        width: 90; max-width: 95%; height: auto; max-height: 90%;
        padding: 0 2; background: $surface; border: thick $accent;
    }
    HelpScreen #help-title { text-style: bold; }
    HelpScreen #help-keys { height: auto; max-height: 40; }
    HelpScreen .help-section { color: $text-accent; text-style: bold; margin-top: 1; }
    HelpScreen .help-row { height: auto; }
    HelpScreen .help-keys { width: 24; text-style: bold; }
    HelpScreen .help-words { width: 1fr; }
    HelpScreen #help-note { color: $text-muted; margin-top: 1; }
    """

    BINDINGS = [Binding("escape,f1,question_mark", "close", "Close", id="help.close")]

    def __init__(self, rows: Iterable[tuple[str, str, str]], title: str) -> None:
        super().__init__()
        self._rows = list(rows)
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(Content(f"Keys — {self._title}"), id="help-title")
            with VerticalScroll(id="help-keys"):
                section = ""
                for row_section, keys, words in self._rows:
                    if row_section != section:
                        section = row_section
                        yield Static(Content(section), classes="help-section")
                    with Horizontal(classes="help-row"):
                        yield Static(Content(keys), classes="help-keys")
                        yield Static(Content(words), classes="help-words")
            yield Static(Content("Escape closes this help."), id="help-note")
        yield Footer()

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
