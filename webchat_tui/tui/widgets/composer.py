"""`Composer`: the message input. Enter sends; ctrl+j (or shift+enter / alt+enter) starts a new line.

| key                          | action            |
|------------------------------|-------------------|
| enter                        | send the message  |
| ctrl+j, shift+enter, alt+enter | new line        |

It shows a live counter against the 4,000-character limit and, while the chat cannot take messages, is
disabled with the reason in place of the counter. It never talks to the network: it posts `Composer.Submitted`
and `Composer.Typed` for the chat screen to act on.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static, TextArea

__all__ = ["Composer", "MessageInput", "MAX_MESSAGE_CHARS"]

MAX_MESSAGE_CHARS = 4000
"""The service's limit for one message body."""


class MessageInput(TextArea):
    """A TextArea where Enter submits instead of inserting a newline."""

    BINDINGS = [
        Binding("enter", "submit", "Send", priority=True, id="composer.send", tooltip="Send the message"),
        Binding(
            "ctrl+j,shift+enter,alt+enter",
            "newline",
            "New line",
            priority=True,
            show=False,
            id="composer.newline",
            tooltip="Insert a line break",
        ),
    ]

    @dataclass
    class Submitted(Message):
        """Enter was pressed with this text."""

        text_area: MessageInput
        text: str

        @property
        def control(self) -> MessageInput:
            """The input that posted this."""
            return self.text_area

    def action_submit(self) -> None:
        """Post `Submitted` with the current text."""
        self.post_message(self.Submitted(self, self.text))

    def action_newline(self) -> None:
        """Insert a line break at the cursor."""
        self.insert("\n")


class Composer(Vertical):
    """The message input plus its status line (counter, or why sending is disabled)."""

    DEFAULT_CSS = """
    Composer { height: auto; }
    Composer MessageInput { height: auto; min-height: 3; max-height: 8; }
    Composer #composer-status { height: 1; color: $text-muted; padding: 0 1; }
    Composer #composer-status.-over { color: $error; text-style: bold; }
    Composer.-blocked #composer-status { color: $warning; }
    """

    @dataclass
    class Submitted(Message):
        """The guest wants to send `text` (already checked: not blank, within the limit)."""

        composer: Composer
        text: str

        @property
        def control(self) -> Composer:
            """The composer that posted this."""
            return self.composer

    @dataclass
    class Typed(Message):
        """The guest changed the draft (the screen turns this into throttled typing indicators)."""

        composer: Composer

        @property
        def control(self) -> Composer:
            """The composer that posted this."""
            return self.composer

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._blocked_reason = "Connecting…"

    def compose(self) -> ComposeResult:
        area = MessageInput(
            id="message-input",
            soft_wrap=True,
            show_line_numbers=False,
            compact=True,
            placeholder="Type a message — Enter sends, ctrl+j adds a line",
        )
        yield area
        yield Static("", id="composer-status")

    def on_mount(self) -> None:
        self._refresh_status()

    @property
    def input(self) -> MessageInput:
        """The text area."""
        return self.query_one(MessageInput)

    @property
    def text(self) -> str:
        """The current draft."""
        return self.input.text

    def set_blocked(self, reason: str | None) -> None:
        """Disable sending with `reason` shown, or enable it again with `None`. The draft is kept."""
        self._blocked_reason = reason or ""
        self.set_class(bool(reason), "-blocked")
        self._refresh_status()

    @property
    def blocked_reason(self) -> str:
        """Why sending is disabled right now ("" when it is enabled)."""
        return self._blocked_reason

    def _refresh_status(self) -> None:
        status = self.query_one("#composer-status", Static)
        count = len(self.text)
        over = count > MAX_MESSAGE_CHARS
        status.set_class(over, "-over")
        counter = f"{count}/{MAX_MESSAGE_CHARS}"
        if self._blocked_reason:
            status.update(
                Content.assemble(("Sending disabled: ", "bold"), self._blocked_reason, f"  {counter}")
            )
        elif over:
            status.update(Content(f"{counter} — {count - MAX_MESSAGE_CHARS} characters over the limit"))
        else:
            status.update(Content(f"{counter}   enter send · ctrl+j new line"))

    @on(TextArea.Changed)
    def _changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._refresh_status()
        if self.text:
            self.post_message(self.Typed(self))

    @on(MessageInput.Submitted)
    def _submit(self, event: MessageInput.Submitted) -> None:
        event.stop()
        text = event.text
        if self._blocked_reason or not text.strip() or len(text) > MAX_MESSAGE_CHARS:
            self.app.bell()
            return
        self.post_message(self.Submitted(self, text))

    def clear(self) -> None:
        """Empty the draft (after a successful send)."""
        self.input.clear()
        self._refresh_status()
