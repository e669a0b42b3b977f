"""`ChatScreen`: the live chat. One worker drains the session's events and posts them as Textual messages;
handlers update the widgets; actions (send, typing, accept/decline, leave) run in workers through the session.

The transcript pane shows exactly the lines the session's `TranscriptRecorder` holds (one wording, in
`api/transcript.py`), so a saved transcript carries every line the pane showed.

| key     | action                                                       |
|---------|--------------------------------------------------------------|
| enter   | send the message                                             |
| ctrl+j  | new line in the message (also shift/alt+enter where told apart) |
| ctrl+s  | save the transcript as Markdown                              |
| ctrl+o  | save the transcript as JSON                                  |
| ctrl+n  | new chat (back to the form; asks first while the chat runs)  |
| f8      | leave the chat (asks first)                                  |
| f3      | show or hide the member panel                                |
| ctrl+g  | jump to the newest message (the line over the input says it) |
| ctrl+r  | resend the last message that could not be sent               |
| alt+e   | put that message back into the message box (in help, not the footer) |
| ctrl+u  | send a file (in an empty message box; also in the palette)   |
| f4      | go to the offered choices (quick replies, buttons, dates...) |
| tab     | move between transcript, members, input                      |

ctrl+l is not used (it redraws the screen in most programs), nor any key the message box uses for editing
(ctrl+a/e/k/u/w/d/x/c/v/y/z). A key means one thing on every screen: ctrl+f (add a field) and alt+r (show
the token) belong to the join form and do nothing here. A letter typed while the transcript or member list
has focus goes to the message box.

The footer shows only keys that fit in 80 columns together (at most: save, new, leave, members, choose,
resend, quit, help); ctrl+o, ctrl+g, alt+e, f2, ctrl+t and ctrl+p are listed in help (f1) and the palette.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
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
    MediaRequestChanged,
    MemberChanged,
    Notice,
    ParticipantKind,
    SessionEvent,
    SessionState,
    StateChanged,
    TypingChanged,
)
from webchat_tui.api.transcript import CONTENT_KINDS, TranscriptLine, describe_slot
from webchat_tui.chat.types import (
    ACTIVE_STATES,
    FINISHED_STATES,
    Attachment,
    Card,
    Carousel,
    ChatMessage,
    ContentChoice,
    DatePicker,
    ListPicker,
    MessagesAdded,
    QuickReply,
)
from webchat_tui.tui.errors import describe_action_error
from webchat_tui.tui.messages import SessionEventsReceived
from webchat_tui.tui.screens.confirm import ConfirmScreen
from webchat_tui.tui.screens.media_queue import MediaRequestQueue
from webchat_tui.tui.widgets.composer import Composer, MessageInput, plural
from webchat_tui.tui.widgets.member_list import MemberList
from webchat_tui.tui.widgets.message_log import LogEntry, MessageLog
from webchat_tui.tui.widgets.status_bar import StatusBar
from webchat_tui.tui.widgets.typing_indicator import TypingIndicator
from webchat_tui.tui.widgets.upload_progress import LARGE_UPLOAD_BYTES, UploadProgress

if TYPE_CHECKING:
    from webchat_tui.tui.app import WebchatApp
    from webchat_tui.tui.chat_handle import ChatHandle

__all__ = ["ChatScreen", "entry_for_line", "MEMBERS_AUTO_HIDE_WIDTH", "LONG_WAIT_SECONDS"]

_OfferAction = ContentChoice | str | Attachment
"""What picking a choice does: answer with a `ContentChoice`, show and copy a link (`str`), or save a file."""

MEMBERS_AUTO_HIDE_WIDTH = 90
"""Below this many columns the member panel hides itself (f3 shows it again)."""
LONG_WAIT_SECONDS = 120.0
"""After this long in the queue the status line suggests leaving or trying another queue."""


def entry_for_line(line: TranscriptLine, time_text: str) -> LogEntry:
    """The pane's entry for a transcript line."""
    return LogEntry(time_text, line.sender, line.role, line.text)


def offer_for_line(message: ChatMessage, line: TranscriptLine) -> list[tuple[str, _OfferAction]]:
    """The choices a rich-content line offers, each with what picking it does (empty when none)."""
    if line.kind == "quick-replies":
        return [
            (r.text, ContentChoice(message.id, "QuickReply", r.text, r.payload))
            for r in message.content
            if isinstance(r, QuickReply)
        ]
    item = message.content[int(line.data.get("index", "0"))]
    if isinstance(item, Carousel):  # one offer: every card's buttons, each named by its card's number
        return [
            (f"Card {number}: {label}", action)
            for number, card in enumerate(item.cards, 1)
            for label, action in _card_choices(message, card)
        ]
    if isinstance(item, Card):
        return _card_choices(message, item)
    if isinstance(item, DatePicker):
        return [
            (describe_slot(t), ContentChoice(message.id, "DatePicker", describe_slot(t), t.raw))
            for t in item.times
        ]
    if isinstance(item, ListPicker):
        return [
            (i.title, ContentChoice(message.id, "ListPicker", i.title, i.id))
            for section in item.sections
            for i in section.items
        ]
    if isinstance(item, Attachment):
        return [("Save to the transcripts folder", item)]
    return []


def _card_choices(message: ChatMessage, card: Card) -> list[tuple[str, _OfferAction]]:
    """A card's buttons: a link shows and copies its URL, any other button answers with its payload."""
    out: list[tuple[str, _OfferAction]] = []
    for action in card.actions:
        if action.type == "Link" and action.url:
            out.append((f"{action.text} ↗", action.url))
        else:
            out.append((action.text, ContentChoice(message.id, "Button", action.text, action.payload or "")))
    return out


class ChatScreen(Screen[None]):
    """The chat: status line, transcript, members, typing indicator and the message input."""

    BINDINGS = [
        Binding(
            "ctrl+s",
            "save('markdown')",
            "Save",
            id="chat.save-markdown",
            tooltip="Save the transcript as Markdown",
        ),
        Binding(
            "ctrl+o",
            "save('json')",
            "Save JSON",
            show=False,
            id="chat.save-json",
            tooltip="Save the transcript as JSON",
        ),
        Binding("ctrl+n", "new_chat", "New", id="chat.new", tooltip="New chat: back to the join form"),
        Binding("f8", "leave", "Leave", id="chat.leave", tooltip="Leave the chat (asks first)"),
        Binding("f3", "toggle_members", "Members", id="chat.toggle-members", tooltip="Show/hide members"),
        Binding(
            "ctrl+g",
            "newest",
            "Newest",
            show=False,  # the "↓ N new messages below — ctrl+g" line over the input says it
            id="chat.newest",
            tooltip="Jump to the newest message",
        ),
        Binding("f4", "choose", "Choose", id="chat.choose", tooltip="Go to the offered choices"),
        Binding("ctrl+r", "resend", "Resend", id="chat.resend", tooltip="Send the failed message again"),
        Binding(
            "alt+e",
            "edit_failed",
            "Edit failed",
            show=False,  # the failure line says it, next to ctrl+r
            id="chat.edit-failed",
            tooltip="Put the failed message back into the message box",
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
        self.failed: list[str] = []
        """Messages that could not be sent and were neither resent nor taken back, oldest first."""
        self._shown_lines = 0
        self._offers: list[tuple[str, list[tuple[str, _OfferAction]]]] = []
        """Offer number -> (message id, [(label, action)]): what each row of choices means."""
        self._messages: dict[str, ChatMessage] = {}
        """Messages with rich content, by id (to turn a picked choice into an answer)."""
        self._in_earlier = False
        self._history_seen = False
        self._earlier_until: datetime | None = None
        """On a resumed conversation: the newest message of the history it arrived with."""
        self._members_choice: bool | None = None
        """The guest's own show/hide choice for the member panel (None: follow the terminal's width)."""

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
        members = self.query_one(MemberList)
        for member in self.session.members:  # the members known before this screen (you, at least)
            members.upsert(member)
        known = self.session.messages
        if known:  # the session recorded these while starting, before this screen read any event
            self._history_seen = True
            self._messages.update((m.id, m) for m in known if m.content)
            if self.handle.resumed:
                self._earlier_until = max(m.timestamp for m in known)
        self._show_new_lines()
        self.query_one(Composer).input.focus()
        self._consume_events()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_members(event.size.width)
        footer = self.query_one(Footer)
        footer.compact = event.size.width < 100  # every key stays readable down to 60 columns
        # Below 100 columns the palette hint would cover the last keys when all show: ctrl+p still works and
        # help lists it.
        footer.show_command_palette = event.size.width >= 100

    def _fit_members(self, width: int) -> None:
        members = self.query_one("#members", MemberList)
        members.display = (
            self._members_choice if self._members_choice is not None else (width >= MEMBERS_AUTO_HIDE_WIDTH)
        )

    def _time(self, moment: datetime | None = None) -> str:
        return self.webchat.format_time(moment or datetime.now().astimezone())

    def _show_new_lines(self) -> None:
        """Queue the transcript lines recorded since the last call (the pane shows exactly those, plus the
        choices of rich content and the marks around earlier messages of a resumed conversation)."""
        lines = self.handle.transcript.lines
        if self._shown_lines < len(lines):
            fmt = self.webchat.format_time
            new = lines[self._shown_lines :]
            self._shown_lines = len(lines)
            entries: list[LogEntry] = []
            for line in new:
                if line.data.get("kind") == "conversation-reset":  # the old conversation's offers close
                    self.query_one(MessageLog).close_offers(
                        range(len(self._offers)), "an earlier conversation"
                    )
                self._mark_earlier(line, entries)
                entries.append(entry_for_line(line, fmt(line.at)))
                if line.kind in CONTENT_KINDS:
                    self._add_offer(line, entries)
            self.query_one(MessageLog).extend(entries)

    def _mark_earlier(self, line: TranscriptLine, entries: list[LogEntry]) -> None:
        """The history a resumed conversation arrives with comes between an "earlier" mark and a "now" mark
        (by the service's own times, so a skewed local clock does not matter)."""
        if line.kind == "local" or self._earlier_until is None:
            return
        earlier = line.at <= self._earlier_until and line.kind != "ended"
        if earlier and not self._in_earlier:
            self._in_earlier = True
            entries.append(LogEntry("", "", "system", "── earlier in this conversation ──"))
        elif not earlier and self._in_earlier:
            self._in_earlier = False
            entries.append(LogEntry("", "", "system", "── now ──"))

    def _add_offer(self, line: TranscriptLine, entries: list[LogEntry]) -> None:
        wanted = line.data.get("id", "")
        message = self._messages.get(wanted)
        if message is None:  # recorded before its event reached this screen
            message = next((m for m in reversed(self.session.messages) if m.id == wanted), None)
        if message is None:
            return
        if line.kind != "attachment" and not self.handle.can_respond:
            return
        if line.kind == "attachment" and not self.handle.can_attach:
            return
        choices = offer_for_line(message, line)
        if not choices:
            return
        offer = len(self._offers)
        self._offers.append((message.id, choices))
        entries.append(LogEntry("", "", "choices", "", tuple(label for label, _ in choices), offer))
        if (
            self._state in FINISHED_STATES and line.kind != "attachment"
        ):  # e.g. the history of a read-only resume
            self.query_one(MessageLog).close_offers((offer,), "the conversation has ended")

    def _close_answerable_offers(self) -> None:
        """The conversation is over: its offers take no more answers (an agent's file can still be saved)."""
        answerable = [
            number
            for number, (_, choices) in enumerate(self._offers)
            if not isinstance(choices[0][1], Attachment)
        ]
        self.query_one(MessageLog).close_offers(answerable, "the conversation has ended")

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
        for event in message.events:
            if isinstance(event, MessagesAdded):
                if not self._history_seen:
                    self._history_seen = True
                    if self.handle.resumed and event.messages:
                        self._earlier_until = max(m.timestamp for m in event.messages)
                for added in event.messages:
                    if added.content:
                        self._messages[added.id] = added
            elif isinstance(event, StateChanged):
                self._apply_state(event.state, event.reason, event)
            elif isinstance(event, MemberChanged):
                if self._state != SessionState.ENDED:
                    self.query_one(MemberList).upsert(event.member)
                new_bot = event.previous_state is None and event.member.kind == ParticipantKind.BOT
                if new_bot and self._state == SessionState.WAITING_FOR_AGENT and self.session.agent is None:
                    self._apply_state(self._state, None, None)
            elif isinstance(event, TypingChanged):
                self.query_one(TypingIndicator).names = tuple(m.display_name for m in event.typing)
            elif isinstance(event, MediaRequestChanged):
                self.media_requests.changed(event)
            elif isinstance(event, Notice) and event.kind == "transfer":
                self.notify(event.text, title="Transfer", markup=False)
                self._apply_state(self._state, None, None)  # the status line names the new agent
            elif isinstance(event, Notice) and event.kind == "conversation-reset":
                self.query_one(MemberList).mark_all_disconnected()

        self._show_new_lines()
        self._show_sending()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """One place for unexpected worker failures: say so in the transcript instead of dying silently."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        text = f"Something went wrong ({event.worker.name}): {type(error).__name__}: {error}"
        self.say(text, role="error")
        self.notify(text, severity="error", markup=False)

    # ------------------------------------------------------------------ state

    def _apply_state(self, state: SessionState, reason: str | None, event: StateChanged | None) -> None:
        previous = self._state
        self._state = state
        self.refresh_bindings()
        status = self.query_one(StatusBar)
        composer = self.query_one(Composer)
        agent = event.agent if event is not None and event.agent is not None else self.session.agent
        if state in (SessionState.IDLE, SessionState.CONNECTING):
            status.show("connecting", "Connecting…")
        elif state == SessionState.WAITING_FOR_AGENT:
            queue = self.handle.settings.queue.strip() if self.handle.channel == "webchat" else ""
            text = "Waiting for an agent" + (f" in {queue}" if queue else "")
            bot = next((m for m in self.session.members if m.kind == ParticipantKind.BOT), None)
            if bot is not None and previous != SessionState.CONNECTED:
                text = f"Chatting with {bot.display_name} (the bot hands over to an agent)"
            if previous == SessionState.CONNECTED:
                text = "Waiting for the next agent"
            later = "still no agent: f8 leaves, ctrl+n tries another queue"
            status.show("waiting", text, later=(LONG_WAIT_SECONDS, later))
        elif state == SessionState.CONNECTED:
            name = agent.display_name if agent is not None else "an agent"
            status.show("connected", f"Connected to {name}")
        elif state == SessionState.RECONNECTING:
            status.show("reconnecting", "Connection lost — reconnecting…")
        elif state == SessionState.READ_ONLY:
            status.show("ended", "Read-only — the conversation has ended (ctrl+n starts a new one)")
            self.query_one(TypingIndicator).names = ()
            self._close_answerable_offers()
        elif state == SessionState.ENDED:
            words = self.handle.transcript.end_words or reason or "The chat has ended"
            status.show("ended", f"Chat ended — {words}  (ctrl+s save · ctrl+n new chat)")
            self.query_one(TypingIndicator).names = ()
            self.query_one(MemberList).mark_all_disconnected()
            self.media_requests.close_all("The chat ended before you answered.")
            self._close_answerable_offers()
        if state in ACTIVE_STATES:
            composer.set_blocked(None)
        elif state == SessionState.READ_ONLY:
            composer.set_blocked("the conversation has ended", read_only="ctrl+n starts a new conversation")
        elif state == SessionState.ENDED:
            composer.set_blocked("the chat has ended", read_only="ctrl+n starts a new chat")
        else:
            composer.set_blocked("still connecting")

    # ------------------------------------------------------------------ sending and typing

    @on(Composer.Submitted)
    def _send_requested(self, message: Composer.Submitted) -> None:
        self._send(message.text)  # the box emptied itself on Enter, in key order

    @work(group="send", exit_on_error=False)
    async def _send(self, text: str) -> None:
        self.call_after_refresh(self._show_sending)
        try:
            await self.session.send(text)
        except Exception as exc:  # the message stays in the transcript, marked, to resend or take back
            self._failed_send(text, describe_action_error(exc, "send the message"))
        finally:
            self._show_sending()

    def _show_sending(self) -> None:
        """The small "sending…" mark while messages wait in the session's queue (paced sends)."""
        for composer in self.query(Composer):  # none once the screen is being taken down
            composer.set_sending(self.handle.pending_sends)

    def _failed_send(self, text: str, reason: str) -> None:
        """Keep a message that was not sent: a marked line with its text, and the ways to get it out."""
        self.failed.append(text)
        me = self.session.me
        name = me.display_name if me is not None else "You"
        line = TranscriptLine(datetime.now(UTC), name, "failed", text, "failed", {"reason": reason})
        self.handle.transcript.add(line)
        self.say(f"{reason} — ctrl+r resends it, alt+e puts it back in the message box", role="error")
        self.refresh_bindings()

    def action_resend(self) -> None:
        """Send the newest failed message again."""
        if not self.failed or self._state not in ACTIVE_STATES:
            self.app.bell()
            return
        self._send(self.failed.pop())
        self.refresh_bindings()

    def action_edit_failed(self) -> None:
        """Put the newest failed message back into the message box (after what is already there)."""
        if not self.failed or self._state == SessionState.ENDED:
            self.app.bell()
            return
        text = self.failed.pop()
        area = self.query_one(Composer).input
        area.move_cursor(area.document.end)
        area.insert(("\n" if area.text else "") + text)
        area.focus()
        self.refresh_bindings()

    @on(Composer.Typed)
    def _typed(self) -> None:
        if self._state in ACTIVE_STATES:
            self.handle.note_typing()  # the session throttles and failures are ignored

    # ------------------------------------------------------------------ media requests

    def say(self, text: str, role: str = "system") -> None:
        """Add a system line (plain text) to the transcript, stamped now; saved transcripts carry it too."""
        self.handle.transcript.add(TranscriptLine(datetime.now(UTC), "", role, text, "local"))
        self._show_new_lines()

    def flush_transcript(self) -> None:
        """Draw queued transcript lines now (before a dialog covers the screen, so they show behind it)."""
        self._show_new_lines()
        self.query_one(MessageLog).flush()

    def type_into_composer(self, character: str) -> None:
        """Put a typed character into the message box (a key that reached another part of the screen)."""
        area = self.query_one(Composer).input
        if area.read_only:
            return
        area.focus()
        area.insert(character)

    def on_key(self, event: events.Key) -> None:
        """A letter typed while the transcript or member list has focus goes to the message box."""
        area = self.query_one(Composer).input
        character = event.character
        in_log = isinstance(self.focused, MessageLog)
        if (
            self.focused is not area
            and character is not None
            and event.is_printable
            and character != "?"  # "?" opens help where no text field has focus
            and (character != " " or in_log)  # space selects in the member list
        ):
            event.stop()
            event.prevent_default()
            self.type_into_composer(character)

    # ------------------------------------------------------------------ leave, save, new chat

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Leaving is greyed out once the chat has ended; Newest shows while new messages wait below; Resend
        and Edit failed show while a message could not be sent."""
        if action == "leave" and self._state == SessionState.ENDED:
            return None
        if action == "newest":
            return bool(self.query_one(MessageLog).unseen)
        if action == "choose":
            return bool(self.query_one(MessageLog).open_choices()) and self._state in ACTIVE_STATES
        if action == "resend":
            return bool(self.failed) and self._state in ACTIVE_STATES
        if action == "edit_failed":
            return bool(self.failed) and self._state != SessionState.ENDED
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
            self.say(describe_action_error(exc, "leave the chat"), role="error")

    def action_save(self, kind: str) -> None:
        """Save the transcript in the transcripts folder as Markdown or JSON; failures are said, not fatal.
        In a browser (`webchat-tui serve`) it is downloaded instead: nothing is written on the server."""
        from webchat_tui.tui.delivery import deliver_to_browser
        from webchat_tui.tui.transcript_files import TranscriptSaveError, save_transcript, transcript_name

        try:
            body = self.handle.export(kind)
            name = transcript_name(self.handle.conversation_id, kind, datetime.now())
            if deliver_to_browser(self.app, body, name):
                self.say(f"Transcript sent to your browser as {name}")
                self.notify(f"Transcript sent to your browser as {name}", title="Saved", markup=False)
                return
            path = save_transcript(self.webchat.transcript_dir, self.handle.conversation_id, kind, body)
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
        """Back to the join form (asks first, and leaves, if the chat is still going); on a read-only
        conversation whose session can begin a new one in place, starts a new conversation here."""
        if self._state == SessionState.READ_ONLY and self.handle.can_start_new:
            self._start_new()
            return
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

    @work(group="leave", exclusive=True, exit_on_error=False)
    async def _start_new(self) -> None:
        try:
            await self.session.start_new()
        except Exception as exc:
            self.say(describe_action_error(exc, "start a new conversation"), role="error")

    # ------------------------------------------------------------------ rich content

    def action_choose(self) -> None:
        """Go to the offered choices (the newest open offer's first choice)."""
        if not self.query_one(MessageLog).focus_choices():
            self.notify("Nothing to choose right now.", markup=False)

    @on(MessageInput.AttachRequested)
    def action_attach(self) -> None:
        """Pick a file (keyboard-usable tree), check it against the deployment's rules, then send it."""
        if not self.handle.can_attach:
            self.notify("This chat cannot send files.", markup=False)
            return
        if self._state not in ACTIVE_STATES:
            self.app.bell()
            return
        from webchat_tui.tui.screens.file_pick import FilePickScreen

        def picked(path: Path | None) -> None:
            if path is not None:
                self._send_file(path)

        self.app.push_screen(FilePickScreen(Path.cwd(), self._file_rules()), picked)

    def _file_rules(self) -> str:
        info = getattr(self.session, "session_info", None)
        media = getattr(getattr(info, "allowed_media", None), "inbound", None)
        if media is None:
            return ""
        types = ", ".join(t.type for t in media.file_types) or "none"
        rules = f"Allowed: {types}; at most {int(media.max_file_size_kb or 0):,} KB"
        blocked = [b for b in getattr(info, "blocked_extensions", None) or [] if b]
        return rules + (f"; blocked: {', '.join(blocked)}." if blocked else ".")

    @work(group="files", exit_on_error=False)
    async def _send_file(self, path: Path) -> None:
        import mimetypes

        from webchat_tui.api.transcript import describe_size

        try:
            size = path.stat().st_size
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            self.session.check_attachment(path.name, size, mime)
        except Exception as exc:  # refused before any upload, with the reason
            self.say(f"Not sent: {path.name}: {exc}", role="error")
            return
        self.say(f"Uploading {path.name} ({mime}, {describe_size(size)})…")
        composer = self.query_one(Composer)
        composer.set_uploading(f"uploading {path.name} ({describe_size(size)})…")
        bar: UploadProgress | None = None
        if size >= LARGE_UPLOAD_BYTES:
            bar = UploadProgress(path.name, size)
            await self.query_one("#transcript", Vertical).mount(bar)

        def progress(sent: int, total: int) -> None:
            if bar is not None and bar.is_mounted:
                bar.advance_to(sent)

        try:
            await self.session.send_attachment(path, mime=mime, progress=progress)
        except Exception as exc:
            self.say(describe_action_error(exc, f"send {path.name}"), role="error")
        finally:
            composer.set_uploading("")
            if bar is not None:
                await bar.remove()

    @on(MessageLog.ChoicesChanged)
    def _choices_changed(self) -> None:
        self.refresh_bindings()

    @on(MessageLog.Done)
    def _log_done(self) -> None:
        self.query_one(Composer).input.focus()

    @on(MessageLog.ChoicePicked)
    def _choice_picked(self, message: MessageLog.ChoicePicked) -> None:
        if not 0 <= message.offer < len(self._offers):
            return
        _, choices = self._offers[message.offer]
        label, action = choices[message.index]
        log = self.query_one(MessageLog)
        if isinstance(action, str):
            self.say(f"Link: {action}")
            self.app.copy_to_clipboard(action)
            self.notify(f"Copied {action}", title="Link", markup=False)
            self.query_one(Composer).input.focus()
            return
        if isinstance(action, Attachment):
            log.mark_answered(message.offer, message.index)
            self._save_attachment(action, message.offer)
            return
        if self._state not in ACTIVE_STATES:
            self.app.bell()
            return
        log.mark_answered(message.offer, message.index)
        self.query_one(Composer).input.focus()
        self._respond(action, label, message.offer)

    @work(group="send", exit_on_error=False)
    async def _respond(self, choice: ContentChoice, label: str, offer: int) -> None:
        kinds = {"QuickReply": "quick reply", "Button": "button", "DatePicker": "time", "ListPicker": "item"}
        data = {"messageId": choice.message_id, "kind": choice.kind, "payload": choice.payload}
        line = TranscriptLine(
            datetime.now(UTC),
            "",
            "system",
            f"You chose {label} ({kinds.get(choice.kind, 'choice')})",
            "choice",
            data,
        )
        self.handle.transcript.add(line)
        self._show_new_lines()
        try:
            await self.session.respond(choice)
        except Exception as exc:
            self.query_one(MessageLog).reopen(offer)
            self.say(describe_action_error(exc, "send your choice"), role="error")

    @work(group="files", exit_on_error=False)
    async def _save_attachment(self, attachment: Attachment, offer: int) -> None:
        directory = self.webchat.transcript_dir
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = await self.session.download_attachment(attachment, directory)
        except Exception as exc:
            self.query_one(MessageLog).reopen(offer)
            self.say(describe_action_error(exc, "save the file"), role="error")
            return
        name = attachment.filename or path.name
        data = {"attachmentId": attachment.id or "", "filename": name, "path": str(path)}
        self.handle.transcript.add(
            TranscriptLine(datetime.now(UTC), "", "system", f"Saved {name} to {path}", "saved", data)
        )
        self._show_new_lines()
        self.notify(f"Saved {name} to {path}", title="Saved", markup=False)

    def _return_to_form(self) -> None:
        self.webchat.return_to_form()

    def action_newest(self) -> None:
        """Scroll the transcript to the newest message."""
        self.query_one(MessageLog).action_scroll_newest()

    def action_toggle_members(self) -> None:
        """Show or hide the member panel (the choice holds whatever the terminal's width)."""
        members = self.query_one("#members", MemberList)
        self._members_choice = not members.display
        members.display = self._members_choice

    @on(MessageLog.UnseenChanged)
    def _unseen(self, message: MessageLog.UnseenChanged) -> None:
        marker = self.query_one("#new-marker", Static)
        marker.display = message.unseen > 0
        if message.unseen:
            count = plural(message.unseen, "new message")
            marker.update(Content(f"↓ {count} below — ctrl+g or click to jump"))
        self.refresh_bindings()

    def on_click(self, event: events.Click) -> None:
        if event.widget is not None and event.widget.id == "new-marker":
            self.action_newest()

    _WHEN = {
        "newest": "while new messages wait below",
        "resend": "while a message could not be sent",
        "edit_failed": "while a message could not be sent",
        "choose": "while quick replies, buttons or pickers wait for an answer",
    }

    def help_extra(self) -> list[tuple[str, str]]:
        """For the help screen: the keys the footer offers only when they apply, listed with when."""
        active = {active.binding.action for active in self.active_bindings.values()}
        rows: list[tuple[str, str]] = []
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.action in self._WHEN and binding.action not in active:
                words = binding.tooltip or binding.description
                rows.append((self.app.get_key_display(binding), f"{words} ({self._WHEN[binding.action]})"))
        return rows

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Commands this screen adds to the command palette."""
        yield SystemCommand("Leave chat", "Leave the chat (asks first)", self.action_leave)
        yield SystemCommand("Show/hide members", "The member panel", self.action_toggle_members)
        if self.failed:
            yield SystemCommand("Resend failed message", "Send it again", self.action_resend)
            yield SystemCommand(
                "Edit failed message", "Put it back into the message box", self.action_edit_failed
            )
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
        yield SystemCommand("Choose", "Go to the offered choices (f4)", self.action_choose)
        if self.handle.can_attach:
            yield SystemCommand(
                "Send a file", "Pick a file to send (ctrl+u in an empty box)", self.action_attach
            )
