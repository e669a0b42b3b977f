"""`MediaRequestScreen`: the agent asks to co-browse or share the screen; the guest accepts or declines.

| key            | action   |
|----------------|----------|
| a / y          | accept   |
| d / n / escape | decline  |

It shows the request's security key when the service sent one.

Dismisses with "accept" or "decline"; the chat screen dismisses it with None when the request times out or
is cancelled before the guest answered.

The dialog pops up while the guest may be typing a message, so for `ARM_DELAY` seconds after it opens it
ignores answers (keys, Enter on a button, clicks): a sentence typed into the composer must not accept a
screen share by its letter "a" (the same guard browsers put on permission prompts). Letters typed meanwhile
are passed on to the message box they were meant for.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from webchat_tui.api.session_types import MediaRequest
from webchat_tui.api.transcript import describe_media_types
from webchat_tui.sanitize import sanitize_line

__all__ = [
    "MediaRequestScreen",
    "describe_media_types",
    "security_key_text",
]  # the words live with the transcript's


def security_key_text(key: str) -> Content:
    """The dialog's line showing a request's security key (literal text)."""
    return Content.assemble("Security key: ", (key, "bold"), " (the agent may ask you to read it out)")


class MediaRequestScreen(ModalScreen[str | None]):
    """Who asks for what, with Accept / Decline."""

    BINDINGS = [
        Binding("a,y", "answer('accept')", "Accept", id="media.accept"),
        Binding("d,n,escape", "answer('decline')", "Decline", id="media.decline"),
    ]

    ARM_DELAY = 0.6
    """Seconds after opening during which answers are ignored (keystrokes meant for the composer)."""

    def __init__(
        self,
        request: MediaRequest,
        requester: str,
        *,
        queued: int = 0,
        forward_key: Callable[[str], None] | None = None,
    ) -> None:
        """`forward_key` receives letters typed before the dialog takes answers (they were meant for the
        message being written)."""
        super().__init__()
        self._forward_key = forward_key
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
            key = sanitize_line(self.request.security_key or "")
            if key:
                yield Static(security_key_text(key), classes="dialog-detail", id="security-key")
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

    def on_key(self, event: events.Key) -> None:
        """Before the dialog takes answers, letters go on into the message box they were typed for."""
        character = event.character
        if not self.armed and self._forward_key is not None and character and event.is_printable:
            event.stop()
            event.prevent_default()
            self._forward_key(character)

    def _answer(self, choice: str) -> None:
        if not self.armed:
            self.app.bell()  # most likely a keystroke meant for the message being typed
            return
        self.dismiss(choice)

    def _queued_text(self) -> Content:
        count = self._queued
        words = f"{count} more {'request' if count == 1 else 'requests'} waiting after this one."
        return Content(words if count else "")

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
