"""`ChatSession`: one guest chat's state and actions, UI-agnostic.

Data flows one way: `EventStream` (socket + REST backfill, deduplicated) -> this session (state) ->
`SessionEvent`s to subscribers (callbacks, or async iterators from `events()`), in order.

This module runs the lifecycle and the actions (start, send, typing, answers, leave, close). What the chat is
(state machine, members, messages, typing, media requests, why it ended) lives in `SessionReducer`
(`session_reducer`), which applies the stream's items; event fan-out is `session_events`, transcript export
`transcript`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from webchat_tui.api._redact import Secret, get_logger
from webchat_tui.api.client import WebChatClient
from webchat_tui.api.errors import (
    BadRequestError,
    ClientValidationError,
    NotFoundError,
    StreamClosedError,
    WebChatError,
)
from webchat_tui.api.media_requests import fetch_announced
from webchat_tui.api.models import (
    CreateWebChatConversationRequest,
    GuestMemberInfo,
    JourneyContext,
    WebChatGuestMediaRequest,
    WebChatMemberInfo,
    WebChatRoutingTarget,
)
from webchat_tui.api.session_events import EventCallback, EventHub, EventIterator
from webchat_tui.api.session_reducer import EndCause, Ending, LeaveStatus, SessionReducer
from webchat_tui.api.session_types import (
    ChatMessage,
    MediaRequest,
    Member,
    MemberRole,
    MemberState,
    Notice,
    SessionEvent,
    SessionState,
)
from webchat_tui.api.stream import EventStream, StreamOptions
from webchat_tui.api.transcript import Transcript, TranscriptRecorder, transcript_json, transcript_markdown
from webchat_tui.api.validation import validate_message_body, validate_required
from webchat_tui.chat.session import wait_until
from webchat_tui.chat.types import ACTIVE_STATES
from webchat_tui.sanitize import sanitize_line

__all__ = ["ChatSession", "EventCallback"]

log = get_logger("webchat_tui.api.session")

_ALREADY_GONE = frozenset({"chat.error.member.state", "chat.error.conversation.state"})


class ChatSession:
    """UI-agnostic state for one guest chat on a `WebChatClient`.

    Options: ``typing_expiry`` (s an indicator lasts), ``typing_throttle`` (min s between typing requests),
    ``stream_options`` (`StreamOptions`), ``batch_window`` (s to let a burst accumulate into one
    MessagesAdded), ``event_queue_size`` (bound of each `events()` iterator).
    """

    def __init__(
        self,
        client: WebChatClient,
        *,
        typing_expiry: float = 4.0,
        typing_throttle: float = 2.0,
        stream_options: StreamOptions | None = None,
        batch_window: float = 0.01,
        event_queue_size: int = 10_000,
    ) -> None:
        self._client = client
        self.typing_throttle = typing_throttle
        self.stream_options = stream_options or StreamOptions()
        self.batch_window = batch_window
        self._conversation_id: str | None = None
        self._jwt: Secret | None = None
        self._sent_ids: set[str] = set()
        self._last_typing_sent = float("-inf")
        self._events = EventHub(event_queue_size)
        self.transcript = TranscriptRecorder()
        """Every transcript line so far, in order: what a chat pane shows and what the exports write."""
        self._chat = SessionReducer(_ReducerIO(self), self._emit, typing_expiry=typing_expiry)
        self._stream: EventStream | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[bool]] = set()
        self._closed = False
        self._ended_event = asyncio.Event()
        self.started_at: datetime | None = None

    def __repr__(self) -> str:
        return f"ChatSession(state={self._chat.state.value!r}, conversation_id={self._conversation_id!r})"

    # ----------------------------------------------------------------------------------------------------
    # Read-only state

    @property
    def state(self) -> SessionState:
        """Where the chat is in its life."""
        return self._chat.state

    @property
    def conversation_id(self) -> str | None:
        """The conversation id once started."""
        return self._conversation_id

    @property
    def end_reason(self) -> str | None:
        """Why the chat ended, in plain words (None until it ended)."""
        return self._chat.end_reason

    @property
    def end_cause(self) -> EndCause | None:
        """Why the chat ended (None until it ended)."""
        return self._chat.end_cause

    @property
    def me(self) -> Member | None:
        """The guest."""
        return self._chat.me

    @property
    def agent(self) -> Member | None:
        """The currently connected agent, if any."""
        return self._chat.agent

    @property
    def members(self) -> list[Member]:
        """All members in join order, each in its current state."""
        return list(self._chat.members.values())

    @property
    def messages(self) -> list[ChatMessage]:
        """Chat messages so far, in conversation order, without duplicates."""
        return list(self._chat.messages)

    @property
    def typing_members(self) -> tuple[Member, ...]:
        """Other members currently typing."""
        return self._chat.typing_members

    @property
    def media_requests(self) -> list[MediaRequest]:
        """Every media request seen, oldest first."""
        return self._chat.media.all()

    @property
    def pending_media_requests(self) -> list[MediaRequest]:
        """Media requests still waiting for an answer."""
        return self._chat.media.pending()

    @property
    def typing_expiry(self) -> float:
        """Seconds a typing indicator lasts without a new one."""
        return self._chat.typing.expiry

    @typing_expiry.setter
    def typing_expiry(self, value: float) -> None:
        self._chat.typing.expiry = value

    @property
    def stream(self) -> EventStream | None:
        """The underlying event stream (for diagnostics)."""
        return self._stream

    # ----------------------------------------------------------------------------------------------------
    # Subscribing

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        """Call ``callback(event)`` on the event loop for every event, in order. Returns an unsubscribe
        function. A callback that raises is logged and does not stop the others or the session."""
        return self._events.subscribe(callback)

    def events(self) -> EventIterator:
        """An async iterator over events from now on (bounded; ends when the session closes or ends)."""
        ended = self._closed or (
            self._chat.state is SessionState.ENDED and (self._consumer is None or self._consumer.done())
        )
        return self._events.iterator(ended=ended)

    def _emit(self, event: SessionEvent) -> None:
        """Publish ``event`` (the reducer publishes through here too)."""
        self.transcript.record(event)  # first, so every consumer finds the event's lines recorded
        self._events.emit(event)

    def _end_iterators(self) -> None:
        self._events.end_iterators()

    async def wait_until(self, predicate: Callable[[ChatSession], bool], timeout: float = 10.0) -> None:
        """Wait (event-driven) until ``predicate(session)`` is true; TimeoutError after ``timeout`` s."""
        await wait_until(self, predicate, timeout)

    # ----------------------------------------------------------------------------------------------------
    # Lifecycle

    async def start(
        self,
        *,
        organization_id: str,
        deployment_id: str,
        queue: str,
        member_info: GuestMemberInfo,
        skills: Iterable[str] | None = None,
        language: str | None = None,
        priority: int | None = None,
        member_auth_token: str | None = None,
        journey_context: JourneyContext | None = None,
    ) -> None:
        """Create the conversation and attach the event stream (routing starts then).

        Raises `ClientValidationError` for bad input (nothing sent), `ApiError` subclasses for HTTP errors,
        `NetworkError` when the service cannot be reached, `StreamAuthError` when the stream refuses the
        token.
        After a failure the session is back in IDLE and `start()` may be called again.
        """
        if self._chat.state is not SessionState.IDLE:
            raise ClientValidationError(
                "session", f"start() was already called (state {self._chat.state.value})"
            )
        if self._closed:
            raise ClientValidationError("session", "the session is closed")
        validate_required(queue, "routingTarget.targetAddress")
        request = CreateWebChatConversationRequest(
            organization_id=organization_id,
            deployment_id=deployment_id,
            routing_target=WebChatRoutingTarget(
                target_address=queue,
                skills=list(skills) if skills is not None else None,
                language=language,
                priority=priority,
            ),
            member_info=member_info,
            member_auth_token=member_auth_token,
            journey_context=journey_context,
        )
        self._chat.set_state(SessionState.CONNECTING)
        try:
            created = await self._client.post_webchat_guest_conversations(request)
        except BaseException:
            self._chat.set_state(SessionState.IDLE, "The chat could not be created")
            raise
        if self._closed:  # close() came while the chat was being created: nobody will watch it
            await self._abandon(created.id, created.member.id or "")
            self._chat.set_state(SessionState.IDLE, "The session was closed")
            raise StreamClosedError("the session was closed while the chat was being created")
        self._conversation_id = created.id
        self._jwt = Secret(created.jwt, self._client.secrets)
        me_id = created.member.id or ""
        self._chat.me_id = me_id
        self.started_at = datetime.now(UTC)
        me = Member(
            id=me_id,
            display_name=sanitize_line(created.member.display_name or member_info.display_name),
            role=str(created.member.role or MemberRole.CUSTOMER),
            state=str(created.member.state or MemberState.CONNECTED),
            is_self=True,
            avatar_image_url=created.member.avatar_image_url,
            join_date=created.member.join_date,
        )
        self._chat.add_member(me)
        stream = EventStream(
            self._client,
            created.id,
            created.event_stream_uri,
            member_id=me_id,
            options=self.stream_options,
            jwt=created.jwt,
        )
        self._stream = stream
        try:
            await stream.start()
        except BaseException:
            await stream.close()
            self._stream = None
            await self._abandon(created.id, me_id)
            self._chat.set_state(SessionState.IDLE, "The event stream could not be opened")
            raise
        self._chat.set_state(SessionState.WAITING_FOR_AGENT)
        self._consumer = asyncio.create_task(self._consume(), name=f"chat-session-{created.id[:8]}")

    async def _abandon(self, conversation_id: str, member_id: str) -> None:
        """Best effort: leave a chat this session will not follow, so it does not stay queued."""
        try:
            await self._client.delete_webchat_guest_conversation_member(conversation_id, member_id)
        except WebChatError as exc:
            log.debug("could not leave the abandoned chat: %s", exc)

    async def close(self) -> None:
        """Stop the event stream and background work without leaving the chat (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._chat.typing.clear()
        for task in tuple(self._background):
            task.cancel()
        if self._stream is not None:
            await self._stream.close()
        consumer = self._consumer
        if consumer is not None and consumer is not asyncio.current_task() and not consumer.done():
            consumer.cancel()
            try:
                await consumer
            except (asyncio.CancelledError, Exception):
                pass
        self._end_iterators()

    async def leave(self) -> None:
        """Leave the chat (DELETE own member). The session ends with reason "You left the chat"."""
        chat = self._chat
        if chat.state is SessionState.ENDED:
            return
        if self._conversation_id is None or chat.me_id is None:
            raise ClientValidationError("session", "the chat has not been started")
        chat.guest_is_leaving()
        try:
            await self._client.delete_webchat_guest_conversation_member(self._conversation_id, chat.me_id)
        except (NotFoundError, BadRequestError) as exc:
            if not isinstance(exc, NotFoundError) and exc.code not in _ALREADY_GONE:
                chat.leave = LeaveStatus.STAYING
                raise
            # The chat ended (e.g. the agent closed it) before our DELETE: the guest is out either way; let
            # the stream report how it ended.
            log.debug("leave: the member was already gone (%s)", exc.code)
            chat.leave = LeaveStatus.STAYING
        except BaseException:
            chat.leave = LeaveStatus.STAYING
            raise
        else:
            chat.leave = LeaveStatus.LEFT
        if not self._ended_event.is_set():
            # Give the stream a moment to deliver our DISCONNECTED (and anything before it), then end anyway.
            try:
                await asyncio.wait_for(self._ended_event.wait(), timeout=5.0)
            except TimeoutError:
                left = chat.leave is not LeaveStatus.STAYING
                chat.finish(Ending.GUEST_LEFT if left else Ending.CHAT_ENDED)
        consumer = self._consumer
        if consumer is not None and not consumer.done():
            await asyncio.wait({consumer}, timeout=5.0)  # let it finish the transcript
        await self.close()

    # ----------------------------------------------------------------------------------------------------
    # Actions

    def _require_active(self) -> tuple[str, str]:
        me_id = self._chat.me_id
        if self._conversation_id is None or me_id is None:
            raise ClientValidationError("session", "the chat has not been started")
        if self._chat.state is SessionState.ENDED:
            raise ClientValidationError("session", "the chat has ended")
        return self._conversation_id, me_id

    async def send(self, text: str) -> ChatMessage:
        """Send a chat message; returns it as stored. It appears in `messages` when the stream delivers it.

        Validated first (not empty, at most 4,000 characters). Lost-response failures are reconciled against
        the conversation's messages before any resend, so the message is stored exactly once.
        """
        validate_message_body(text)
        conversation_id, me_id = self._require_active()
        stream = self._stream
        sent = await self._client.post_webchat_guest_conversation_member_messages(
            conversation_id,
            me_id,
            text,
            reconcile_after=stream.last_message_id if stream is not None else None,
            exclude_ids=frozenset(self._sent_ids),
        )
        self._sent_ids.add(sent.id)
        me = self._chat.members.get(me_id)
        return ChatMessage(
            id=sent.id,
            sender_id=me_id,
            sender_name=me.display_name if me else "",
            sender_role=me.role if me else str(MemberRole.CUSTOMER),
            body=sent.body,
            body_type=str(sent.body_type),
            timestamp=sent.timestamp,
            is_own=True,
        )

    async def typing(self) -> bool:
        """Tell the others the guest is typing, at most once per `typing_throttle` seconds.

        Returns True when a request was sent and accepted. Never raises for network or HTTP errors.
        """
        target = self._typing_due()
        if target is None:
            return False
        try:
            await self._client.post_webchat_guest_conversation_member_typing(*target)
        except WebChatError as exc:
            log.debug("typing indicator not sent: %s", exc)
            return False
        return True

    def note_typing(self) -> None:
        """The guest typed something: send a typing indicator in the background, unless one went out less
        than `typing_throttle` seconds ago. For UIs: call it on every keystroke (this is the only throttle).
        """
        if self._typing_due(peek=True) is None:
            return
        task = asyncio.create_task(self.typing(), name="chat-session-typing")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _typing_due(self, *, peek: bool = False) -> tuple[str, str] | None:
        """(conversation id, member id) when a typing indicator may go out now (and, unless ``peek``, count
        it as sent); None while throttled or when the chat is not active."""
        me_id = self._chat.me_id
        if self._conversation_id is None or me_id is None or self._chat.state not in ACTIVE_STATES:
            return None
        now = time.monotonic()
        if now - self._last_typing_sent < self.typing_throttle:
            return None
        if not peek:
            self._last_typing_sent = now
        return self._conversation_id, me_id

    async def accept(self, media_request_id: str) -> MediaRequest:
        """Accept a media request."""
        return await self._answer(media_request_id, "ACCEPTED")

    async def decline(self, media_request_id: str) -> MediaRequest:
        """Decline a media request."""
        return await self._answer(media_request_id, "DECLINED")

    async def report_error(self, media_request_id: str) -> MediaRequest:
        """Report that the media session could not start (state ERRORED)."""
        return await self._answer(media_request_id, "ERRORED")

    async def _answer(self, media_request_id: str, state: str) -> MediaRequest:
        conversation_id, _ = self._require_active()
        updated = await self._client.patch_webchat_guest_conversation_mediarequest(
            conversation_id, media_request_id, state
        )
        return self._chat.update_media(updated, None)

    # ----------------------------------------------------------------------------------------------------
    # Applying stream items

    async def _consume(self) -> None:
        stream = self._stream
        assert stream is not None
        try:
            while True:
                items = await stream.next_batch()
                if not items:
                    break
                await self._chat.apply(items)
                if self._chat.state is SessionState.ENDED:
                    break
                if self.batch_window > 0 and len(items) > 1:
                    # Frames are arriving back to back: let the next ones accumulate for a moment so a burst
                    # becomes a few large MessagesAdded (a lone message is never delayed).
                    await asyncio.sleep(self.batch_window)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("the chat session failed")
            self._emit(Notice(f"The chat failed: {type(exc).__name__}", level="error", kind="error"))
            self._chat.finish(Ending.CONNECTION_FAILED)
        if self._chat.state is not SessionState.ENDED and not self._closed:
            self._chat.finish(Ending.CONNECTION_CLOSED)
        stream.mark_ended()
        await stream.close()
        try:
            # Lines stored after the last frame we saw (e.g. the member-leave line) complete the transcript.
            final = await stream.backfill()
            if final:
                await self._chat.apply(list(final))
        except WebChatError as exc:
            log.debug("final backfill failed: %s", exc)
        self._end_iterators()

    # ----------------------------------------------------------------------------------------------------
    # Transcript

    def export_markdown(self) -> str:
        """The transcript as Markdown (chat text escaped so it cannot add formatting)."""
        return transcript_markdown(self._transcript())

    def export_json(self) -> str:
        """The transcript as JSON: conversation id, members, messages and media requests."""
        return transcript_json(self._transcript())

    def _transcript(self) -> Transcript:
        return Transcript(
            conversation_id=self._conversation_id,
            started_at=self.started_at,
            state=self._chat.state,
            end_reason=self._chat.end_reason,
            members=tuple(self._chat.members.values()),
            messages=tuple(self._chat.messages),
            media_requests=tuple(self._chat.media.all()),
            lines=tuple(self.transcript.lines),
        )


class _ReducerIO:
    """What the reducer asks of the network, answered with the session's client and stream."""

    def __init__(self, session: ChatSession) -> None:
        self._session = session

    def _conversation(self) -> str:
        conversation_id = self._session.conversation_id
        assert conversation_id is not None
        return conversation_id

    async def fetch_member(self, member_id: str) -> WebChatMemberInfo:
        """One member's details."""
        client = self._session._client
        return await client.get_webchat_guest_conversation_member(self._conversation(), member_id)

    async def fetch_media(self, body: str) -> list[WebChatGuestMediaRequest]:
        """The media request(s) a media-request message announces."""
        return await fetch_announced(self._session._client, self._conversation(), body)

    async def list_members(self) -> list[WebChatMemberInfo]:
        """Every member."""
        return await self._session._client.list_all_members(self._conversation())

    def ended(self) -> None:
        """The chat is over: stop reconnecting and wake `leave()`."""
        session = self._session
        if session._stream is not None:
            session._stream.mark_ended()
        session._ended_event.set()
