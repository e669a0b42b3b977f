"""`ChatPane`: one conversation the person answers (one tab each): the guest's details, the transcript (the
guest app's `MessageLog`), the guest's typing, and the composer.

| key     | action                                          | channel       |
|---------|-------------------------------------------------|---------------|
| enter   | send the message                                | both          |
| ctrl+r  | quick replies (a question and buttons)          | Web Messaging |
| f5      | a card                                          | Web Messaging |
| f6      | a date picker                                   | Web Messaging |
| ctrl+o  | send a file                                     | Web Messaging |
| ctrl+s  | screen-share request                            | Web Chat v2   |
| ctrl+b  | co-browse request                               | Web Chat v2   |
| ctrl+t  | transfer (simulated agent or another queue)     | both          |
| ctrl+l  | end the conversation                            | both          |
| f8      | close this tab (once the conversation is over)  | both          |

Typing in the composer tells the guest the agent is typing (at most every `TYPING_EVERY` seconds).

Messages with times come from the service (the history, and whatever rich content the person sends) and are
drawn as the guest app draws them (`api.transcript`): a card's words, then its buttons as an inert row (the
guest picks; here they only show what the guest was offered).
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from webchat_tui.api.transcript import CONTENT_KINDS, describe_event
from webchat_tui.chat.types import ChatMessage, MessagesAdded
from webchat_tui.emulator.config import QUEUES
from webchat_tui.sanitize import sanitize_line, sanitize_text
from webchat_tui.tui.agent.backend import MESSAGING, WEBCHAT, DeskBackend
from webchat_tui.tui.agent.screens.dialogs import ChoiceScreen, FormScreen
from webchat_tui.tui.app import local_time
from webchat_tui.tui.screens.chat import offer_for_line
from webchat_tui.tui.widgets.message_log import LogEntry, MessageLog
from webchat_tui.tui.widgets.typing_indicator import TypingIndicator

__all__ = ["ChatPane", "TRANSFER_SIMULATED", "transferred_text"]

TYPING_EVERY = 2.0  # seconds between the agent's typing signals while the person types
GUEST_TYPING_SHOWN = 5.0  # seconds the guest's typing stays shown without a new signal
TRANSFER_SIMULATED = "simulated"
MESSAGING_ONLY = {"quick_replies", "card", "date_picker", "file"}
WEBCHAT_ONLY = {"screen_share", "cobrowse"}
MEDIA_NAMES = {"SCREENSHARE": "Screen share", "COBROWSE": "Co-browse"}


ENDED_BY_YOU = "You ended the conversation."


def transferred_text(queue: str | None) -> str:
    """The tab's line once a conversation was handed over (the feed and the action say the same)."""
    return f"Transferred to {'queue ' + queue if queue else 'a simulated agent'}."


def _at(moment: datetime) -> str:
    """A message time as the guest app shows it (local HH:MM)."""
    return local_time(moment)


def _now() -> str:
    return _at(datetime.now(UTC))


class ChatPane(Vertical):
    """One taken conversation."""

    BINDINGS = [
        Binding("ctrl+r", "quick_replies", "Replies", id="agent.quick-replies", tooltip="Quick replies"),
        Binding("f5", "card", "Card", id="agent.card", tooltip="Send a card"),
        # Off the footer (in help and the palette): with them the footer does not fit in 80 columns
        Binding(
            "f6", "date_picker", "Date", id="agent.date-picker", tooltip="Send a date picker", show=False
        ),
        Binding("ctrl+o", "file", "File", id="agent.file", tooltip="Send a file", show=False),
        Binding("ctrl+s", "screen_share", "Screen", id="agent.screen-share", tooltip="Screen-share request"),
        Binding("ctrl+b", "cobrowse", "Co-browse", id="agent.cobrowse", tooltip="Co-browse request"),
        Binding("ctrl+t", "transfer", "Transfer", id="agent.transfer", tooltip="Transfer (agent or queue)"),
        Binding("ctrl+l", "end", "End", id="agent.end", tooltip="End the conversation"),
        Binding("f8", "close", "Close tab", id="agent.close", tooltip="Close this tab"),
    ]

    class Closed(Message):
        """The person closed the tab of an ended conversation."""

        def __init__(self, pane: ChatPane) -> None:
            super().__init__()
            self.pane = pane

    def __init__(self, backend: DeskBackend, entry: dict[str, Any], *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes="chat-pane")
        self.backend = backend
        self.channel = str(entry["channel"])
        self.cid = str(entry["id"])
        self.guest = sanitize_line(str(entry.get("guest", "Guest"))) or "Guest"
        self.entry = entry
        self.over = False
        self.ending = False
        """This console asked for the end (the feed's `ended` may come before the answer to the request)."""
        self.media: dict[str, str] = {}  # request id -> last state seen
        self._last_typing = 0.0
        self._typing_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        channel = "Web Chat v2" if self.channel == WEBCHAT else "Web Messaging"
        fields = ", ".join(f"{k}={v}" for k, v in (self.entry.get("fields") or {}).items())
        where = sanitize_line(str(self.entry.get("queue", "")))
        details = f"{self.guest} · {channel} · {where}" + (f" · {sanitize_line(fields)}" if fields else "")
        yield Static(Content(details), classes="chat-details")
        yield MessageLog(classes="chat-log")
        yield TypingIndicator(classes="chat-typing")
        yield Input(placeholder=f"Message to {self.guest} (enter sends)", classes="chat-composer")

    @property
    def log_view(self) -> MessageLog:
        """The transcript."""
        return self.query_one(MessageLog)

    @property
    def composer(self) -> Input:
        """The message field."""
        return self.query_one(Input)

    def on_mount(self) -> None:
        self.load_history()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show only what can be done now (the footer has room for nothing else): the channel's own keys
        while the conversation runs, then only f8 to close the tab."""
        if action in MESSAGING_ONLY and self.channel != MESSAGING:
            return False
        if action in WEBCHAT_ONLY and self.channel != WEBCHAT:
            return False
        if action == "close":
            return self.over
        if action in MESSAGING_ONLY | WEBCHAT_ONLY | {"transfer", "end"}:
            return not self.over
        return True

    # --- what the guest does (from the feed) ---
    def guest_message(self, event: dict[str, Any]) -> None:
        """The guest said something (text, a button answer, a file)."""
        text = sanitize_text(str(event.get("text", "")))
        kind = event.get("kind")
        if kind == "button":
            text = f"↩ {text}"
        elif kind == "attachment":
            text = f"📎 {text}"
        self.log_view.write(LogEntry(_now(), self.guest, "customer", text))
        self._set_guest_typing(False)

    def guest_typing(self) -> None:
        """The guest is typing (shown for a few seconds unless renewed)."""
        self._set_guest_typing(True)

    def _set_guest_typing(self, on: bool) -> None:
        indicator = self.query_one(TypingIndicator)
        indicator.names = (self.guest,) if on else ()
        if self._typing_timer is not None:
            self._typing_timer.stop()
            self._typing_timer = None
        if on:
            self._typing_timer = self.set_timer(GUEST_TYPING_SHOWN, lambda: self._set_guest_typing(False))

    def media_changed(self, event: dict[str, Any]) -> None:
        """A media request was answered (or timed out)."""
        types = [MEDIA_NAMES.get(str(t), str(t)) for t in event.get("types") or []]
        state = sanitize_line(str(event.get("state", "")))
        self.media[str(event.get("requestId", ""))] = state
        self.log_view.write_system(f"{' + '.join(types) or 'Media'} request: {state}", _now())

    def finish(self, why: str) -> None:
        """The conversation is over for this console (ended, transferred)."""
        if self.over:
            return
        self.over = True
        self._set_guest_typing(False)
        self.log_view.write_system(why, _now())
        had_focus = self.composer.has_focus
        self.composer.disabled = True
        if had_focus:
            # a disabled widget loses focus to the next focusable one, which may sit in another (hidden) tab
            self.log_view.focus()
        self.refresh_bindings()

    def focus_here(self) -> None:
        """Give the keyboard to this tab: the composer, or the transcript once it is over (so the tab's keys,
        f8 among them, stay reachable)."""
        (self.log_view if self.composer.disabled else self.composer).focus()

    # --- what the person does ---
    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        now = time.monotonic()
        if event.value and not self.over and now - self._last_typing >= TYPING_EVERY:
            self._last_typing = now
            self._quietly(self.backend.typing(self.channel, self.cid))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text or self.over:
            return
        self.composer.value = ""
        self._last_typing = 0.0
        self._send_text(text)

    @work(group="send", exclusive=False)
    async def _send_text(self, text: str) -> None:
        try:
            await self.backend.send_text(self.channel, self.cid, text)
        except Exception as exc:  # noqa: BLE001 - shown to the person, the chat goes on
            self.log_view.write_system(f"Not sent: {exc}", _now(), role="error")
            return
        self.log_view.write(LogEntry(_now(), self.backend.agent_name, "own", text))

    @work(group="history")
    async def load_history(self) -> None:
        """What the guest (and a bot, or an earlier agent) said before the person joined, with its times."""
        try:
            messages = await self.backend.history(self.channel, self.cid, self.guest)
        except Exception as exc:  # noqa: BLE001
            self.log_view.write_system(f"History not loaded: {exc}", _now(), role="error")
            return
        self.show_messages(messages)
        self.log_view.write_system(f"You joined as {self.backend.agent_name}.", _now())

    def show_messages(self, messages: list[ChatMessage]) -> None:
        """Draw service messages as the guest sees them: time, sender, text, rich content in words and the
        choices it offers (inert here: only the guest picks)."""
        entries: list[LogEntry] = []
        me = self.backend.agent_name
        for message in messages:
            for line in describe_event(MessagesAdded((message,)), message.timestamp):
                role = line.role
                if role == "own":  # the guest app's "own" is the guest
                    role = "customer"
                elif role == "agent" and line.sender == me:
                    role = "own"
                entries.append(LogEntry(_at(line.at), line.sender, role, line.text))
                if line.kind in CONTENT_KINDS and line.kind != "attachment":
                    labels = tuple(label for label, _ in offer_for_line(message, line))
                    if labels:
                        entries.append(LogEntry("", "", "choices", "", labels))  # no offer number: inert
        self.log_view.extend(entries)

    @work(group="actions", exclusive=False)
    async def _quietly(self, coro: Any) -> None:
        """Run `coro`; a failure is not worth a line (a typing signal)."""
        with contextlib.suppress(Exception):
            await coro

    @work(group="actions", exclusive=False)
    async def _send_rich(self, coro: Any, what: str) -> None:
        """Send rich content (`coro` answers with the messages sent) and show it as the guest sees it."""
        try:
            sent: list[ChatMessage] = await coro
        except Exception as exc:  # noqa: BLE001
            self.log_view.write_system(f"{what} not sent: {exc}", _now(), role="error")
            return
        if sent:
            self.show_messages(sent)
        else:  # an answer without the message bodies (an older emulator): say at least what went
            self.log_view.write_system(f"{what} sent.", _now())

    def _text(self) -> str:
        text = self.composer.value.strip()
        self.composer.value = ""
        return text

    def action_quick_replies(self) -> None:
        """Ask for a question and the reply buttons, then send them."""
        fields = [
            ("text", "Question", "Does that answer your question?"),
            ("replies", "Buttons (comma separated)", "Yes, No"),
        ]

        def sent(values: dict[str, str] | None) -> None:
            if values is None:
                return
            replies = [r.strip() for r in values["replies"].split(",") if r.strip()]
            if not replies:
                self.log_view.write_system("No buttons given: nothing sent.", _now(), role="error")
                return
            self._send_rich(
                self.backend.quick_replies(self.cid, values["text"], replies, self.guest), "Quick replies"
            )

        self.app.push_screen(FormScreen("Quick replies", fields), sent)

    def action_card(self) -> None:
        """Send the sample card (the composer's text goes with it)."""
        self._send_rich(self.backend.rich(self.cid, "card", self.guest, self._text()), "Card")

    def action_date_picker(self) -> None:
        """Send a date picker with three slots."""
        self._send_rich(self.backend.rich(self.cid, "datepicker", self.guest, self._text()), "Date picker")

    def action_file(self) -> None:
        """Ask for a file path, then send the file."""

        def chosen(values: dict[str, str] | None) -> None:
            if values and values["path"].strip():
                path = Path(values["path"].strip()).expanduser()
                self._send_rich(self.backend.send_file(self.cid, path, self.guest), "File")

        self.app.push_screen(FormScreen("Send a file", [("path", "File path", "")]), chosen)

    def action_screen_share(self) -> None:
        """Ask the guest to share their screen."""
        self._media("SCREENSHARE")

    def action_cobrowse(self) -> None:
        """Ask the guest to co-browse."""
        self._media("COBROWSE")

    @work(group="actions", exclusive=False)
    async def _media(self, kind: str) -> None:
        try:
            request = await self.backend.media_request(self.cid, kind)
        except Exception as exc:  # noqa: BLE001
            self.log_view.write_system(f"Request not sent: {exc}", _now(), role="error")
            return
        self.media[str(request.get("id", ""))] = "PENDING"
        key = sanitize_line(str(request.get("securityKey") or ""))
        # the guest is told the agent may ask them to read the key out: the agent needs it to check
        with_key = f" (security key {key})" if key else ""
        self.log_view.write_system(f"{MEDIA_NAMES[kind]} request sent{with_key}: PENDING", _now())

    def action_transfer(self) -> None:
        """Choose a simulated agent or a queue, then transfer."""
        choices = [(TRANSFER_SIMULATED, "A simulated agent (the next free one)")]
        choices += [(f"queue:{q}", f"Queue {q}") for q in QUEUES if q != self.entry.get("queue")]

        def chosen(choice: str | None) -> None:
            if choice is None:
                return
            queue = choice.removeprefix("queue:") if choice.startswith("queue:") else None
            self._transfer(queue)

        self.app.push_screen(ChoiceScreen("Transfer to", choices), chosen)

    @work(group="actions", exclusive=False)
    async def _transfer(self, queue: str | None) -> None:
        try:
            await self.backend.transfer(self.channel, self.cid, queue=queue)
        except Exception as exc:  # noqa: BLE001
            self.log_view.write_system(f"Not transferred: {exc}", _now(), role="error")
            return
        self.finish(transferred_text(queue))

    def action_end(self) -> None:
        """End the conversation for the guest."""
        self._end()

    @work(group="actions", exclusive=False)
    async def _end(self) -> None:
        self.ending = True
        try:
            await self.backend.end(self.channel, self.cid)
        except Exception as exc:  # noqa: BLE001
            self.ending = False
            self.log_view.write_system(f"Not ended: {exc}", _now(), role="error")
            return
        self.finish(ENDED_BY_YOU)

    def action_close(self) -> None:
        """Close the tab of an ended conversation."""
        if self.over:
            self.post_message(self.Closed(self))
