"""Profile dialogs: a name for "Save form as profile" and a picker for "Load profile".

| key     | action                     |
|---------|----------------------------|
| enter   | save / load                |
| escape  | cancel                     |
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

__all__ = ["ProfileNameScreen", "ProfilePickScreen"]

_CSS = """
{name} {{ align: center middle; }}
{name} .dialog {{ width: 64; max-width: 95%; height: auto; }}
{name} OptionList {{ height: auto; max-height: 12; }}
"""


class ProfileNameScreen(ModalScreen[str | None]):
    """Ask for a profile name; dismisses with the name, or None when cancelled."""

    DEFAULT_CSS = _CSS.format(name="ProfileNameScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="profile-name.cancel")]

    def __init__(self, existing: list[str], suggestion: str = "") -> None:
        super().__init__()
        self._existing = existing
        self._suggestion = suggestion

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content("Save the form as a profile"), classes="dialog-title")
            names = ", ".join(self._existing) if self._existing else "none yet"
            yield Static(
                Content(f"A profile of the same name is replaced. Saved profiles: {names}."),
                classes="dialog-note",
            )
            yield Input(self._suggestion, placeholder="profile name, e.g. work", id="profile-name")
            yield Static("", id="profile-name-error", classes="field-error")
        yield Footer()

    @on(Input.Submitted, "#profile-name")
    def _submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if not name:
            error = self.query_one("#profile-name-error", Static)
            error.update(Content("Enter a name."))
            error.display = True
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)


class ProfilePickScreen(ModalScreen[str | None]):
    """Pick one of the saved profiles; dismisses with its name, or None when cancelled."""

    DEFAULT_CSS = _CSS.format(name="ProfilePickScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="profile-pick.cancel")]

    def __init__(self, names: list[tuple[str, str]]) -> None:
        """`names`: (profile name, one-line summary) pairs."""
        super().__init__()
        self._names = names

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content("Load a profile into the form"), classes="dialog-title")
            yield OptionList(
                *(Option(Content(f"{name}: {summary}"), id=name) for name, summary in self._names),
                id="profile-list",
            )
            yield Static(Content("Enter loads · Escape cancels"), classes="dialog-note")
        yield Footer()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Close without loading."""
        self.dismiss(None)
