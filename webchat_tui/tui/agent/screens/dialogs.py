"""Small modal dialogs of the agent console: a form of text fields, and a list of choices.

| key     | action                 |
|---------|------------------------|
| enter   | confirm                |
| escape  | cancel                 |
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option

__all__ = ["ChoiceScreen", "FormScreen"]


class FormScreen(ModalScreen[dict[str, str] | None]):
    """Text fields (`(key, label, default)`); enter in the last field confirms with their values."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="agent.dialog-cancel")]

    def __init__(self, title: str, fields: list[tuple[str, str, str]]) -> None:
        super().__init__(classes="agent-dialog")
        self._title = title
        self._fields = fields

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body"):
            yield Label(Content(self._title), classes="dialog-title")
            for key, label, default in self._fields:
                yield Label(Content(label))
                yield Input(value=default, id=f"field-{key}")
        yield Footer()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = list(self.query(Input))
        if event.input is not inputs[-1]:
            inputs[inputs.index(event.input) + 1].focus()
            return
        self.dismiss({key: self.query_one(f"#field-{key}", Input).value for key, _, _ in self._fields})

    def action_cancel(self) -> None:
        """Close without a result."""
        self.dismiss(None)


class ChoiceScreen(ModalScreen[str | None]):
    """A list of `(id, label)` choices; enter picks one."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="agent.dialog-cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__(classes="agent-dialog")
        self._title = title
        self._choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body"):
            yield Label(Content(self._title), classes="dialog-title")
            yield OptionList(*(Option(Content(label), id=key) for key, label in self._choices))
        yield Footer()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Close without a choice."""
        self.dismiss(None)
