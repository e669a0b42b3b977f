"""One running chat as the TUI holds it: the session (Web Chat v2 or Web Messaging, driven through the neutral
`chat.Session` interface), its transcript recorder, and the session's event iterator the chat screen drains.

No Textual here. The iterator is opened *before* `session.start()`, so the chat screen sees every event from
the first one, however long it takes to open. What differs between the channels is asked of the session
(`can_*` properties), never decided by its class in the widgets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from webchat_tui.api.transcript import (
    Transcript,
    TranscriptLine,
    TranscriptRecorder,
    transcript_json,
    transcript_markdown,
)
from webchat_tui.chat.session import RichReplies
from webchat_tui.chat.types import ParticipantKind, SessionEvent, SessionState, StateChanged
from webchat_tui.config import ChatSettings

if TYPE_CHECKING:
    from webchat_tui.api.session_events import EventIterator
    from webchat_tui.messaging.token_store import TokenStore

__all__ = ["ChatHandle", "open_chat", "open_messaging_chat", "stored_conversation"]


@dataclass
class ChatHandle:
    """A started chat: what the chat screen needs, and how to shut it down."""

    session: Any
    """The session: a `chat.Session` (`ChatSession` or `MessagingSession`)."""
    settings: ChatSettings
    description: str
    """Where the chat runs, in words ("the local emulator", "Genesys Cloud (mypurecloud.ie)")."""
    events: EventIterator
    """The session's events in order (`get`/`get_nowait`/`empty`, like a queue)."""
    transcript: TranscriptRecorder
    """Every transcript line so far: what the chat pane shows and what the exports write."""
    close_client: Callable[[], Awaitable[None]]
    """Closes the transport after the session."""
    channel: str = "webchat"
    """`webchat` or `messaging` (for words only: behaviour is asked of the session)."""
    leave_on_quit: bool = True
    """Whether quitting leaves the conversation (Web Chat v2); a Web Messaging conversation is kept so that
    the next start resumes it."""
    opened_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    """When this client opened the chat: messages older than this on a resumed conversation are earlier."""
    _typing_task: asyncio.Task[Any] | None = None

    @property
    def conversation_id(self) -> str | None:
        """The conversation's id, when the protocol gives the guest one (Web Chat v2)."""
        value = getattr(self.session, "conversation_id", None)
        return value if isinstance(value, str) else None

    @property
    def resumed(self) -> bool:
        """The session picked up an earlier conversation (its history arrives first)."""
        return getattr(self.session, "new_session", None) is False

    @property
    def can_respond(self) -> bool:
        """The session can answer quick replies, card buttons and pickers."""
        return isinstance(self.session, RichReplies)

    @property
    def can_start_new(self) -> bool:
        """The session can begin a new conversation in place (after read-only)."""
        return callable(getattr(self.session, "start_new", None))

    @property
    def can_attach(self) -> bool:
        """The session can send and save files."""
        return callable(getattr(self.session, "send_attachment", None))

    @property
    def pending_sends(self) -> int:
        """Messages queued or sent without confirmation yet (0 when the session does not queue)."""
        value = getattr(self.session, "pending_sends", 0)
        return value if isinstance(value, int) else 0

    def note_typing(self) -> None:
        """Tell the others the guest is typing; the session throttles, failures are ignored."""
        note = getattr(self.session, "note_typing", None)
        if callable(note):
            note()
            return
        if self._typing_task is not None and not self._typing_task.done():
            return

        async def signal() -> None:
            try:
                await self.session.typing()
            except Exception:  # noqa: BLE001 - a lost typing signal is not worth a word to the user
                pass

        self._typing_task = asyncio.get_running_loop().create_task(signal())

    def export(self, kind: str) -> str:
        """The transcript as Markdown (`markdown`) or JSON (`json`), written from the recorded lines."""
        own = getattr(self.session, "export_json" if kind == "json" else "export_markdown", None)
        if callable(own):
            text = own()
            assert isinstance(text, str)
            return text
        session = self.session
        transcript = Transcript(
            conversation_id=self.conversation_id,
            started_at=getattr(session, "started_at", None) or self.opened_at,
            state=session.state,
            end_reason=session.end_reason,
            members=tuple(session.members),
            messages=tuple(session.messages),
            media_requests=(),
            lines=tuple(self.transcript.lines),
        )
        return transcript_json(transcript) if kind == "json" else transcript_markdown(transcript)

    async def close(self, *, leave: bool = False, leave_timeout: float = 3.0) -> None:
        """Stop the session's background work and the transport.

        Args:
            leave: first leave the chat if it is still going, so the agent is not left talking to a guest
                who has quit; bounded by `leave_timeout` seconds, failures ignored. Ignored when
                `leave_on_quit` is off (Web Messaging: the next start resumes the conversation).
            leave_timeout: how long quitting may wait for the leave request.
        """
        if leave and self.leave_on_quit and self.session.state not in (SessionState.ENDED, SessionState.IDLE):
            try:
                await asyncio.wait_for(self.session.leave(), leave_timeout)
            except Exception:  # quitting anyway; the server's idle timeout ends the chat
                pass
        self.events.close()
        try:
            await self.session.close()
        finally:
            await self.close_client()


async def open_chat(
    settings: ChatSettings,
    *,
    base_url: str | None,
    environment: str | None,
    description: str,
    session_options: dict[str, Any] | None = None,
    client_options: dict[str, Any] | None = None,
) -> ChatHandle:
    """Create the Web Chat v2 client and session, open the session's event iterator, then start the chat.

    Raises:
        Exception: whatever `ChatSession.start()` or the client raised; the client is closed first (and a chat
            the server already created is left, e.g. when the start is cancelled).
    """
    from webchat_tui.api import ChatSession, GuestMemberInfo, WebChatClient

    options = client_options or {}
    if base_url is not None:
        client = WebChatClient(base_url=base_url, **options)
    else:
        client = WebChatClient(environment=environment, **options)
    session = ChatSession(client, **(session_options or {}))
    handle = ChatHandle(
        session=session,
        settings=settings,
        description=description,
        events=session.events(),
        transcript=session.transcript,
        close_client=client.aclose,
        channel="webchat",
    )
    member_info = GuestMemberInfo(
        display_name=settings.display_name.strip(),
        first_name=settings.first_name.strip() or None,
        last_name=settings.last_name.strip() or None,
        email=settings.email.strip() or None,
        phone_number=settings.phone.strip() or None,
        avatar_image_url=settings.avatar_url.strip() or None,
        custom_fields=dict(settings.custom_fields) or None,
    )
    try:
        await session.start(
            organization_id=settings.organization_id.strip(),
            deployment_id=settings.deployment_id.strip(),
            queue=settings.queue.strip(),
            member_info=member_info,
            skills=list(settings.skills) or None,
            language=settings.language.strip() or None,
            priority=settings.priority,
            member_auth_token=settings.member_auth_token.strip() or None,
        )
    except BaseException:
        await asyncio.shield(handle.close(leave=True))
        raise
    return handle


def stored_conversation(deployment_id: str, store: TokenStore) -> bool:
    """Whether a Web Messaging session token is stored for `deployment_id` (a conversation to resume)."""
    return bool(deployment_id.strip()) and store.get(deployment_id.strip()) is not None


async def open_messaging_chat(
    settings: ChatSettings,
    *,
    base_url: str | None,
    environment: str | None,
    description: str,
    start_new: bool = False,
    token_store: TokenStore | None = None,
    session_options: dict[str, Any] | None = None,
    leave_on_quit: bool = False,
    name_attribute: str = "",
) -> ChatHandle:
    """Create the Web Messaging client and session, subscribe the transcript, then start (resume the stored
    conversation, or a new one with `start_new`). `leave_on_quit`: quitting ends the conversation (when its
    token is thrown away with the app, nothing could resume it). `name_attribute`: also send the display name
    as this custom attribute (unless the form already has it), so an agent sees who is there.

    Raises:
        Exception: whatever `MessagingSession.start()` raised; the session is closed first.
    """
    from webchat_tui.messaging import MessagingClient, MessagingSession

    attributes = dict(settings.custom_fields)
    if name_attribute and settings.display_name.strip() and name_attribute not in attributes:
        attributes[name_attribute] = settings.display_name.strip()
    client = MessagingClient(
        settings.deployment_id.strip(),
        base_url=base_url,
        environment=environment,
        origin=settings.origin.strip() or None,
    )
    session = MessagingSession(
        client,
        token_store=token_store,
        guest_name=settings.display_name.strip() or "You",
        custom_attributes=attributes or None,
        **(session_options or {}),
    )
    recorder = TranscriptRecorder()

    def record(event: SessionEvent) -> None:
        # Web Messaging sends no join lines: the first agent's arrival is said here, in order.
        if (
            isinstance(event, StateChanged)
            and event.state is SessionState.CONNECTED
            and event.previous is SessionState.WAITING_FOR_AGENT
            and event.agent is not None
            and not (session.new_session is False and not recorder.lines)  # not the history of a resume
        ):
            name = event.agent.display_name
            bot = next((m for m in session.members if m.kind is ParticipantKind.BOT), None)
            words = f"{bot.display_name} handed you over to {name}" if bot else f"{name} joined"
            recorder.add(TranscriptLine(datetime.now(UTC), "", "system", words, "join", {"member": name}))
        recorder.record(event)

    session.subscribe(record)  # before the screen's iterator reads the event: lines are recorded first

    async def close_client() -> None:
        return None  # the session closes its client

    handle = ChatHandle(
        session=session,
        settings=settings,
        description=description,
        events=session.events(),
        transcript=recorder,
        close_client=close_client,
        channel="messaging",
        leave_on_quit=leave_on_quit,
    )
    try:
        await session.start(start_new=start_new, auth_code=settings.auth_code.strip() or None)
    except BaseException:
        await asyncio.shield(handle.close())
        raise
    return handle
