"""`ChatScreen`: the live chat. One worker drains the session's events and posts them as Textual messages;
handlers update the widgets; actions (send, typing, accept/decline, leave) run in workers through the session.

| key     | action                               |
|---------|--------------------------------------|
| enter   | send the message                     |
| ctrl+j  | new line in the message              |
| ctrl+l  | leave the chat (asks first)          |
| ctrl+s  | save the transcript as Markdown      |
| ctrl+o  | save the transcript as JSON          |
| ctrl+n  | new chat (back to the form)          |
| ctrl+g  | jump to the newest message           |
| tab     | move between transcript, members, input |
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import events, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from webchat_tui.api.session_types import (
    ChatMessage,
    MediaRequestChanged,
    MemberChanged,
    MessagesAdded,
    Notice,
    SessionEvent,
    SessionState,
    StateChanged,
    TypingChanged,
)
from webchat_tui.tui.errors import describe_action_error
from webchat_tui.tui.messages import SessionEventsReceived
from webchat_tui.tui.screens.confirm import ConfirmScreen
from webchat_tui.tui.screens.media_queue import MediaRequestQueue
from webchat_tui.tui.widgets.composer import Composer
from webchat_tui.tui.widgets.member_list import MemberList
from webchat_tui.tui.widgets.message_log import LogEntry, MessageLog
from webchat_tui.tui.widgets.status_bar import StatusBar
from webchat_tui.tui.widgets.typing_indicator import TypingIndicator

if TYPE_CHECKING:
    from webchat_tui.tui.app import WebchatApp
    from webchat_tui.tui.chat_handle import ChatHandle

__all__ = ["ChatScreen", "entry_for_message"]

_ROLE_KEYS = {"AGENT": "agent", "CUSTOMER": "customer", "WORKFLOW": "bot", "ACD": "bot"}
_SENDABLE = {SessionState.WAITING_FOR_AGENT, SessionState.CONNECTED, SessionState.RECONNECTING}


def entry_for_message(message: ChatMessage, time_text: str) -> LogEntry | None:
    """The transcript entry for a chat message, or None for messages shown another way (media requests)."""
    kind = message.body_type
    name = message.sender_name or ("You" if message.is_own else "Unknown")
    if kind == "media-request":
        return None  # shown from MediaRequestChanged, with words instead of the request id
    if kind == "member-join":
        return LogEntry(time_text, "", "system", f"{name} joined the chat")
    if kind == "member-leave":
        return LogEntry(time_text, "", "system", f"{name} left the chat")
    if kind == "notice":
        return LogEntry(time_text, "", "notice", message.body)
    role = "own" if message.is_own else _ROLE_KEYS.get(message.sender_role, "customer")
    return LogEntry(time_text, name, role, message.body)


class ChatScreen(Screen[None]):
    """The chat: status line, transcript, members, typing indicator and the message input."""

    BINDINGS = [
        Binding("ctrl+l", "leave", "Leave", id="chat.leave", tooltip="Leave the chat (asks first)"),
        Binding(
            "ctrl+s",
            "save('markdown')",
            "Save .md",
            id="chat.save-markdown",
            tooltip="Save the transcript as Markdown",
        ),
        Binding(
            "ctrl+o", "save('json')", "Save .json", id="chat.save-json", tooltip="Save the transcript as JSON"
        ),
        Binding("ctrl+n", "new_chat", "New chat", id="chat.new", tooltip="Back to the join form"),
        Binding(
            "ctrl+g", "newest", "Newest", show=False, id="chat.newest", tooltip="Jump to the newest message"
        ),
    ]

    def __init__(self, handle: ChatHandle) -> None:
        super().__init__()
        self.handle = handle
        """The running chat."""
        self.session = handle.session
        self.media_requests = MediaRequestQueue(self)
        """Pending media requests and their dialogs."""
        self._state = SessionState.CONNECTING
        self.saved_paths: list[Path] = []
        """Transcripts saved from this screen, newest last."""

    @property
    def webchat(self) -> WebchatApp:
        """The app, typed."""
        return cast("WebchatApp", self.app)

    # ------------------------------------------------------------------ compose

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield StatusBar(self.webchat.clock, id="status")
        with Horizontal(id="chat-body"):
            with Vertical(id="transcript"):
                yield MessageLog(id="log")
                yield Static("", id="new-marker")
                yield TypingIndicator("", id="typing")
            yield MemberList(id="members")
        yield Composer(id="composer")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"Chat on {self.handle.description}"
        self.query_one("#new-marker").display = False
        self.query_one("#members", MemberList).border_title = "Members"
        self._apply_state(self.session.state, None, None)
        self.query_one(Composer).input.focus()
        self._consume_events()

    def _time(self, moment: datetime | None = None) -> str:
        return self.webchat.format_time(moment or datetime.now().astimezone())

    # ------------------------------------------------------------------ the event worker

    @work(exclusive=True, group="session-events", exit_on_error=False, name="session-events")
    async def _consume_events(self) -> None:
        """Drain the session's event queue; everything that arrived together is posted as one batch."""
        queue = self.handle.events
        while True:
            batch: list[SessionEvent] = [await queue.get()]
            while not queue.empty():
                batch.append(queue.get_nowait())
            self.post_message(SessionEventsReceived(batch))

    @on(SessionEventsReceived)
    def _apply_events(self, message: SessionEventsReceived) -> None:
        log = self.query_one(MessageLog)
        entries: list[LogEntry] = []
        for event in message.events:
            if isinstance(event, MessagesAdded):
                fmt = self.webchat.format_time
                for chat_message in event.messages:
                    entry = entry_for_message(chat_message, fmt(chat_message.timestamp))
                    if entry is not None:
                        entries.append(entry)
                continue
            if entries:  # keep the order of messages and system lines
                log.extend(entries)
                entries = []
            if isinstance(event, StateChanged):
                self._apply_state(event.state, event.reason, event)
            elif isinstance(event, MemberChanged):
                self.query_one(MemberList).upsert(event.member)
            elif isinstance(event, TypingChanged):
                self.query_one(TypingIndicator).names = tuple(m.display_name for m in event.typing)
            elif isinstance(event, MediaRequestChanged):
                self.media_requests.changed(event)
            elif isinstance(event, Notice):
                role = {"error": "error", "warning": "notice"}.get(event.level, "notice")
                log.write_system(event.text, self._time(), role=role)
                if event.kind == "transfer":
                    self.notify(event.text, title="Transfer", markup=False)
        log.extend(entries)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """One place for unexpected worker failures: say so in the transcript instead of dying silently."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        text = f"Something went wrong ({event.worker.name}): {type(error).__name__}: {error}"
        self.query_one(MessageLog).write_system(text, self._time(), role="error")
        self.notify(text, severity="error", markup=False)

    # ------------------------------------------------------------------ state

    def _apply_state(self, state: SessionState, reason: str | None, event: StateChanged | None) -> None:
        previous = self._state
        self._state = state
        if (previous == SessionState.ENDED) != (state == SessionState.ENDED):
            self.refresh_bindings()
        status = self.query_one(StatusBar)
        composer = self.query_one(Composer)
        log = self.query_one(MessageLog)
        agent = event.agent if event is not None and event.agent is not None else self.session.agent
        if state in (SessionState.IDLE, SessionState.CONNECTING):
            status.show("connecting", "Connecting…")
        elif state == SessionState.WAITING_FOR_AGENT:
            queue = self.handle.settings.queue.strip()
            text = "Waiting for an agent" + (f" in {queue}" if queue else "")
            if previous == SessionState.CONNECTED:
                text = "Waiting for the next agent"
            status.show("waiting", text)
        elif state == SessionState.CONNECTED:
            name = agent.display_name if agent is not None else "an agent"
            status.show("connected", f"Connected to {name}")
        elif state == SessionState.RECONNECTING:
            status.show("reconnecting", "Connection lost — reconnecting…")
        elif state == SessionState.ENDED:
            words = reason or "The chat has ended"
            status.show("ended", f"Chat ended — {words}  (ctrl+s save · ctrl+n new chat)")
            if event is not None:
                log.write_system(f"Chat ended: {words}", self._time(), role="notice")
            self.query_one(TypingIndicator).names = ()
            self.media_requests.close_all("The chat ended before you answered.")
        if state in _SENDABLE:
            composer.set_blocked(None)
        elif state == SessionState.ENDED:
            composer.set_blocked("the chat has ended")
        else:
            composer.set_blocked("still connecting")

    # ------------------------------------------------------------------ sending and typing

    @on(Composer.Submitted)
    def _send_requested(self, message: Composer.Submitted) -> None:
        composer = self.query_one(Composer)
        composer.clear()
        self._send(message.text)

    @work(group="send", exit_on_error=False)
    async def _send(self, text: str) -> None:
        try:
            await self.session.send(text)
        except Exception as exc:  # the draft comes back so nothing typed is lost
            composer = self.query_one(Composer)
            if not composer.text:
                composer.input.load_text(text)
            self.query_one(MessageLog).write_system(
                describe_action_error(exc, "send the message"), self._time(), role="error"
            )

    @on(Composer.Typed)
    def _typed(self) -> None:
        if self._state in _SENDABLE:
            self.session.note_typing()  # the session throttles (typing_throttle) and never raises

    # ------------------------------------------------------------------ media requests

    def say(self, text: str, role: str = "system") -> None:
        """Write a system line (plain text) to the transcript, stamped with the current time."""
        self.query_one(MessageLog).write_system(text, self._time(), role=role)

    def flush_transcript(self) -> None:
        """Draw queued transcript lines now (before a dialog covers the screen, so they show behind it)."""
        self.query_one(MessageLog).flush()

    # ------------------------------------------------------------------ leave, save, new chat

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Leaving is greyed out in the footer once the chat has ended."""
        if action == "leave" and self._state == SessionState.ENDED:
            return None
        return True

    def action_leave(self) -> None:
        """Ask, then leave the chat (DELETE our member)."""
        if self._state == SessionState.ENDED:
            self.notify("The chat has already ended.", markup=False)
            return

        def confirmed(yes: bool | None) -> None:
            if yes and self._state != SessionState.ENDED:
                self._leave()

        self.app.push_screen(
            ConfirmScreen(
                "Leave the chat?",
                "The agent will see that you left. The transcript stays here and can still be saved.",
                yes="Leave",
                no="Stay",
            ),
            confirmed,
        )

    @work(group="leave", exclusive=True, exit_on_error=False)
    async def _leave(self) -> None:
        try:
            await self.session.leave()
        except Exception as exc:
            self.query_one(MessageLog).write_system(
                describe_action_error(exc, "leave the chat"), self._time(), role="error"
            )

    def action_save(self, kind: str) -> None:
        """Save the transcript in the transcripts folder as Markdown or JSON; failures are said, not fatal.
        In a browser (`webchat-tui serve`) it is downloaded instead: nothing is written on the server."""
        from webchat_tui.tui.delivery import deliver_to_browser
        from webchat_tui.tui.transcript_files import TranscriptSaveError, save_transcript, transcript_name

        try:
            body = self.session.export_json() if kind == "json" else self.session.export_markdown()
            name = transcript_name(self.session.conversation_id, kind, datetime.now())
            if deliver_to_browser(self.app, body, name):
                self.say(f"Transcript sent to your browser as {name}")
                self.notify(f"Transcript sent to your browser as {name}", title="Saved", markup=False)
                return
            path = save_transcript(self.webchat.transcript_dir, self.session.conversation_id, kind, body)
        except Exception as exc:  # a failed write or export: said, and the chat goes on
            text = str(exc)
            if not isinstance(exc, TranscriptSaveError):
                text = f"Could not save the transcript: {exc}"
            self.notify(text, title="Not saved", severity="error", markup=False)
            return
        self.saved_paths.append(path)
        self.say(f"Transcript saved to {path}")  # the toast fades; the path stays findable here
        self.notify(f"Transcript saved to {path}", title="Saved", markup=False)

    def action_new_chat(self) -> None:
        """Back to the join form (asks first, and leaves, if the chat is still going)."""
        if self._state == SessionState.ENDED:
            self._return_to_form()
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._leave_then_return()

        self.app.push_screen(
            ConfirmScreen(
                "Leave this chat and start a new one?",
                "The current chat ends for you and the agent.",
                yes="Leave",
                no="Stay",
            ),
            confirmed,
        )

    @work(group="leave", exclusive=True, exit_on_error=False)
    async def _leave_then_return(self) -> None:
        try:
            await self.session.leave()
        except Exception:  # noqa: BLE001 - going back to the form anyway; the chat is closed there
            pass
        self.webchat.return_to_form()

    def _return_to_form(self) -> None:
        self.webchat.return_to_form()

    def action_newest(self) -> None:
        """Scroll the transcript to the newest message."""
        self.query_one(MessageLog).action_scroll_newest()

    @on(MessageLog.UnseenChanged)
    def _unseen(self, message: MessageLog.UnseenChanged) -> None:
        marker = self.query_one("#new-marker", Static)
        marker.display = message.unseen > 0
        if message.unseen:
            marker.update(Content(f"↓ {message.unseen} new message(s) below — ctrl+g or click to jump"))

    def on_click(self, event: events.Click) -> None:
        if event.widget is not None and event.widget.id == "new-marker":
            self.action_newest()

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Commands this screen adds to the command palette."""
        yield SystemCommand("Leave chat", "Leave the chat (asks first)", self.action_leave)
        yield SystemCommand(
            "Save transcript (Markdown)",
            "Write the transcript to a .md file",
            lambda: self.action_save("markdown"),
        )
        yield SystemCommand(
            "Save transcript (JSON)", "Write the transcript to a .json file", lambda: self.action_save("json")
        )
        yield SystemCommand("New chat", "Back to the join form", self.action_new_chat)
        yield SystemCommand("Jump to newest", "Scroll to the newest message", self.action_newest)
