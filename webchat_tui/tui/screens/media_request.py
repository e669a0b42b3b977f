"""`MediaRequestScreen`: the agent asks to co-browse or share the screen; the guest accepts or declines.

| key            | action   |
|----------------|----------|
| a / y          | accept   |
| d / n / escape | decline  |

Dismisses with "accept" or "decline"; the chat screen dismisses it with None when the request times out or
is cancelled before the guest answered.

The dialog pops up while the guest may be typing a message, so for `ARM_DELAY` seconds after it opens it
ignores answers (keys, Enter on a button, clicks): a sentence typed into the composer must not accept a
screen share by its letter "a" (the same guard browsers put on permission prompts).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from webchat_tui.api.session_types import MediaRequest
from webchat_tui.sanitize import sanitize_line

__all__ = ["MediaRequestScreen", "describe_media_types"]

_TYPE_WORDS = {"COBROWSE": "co-browse with you", "SCREENSHARE": "see your screen"}
_TYPE_NAMES = {"COBROWSE": "co-browse", "SCREENSHARE": "screen share"}


def describe_media_types(types: tuple[str, ...], *, as_noun: bool = False) -> str:
    """Words for what a request asks for: "see your screen" or, as a noun, "screen share"."""
    table = _TYPE_NAMES if as_noun else _TYPE_WORDS
    words = [table.get(t, t.lower()) for t in types] or ["share media"]
    return " and ".join(words)


class MediaRequestScreen(ModalScreen[str | None]):
    """Who asks for what, with Accept / Decline."""

    BINDINGS = [
        Binding("a,y", "answer('accept')", "Accept", id="media.accept"),
        Binding("d,n,escape", "answer('decline')", "Decline", id="media.decline"),
    ]

    ARM_DELAY = 0.6
    """Seconds after opening during which answers are ignored (keystrokes meant for the composer)."""

    def __init__(self, request: MediaRequest, requester: str, *, queued: int = 0) -> None:
        super().__init__()
        self.armed = False
        """Whether answers are taken yet (see `ARM_DELAY`)."""
        self.request = request
        """The request this dialog answers."""
        self._requester = sanitize_line(requester) or "The agent"
        self._queued = queued

    def compose(self) -> ComposeResult:
        what = describe_media_types(self.request.types)
        noun = describe_media_types(self.request.types, as_noun=True)
        with Vertical(id="dialog", classes="dialog media-dialog"):
            yield Static(
                Content.assemble(("Media request: ", "bold"), (noun, "bold $accent")), classes="dialog-title"
            )
            yield Static(
                Content.assemble((self._requester, "bold"), f" would like to {what}."),
                classes="dialog-detail",
            )
            yield Static(self._queued_text(), classes="dialog-note", id="queued")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Accept (a)", id="accept", variant="success")
                yield Button("Decline (d)", id="decline", variant="error")
        yield Footer()  # this dialog's keys, in place of the screen's below (they do not work meanwhile)

    def on_mount(self) -> None:
        self.query_one("#accept", Button).focus()
        self.set_queued(self._queued)
        self.set_timer(self.ARM_DELAY, self.arm, name="media-request-arm")

    def arm(self) -> None:
        """Start taking answers."""
        self.armed = True

    def _answer(self, choice: str) -> None:
        if not self.armed:
            self.app.bell()  # most likely a keystroke meant for the message being typed
            return
        self.dismiss(choice)

    def _queued_text(self) -> Content:
        return Content(f"{self._queued} more request(s) waiting after this one." if self._queued else "")

    def set_queued(self, count: int) -> None:
        """Say how many more requests wait behind this one."""
        self._queued = count
        note = self.query_one_optional("#queued", Static)
        if note is not None:
            note.update(self._queued_text())
            note.display = bool(count)

    @on(Button.Pressed, "#accept")
    def _accept(self) -> None:
        self._answer("accept")

    @on(Button.Pressed, "#decline")
    def _decline(self) -> None:
        self._answer("decline")

    def action_answer(self, choice: str) -> None:
        """Close with "accept" or "decline" (ignored until the dialog is armed)."""
        self._answer(choice)
