"""`ResumeScreen`: a stored Web Messaging conversation exists for this deployment; resume it or start new.

| key     | action                              |
|---------|-------------------------------------|
| r       | resume the previous conversation    |
| n       | start a new conversation            |
| escape  | back to the form                    |
| enter   | the focused button (initially Resume) |
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

__all__ = ["ResumeScreen"]


class ResumeScreen(ModalScreen[str | None]):
    """Dismisses with `"resume"`, `"new"`, or None (escape: back to the form)."""

    BINDINGS = [
        Binding("r", "answer('resume')", "Resume", id="resume.resume"),
        Binding("n", "answer('new')", "Start new", id="resume.new"),
        Binding("escape", "answer(None)", "Back", id="resume.back"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(Content("You have a conversation on this deployment."), classes="dialog-title")
            yield Static(
                Content("Resume it (its earlier messages are shown), or start a new one?"),
                classes="dialog-detail",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Resume the previous conversation (r)", id="resume", variant="primary")
                yield Button("Start new (n)", id="new")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#resume", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_answer(self, value: str | None) -> None:
        """Close with `value`."""
        self.dismiss(value)
