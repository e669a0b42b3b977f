"""`InfoScreen`: the ids a tester needs (backend URL, seeded ids, queues, conversation and member id, where
files go), each copyable to the clipboard.

| key     | action                          |
|---------|---------------------------------|
| c       | copy everything as `name: value` lines |
| escape  | close                           |
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

__all__ = ["InfoScreen"]


class InfoScreen(ModalScreen[None]):
    """A list of (name, value) rows with a Copy button each; values are shown as literal text."""

    DEFAULT_CSS = """
    InfoScreen { align: center middle; }
    InfoScreen #info-dialog {
        width: 100; max-width: 95%; height: auto; max-height: 90%;
        padding: 0 2; background: $surface; border: thick $accent;
    }
    InfoScreen #info-title { text-style: bold; margin-bottom: 1; }
    InfoScreen #info-note { color: $text-muted; margin-top: 1; }
    InfoScreen #info-rows { height: auto; max-height: 24; }
    InfoScreen .info-row { height: 1; }
    InfoScreen .info-name { width: 18; color: $text-muted; }
    InfoScreen .info-value { width: 1fr; }
    InfoScreen .info-copy { min-width: 8; }
    """

    BINDINGS = [
        Binding("c", "copy_all", "Copy all", id="info.copy-all"),
        Binding("escape", "close", "Close", id="info.close"),
    ]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = [(name, value) for name, value in rows if value]
        """The (name, value) pairs shown; empty values are left out."""

    def compose(self) -> ComposeResult:
        with Vertical(id="info-dialog"):
            yield Static(Content("Chat and backend details"), id="info-title")
            with VerticalScroll(id="info-rows"):
                for index, (name, value) in enumerate(self.rows):
                    with Horizontal(classes="info-row"):
                        yield Static(Content(name), classes="info-name")
                        yield Static(Content(value), classes="info-value")
                        yield Button("Copy", id=f"copy-{index}", classes="info-copy", compact=True)
            yield Static(Content("c copies everything · Escape closes"), id="info-note")
        yield Footer()

    @on(Button.Pressed, ".info-copy")
    def _copy_one(self, event: Button.Pressed) -> None:
        index = int((event.button.id or "copy-0").removeprefix("copy-"))
        name, value = self.rows[index]
        self.app.copy_to_clipboard(value)
        self.notify(f"Copied the {name.lower()} to the clipboard.", markup=False)

    def action_copy_all(self) -> None:
        """Copy every row as `name: value` lines."""
        self.app.copy_to_clipboard("\n".join(f"{name}: {value}" for name, value in self.rows))
        self.notify("Copied all details to the clipboard.", markup=False)

    def action_close(self) -> None:
        """Close the panel."""
        self.dismiss(None)
