"""`Composer`: the message input. Enter sends; ctrl+j (or shift+enter / alt+enter) starts a new line.

| key                            | action            |
|--------------------------------|-------------------|
| enter                          | send the message  |
| ctrl+j, shift+enter, alt+enter | new line          |

Most terminals report shift+enter and alt+enter as plain Enter; only those speaking the kitty keyboard
protocol tell them apart. So the hint names ctrl+j (which works everywhere) until the terminal has shown that
it reports shift+enter or alt+enter, and from then on names the key the guest used.

It shows a live counter against the 4,000-character limit and, while the chat cannot take messages, says why
in place of the hint. Once the chat has ended it is read-only and says how to go on. It never talks to the
network: it posts `Composer.Submitted` and `Composer.Typed` for the chat screen to act on.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message
from textual.style import Style as VisualStyle
from textual.widgets import Static, TextArea

from webchat_tui.tui.widgets.contrast import readable

__all__ = ["Composer", "MessageInput", "MAX_MESSAGE_CHARS", "plural"]

MAX_MESSAGE_CHARS = 4000
"""The service's limit for one message body."""
_PLACEHOLDER = "Type a message and press Enter"


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """`1 character`, `2 characters` (`plural_noun` for irregular plurals), with thousands separators."""
    word = noun if count == 1 else (plural_noun or noun + "s")
    return f"{count:,} {word}"


class MessageInput(TextArea):
    """A TextArea where Enter submits instead of inserting a newline."""

    BINDINGS = [
        Binding(
            "enter",
            "submit",
            "Send",
            show=False,  # the line under the input says it, next to the new-line key
            id="composer.send",
            tooltip="Send the message",
        ),
        Binding(
            "ctrl+u",
            "attach_or_delete",
            "Send a file",
            show=False,
            id="composer.attach",
            tooltip="Send a file (in an empty message box; otherwise delete to the line start)",
        ),
        Binding(
            "ctrl+j",
            "newline",
            "New line",
            show=False,
            id="composer.newline",
            tooltip="Insert a line break",
        ),
        Binding(
            "shift+enter",
            "newline('shift+enter')",
            "New line",
            show=False,
            id="composer.newline-shift-enter",
            tooltip="Insert a line break (terminals that tell shift+enter from enter)",
        ),
        Binding(
            "alt+enter",
            "newline('alt+enter')",
            "New line",
            show=False,
            id="composer.newline-alt-enter",
            tooltip="Insert a line break (terminals that tell alt+enter from enter)",
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

    newline_key = "ctrl+j"
    """The new-line key the hint names: ctrl+j, or shift+enter / alt+enter once the terminal reported one."""

    def get_visual_style(self, *component_classes: str, partial: bool = False) -> VisualStyle:
        """The placeholder's colour made readable against the input's background, in every theme."""
        style = super().get_visual_style(*component_classes, partial=partial)
        if component_classes == ("text-area--placeholder",):
            colour = self.get_component_styles("text-area--placeholder").color
            style = style + VisualStyle(foreground=readable(colour, self.background_colors[1]))
        return style

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No Send (nor new line) while read-only: the footer stops offering it."""
        if action in ("submit", "newline") and self.read_only:
            return False
        return True

    _OWN_ACTIONS = ("submit", "newline", "attach_or_delete")

    async def _on_key(self, event: events.Key) -> None:
        """Send, new line and attach run here, in this widget's own key order, not as priority bindings.

        A priority binding runs when the app reads the key, while letters typed just before it (a paste,
        tmux `send-keys 'hello from the terminal burst' Enter`, a fast typist) may still wait in this
        widget's queue: Enter then sent only part of the text. Keys come from the live bindings, so a
        keymap that moves Send moves it here too."""
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if binding.action.split("(")[0] in self._OWN_ACTIONS:
                event.stop()
                event.prevent_default()
                if not self.read_only:
                    await self.run_action(binding.action)
                return
        await super()._on_key(event)

    def action_submit(self) -> None:
        """Take the text out of the box and post `Submitted` with it.

        Emptied here, in key order, not later by the screen: keys of the next message of a burst may already
        be queued behind this Enter, and clearing the box later would lose them (or send them joined)."""
        text = self.text
        self.clear()
        self.post_message(self.Submitted(self, text))

    class AttachRequested(Message):
        """ctrl+u in an empty message box: the guest wants to send a file."""

    def action_attach_or_delete(self) -> None:
        """ctrl+u sends a file when the message box is empty (nothing to delete); in a draft it keeps its
        editing meaning (delete to the start of the line)."""
        if self.text:
            self.action_delete_to_start_of_line()
        else:
            self.post_message(self.AttachRequested())

    def action_newline(self, key: str = "") -> None:
        """Insert a line break at the cursor. `key` is set for shift+enter / alt+enter: it reached us, so this
        terminal tells it apart from Enter, and the hint names it from now on."""
        self.insert("\n")
        if key and key != self.newline_key:
            self.newline_key = key
            self.post_message(self.NewlineKeyLearned())

    class NewlineKeyLearned(Message):
        """The terminal reported shift+enter or alt+enter (so the hint can name it)."""


class Composer(Vertical):
    """The message input plus its status line (counter, or why sending is disabled)."""

    DEFAULT_CSS = """
    Composer { height: auto; }
    Composer MessageInput { height: auto; min-height: 1; max-height: 8; }
    Composer #composer-status { height: 1; color: $text-muted; padding: 0 1; }
    Composer #composer-status.-over { color: $text-error; text-style: bold; }
    Composer.-blocked #composer-status { color: $text-warning; }
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
        self._way_on = ""
        self._sending = 0
        self._uploading = ""

    def compose(self) -> ComposeResult:
        area = MessageInput(
            id="message-input",
            soft_wrap=True,
            show_line_numbers=False,
            compact=True,
            placeholder=_PLACEHOLDER,
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

    def set_blocked(self, reason: str | None, *, read_only: str | None = None) -> None:
        """Disable sending with `reason` shown, or enable it again with `None`. The draft is kept.

        With `read_only` (the way on, e.g. "ctrl+n starts a new chat") the input stops taking text too: the
        chat is over for good.
        """
        self._blocked_reason = reason or ""
        self._way_on = read_only or ""
        self.set_class(bool(reason), "-blocked")
        area = self.input
        area.read_only = bool(read_only)
        area.placeholder = f"{reason[:1].upper()}{reason[1:]} — {read_only}" if reason and read_only else ""
        area.placeholder = area.placeholder or _PLACEHOLDER
        area.refresh_bindings()
        self._refresh_status()

    def set_uploading(self, words: str) -> None:
        """Show an upload in progress ("uploading report.pdf (1.2 MB)…"), or clear it with ""."""
        self._uploading = words
        self._refresh_status()

    def set_sending(self, pending: int) -> None:
        """Show a small "sending…" mark while more than one message waits to be delivered (paced sends)."""
        shown = pending if pending > 1 else 0
        if shown != self._sending:
            self._sending = shown
            self._refresh_status()

    @property
    def blocked_reason(self) -> str:
        """Why sending is disabled right now ("" when it is enabled)."""
        return self._blocked_reason

    def _refresh_status(self) -> None:
        try:
            status = self.query_one("#composer-status", Static)
        except NoMatches:  # being taken down: a send finishing while the chat screen closes
            return
        count = len(self.text)
        over = count > MAX_MESSAGE_CHARS
        status.set_class(over, "-over")
        counter = f"{count}/{MAX_MESSAGE_CHARS}"
        if self._blocked_reason and self._way_on:
            status.update(
                Content.assemble(("Read-only: ", "bold"), self._blocked_reason, f" · {self._way_on}")
            )
        elif self._blocked_reason:
            status.update(
                Content.assemble(("Sending disabled: ", "bold"), self._blocked_reason, f"  {counter}")
            )
        elif over:
            extra = count - MAX_MESSAGE_CHARS
            status.update(Content(f"{counter} — {plural(extra, 'character')} over the limit"))
        else:
            sending = f"   sending… ({self._sending} queued)" if self._sending else ""
            if self._uploading:
                sending = f"   {self._uploading}"
            status.update(Content(f"{counter}   enter send · {self.input.newline_key} new line{sending}"))

    @on(MessageInput.NewlineKeyLearned)
    def _newline_key_learned(self, event: MessageInput.NewlineKeyLearned) -> None:
        event.stop()
        self._refresh_status()

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
            if text:  # not sent: the draft goes back, ahead of anything typed since
                self.input.insert(text, (0, 0))
            return
        self._refresh_status()
        self.post_message(self.Submitted(self, text))

    def clear(self) -> None:
        """Empty the draft."""
        self.input.clear()
        self._refresh_status()
