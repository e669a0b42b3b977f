"""`ChatSession`: one guest chat's state and actions, UI-agnostic.

Data flows one way: `EventStream` (socket + REST backfill, deduplicated) -> this session (state) ->
`SessionEvent`s to subscribers (callbacks, or async iterators from `events()`), in order.

State machine: ``idle -> connecting -> waiting_for_agent <-> connected -> ended``, with ``reconnecting``
while the event stream is re-established. The parts live in their own modules: members (`member_table`),
who is typing (`typing_tracker`), media requests (`media_requests`), event fan-out (`session_events`) and
transcript export (`transcript`); this module runs the lifecycle and applies stream items to them.
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
    StreamAuthError,
    StreamClosedError,
    WebChatError,
)
from webchat_tui.api.events import MemberChangeEvent, MessageEvent, TypingEvent
from webchat_tui.api.media_requests import MediaRequestBook, fetch_announced
from webchat_tui.api.member_table import MemberTable, is_stale
from webchat_tui.api.models import (
    CreateWebChatConversationRequest,
    GuestMemberInfo,
    JourneyContext,
    WebChatGuestMediaRequest,
    WebChatMemberInfo,
    WebChatRoutingTarget,
)
from webchat_tui.api.session_events import EventCallback, EventHub, EventIterator
from webchat_tui.api.session_types import (
    ChatMessage,
    MediaRequest,
    MediaRequestChanged,
    Member,
    MemberChanged,
    MemberRole,
    MemberState,
    MessagesAdded,
    Notice,
    SessionEvent,
    SessionState,
    StateChanged,
    TypingChanged,
)
from webchat_tui.api.stream import EventStream, MembersSnapshot, StreamItem, StreamOptions, StreamStatus
from webchat_tui.api.transcript import Transcript, transcript_json, transcript_markdown
from webchat_tui.api.typing_tracker import TypingTracker
from webchat_tui.api.validation import validate_message_body, validate_required
from webchat_tui.sanitize import sanitize_line

__all__ = ["ChatSession", "EventCallback"]

log = get_logger("webchat_tui.api.session")

_ACTIVE = (SessionState.WAITING_FOR_AGENT, SessionState.CONNECTED, SessionState.RECONNECTING)
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
        self._state = SessionState.IDLE
        self._conversation_id: str | None = None
        self._me_id: str | None = None
        self._jwt: Secret | None = None
        self._table = MemberTable()
        self._members = self._table.by_id  # the same dict: read on every frame
        self._agent_id: str | None = None
        self._had_agent = False
        self._agent_left_last = False
        self._messages: list[ChatMessage] = []
        self._message_ids: set[str] = set()
        self._sent_ids: set[str] = set()
        self._media = MediaRequestBook()
        self._typing = TypingTracker(typing_expiry, self._emit_typing)
        self._last_typing_sent = float("-inf")
        self._last_typing: tuple[Member, ...] = ()
        self._events = EventHub(event_queue_size)
        self._stream: EventStream | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._leaving = False
        self._left = False
        self._closed = False
        self._end_reason: str | None = None
        self._ended_event = asyncio.Event()
        self.started_at: datetime | None = None

    def __repr__(self) -> str:
        return f"ChatSession(state={self._state.value!r}, conversation_id={self._conversation_id!r})"

    # ----------------------------------------------------------------------------------------------------
    # Read-only state

    @property
    def state(self) -> SessionState:
        """Where the chat is in its life."""
        return self._state

    @property
    def conversation_id(self) -> str | None:
        """The conversation id once started."""
        return self._conversation_id

    @property
    def end_reason(self) -> str | None:
        """Why the chat ended, in plain words (None until it ended)."""
        return self._end_reason

    @property
    def me(self) -> Member | None:
        """The guest."""
        return self._members.get(self._me_id) if self._me_id else None

    @property
    def agent(self) -> Member | None:
        """The currently connected agent, if any."""
        return self._members.get(self._agent_id) if self._agent_id else None

    @property
    def members(self) -> list[Member]:
        """All members in join order, each in its current state."""
        return list(self._members.values())

    @property
    def messages(self) -> list[ChatMessage]:
        """Chat messages so far, in conversation order, without duplicates."""
        return list(self._messages)

    @property
    def typing_members(self) -> tuple[Member, ...]:
        """Other members currently typing."""
        return tuple(self._members[m] for m in self._typing.member_ids if m in self._members)

    @property
    def media_requests(self) -> list[MediaRequest]:
        """Every media request seen, oldest first."""
        return self._media.all()

    @property
    def pending_media_requests(self) -> list[MediaRequest]:
        """Media requests still waiting for an answer."""
        return self._media.pending()

    @property
    def typing_expiry(self) -> float:
        """Seconds a typing indicator lasts without a new one."""
        return self._typing.expiry

    @typing_expiry.setter
    def typing_expiry(self, value: float) -> None:
        self._typing.expiry = value

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
            self._state is SessionState.ENDED and (self._consumer is None or self._consumer.done())
        )
        return self._events.iterator(ended=ended)

    def _emit(self, event: SessionEvent) -> None:
        self._events.emit(event)

    def _end_iterators(self) -> None:
        self._events.end_iterators()

    async def wait_until(self, predicate: Callable[[ChatSession], bool], timeout: float = 10.0) -> None:
        """Wait (event-driven) until ``predicate(session)`` is true; TimeoutError after ``timeout`` s."""
        if predicate(self):
            return
        ready = asyncio.Event()

        def check(_: SessionEvent) -> None:
            if predicate(self):
                ready.set()

        unsubscribe = self.subscribe(check)
        try:
            if predicate(self):
                return
            await asyncio.wait_for(ready.wait(), timeout)
        finally:
            unsubscribe()

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
        if self._state is not SessionState.IDLE:
            raise ClientValidationError("session", f"start() was already called (state {self._state.value})")
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
        self._set_state(SessionState.CONNECTING)
        try:
            created = await self._client.post_webchat_guest_conversations(request)
        except BaseException:
            self._set_state(SessionState.IDLE, "The chat could not be created")
            raise
        if self._closed:  # close() came while the chat was being created: nobody will watch it
            await self._abandon(created.id, created.member.id or "")
            self._set_state(SessionState.IDLE, "The session was closed")
            raise StreamClosedError("the session was closed while the chat was being created")
        self._conversation_id = created.id
        self._jwt = Secret(created.jwt, self._client.secrets)
        me_id = created.member.id or ""
        self._me_id = me_id
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
        self._table.add(me, detailed=True)
        self._emit(MemberChanged(me, None))
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
            self._set_state(SessionState.IDLE, "The event stream could not be opened")
            raise
        self._set_state(SessionState.WAITING_FOR_AGENT)
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
        self._typing.clear()
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
        if self._state is SessionState.ENDED:
            return
        if self._conversation_id is None or self._me_id is None:
            raise ClientValidationError("session", "the chat has not been started")
        self._leaving = True
        self._agent_left_last = False  # an agent leaving from now on, before us, means the agent ended it
        try:
            await self._client.delete_webchat_guest_conversation_member(self._conversation_id, self._me_id)
        except (NotFoundError, BadRequestError) as exc:
            if not isinstance(exc, NotFoundError) and exc.code not in _ALREADY_GONE:
                self._leaving = False
                raise
            # The chat ended (e.g. the agent closed it) before our DELETE: the guest is out either way; let
            # the stream report how it ended.
            log.debug("leave: the member was already gone (%s)", exc.code)
            self._leaving = False
        except BaseException:
            self._leaving = False
            raise
        else:
            self._left = True  # our DELETE did it, whatever order the stream reports the departures in
        if not self._ended_event.is_set():
            # Give the stream a moment to deliver our DISCONNECTED (and anything before it), then end anyway.
            try:
                await asyncio.wait_for(self._ended_event.wait(), timeout=5.0)
            except TimeoutError:
                self._finish("You left the chat" if self._leaving else "The chat ended")
        consumer = self._consumer
        if consumer is not None and not consumer.done():
            await asyncio.wait({consumer}, timeout=5.0)  # let it finish the transcript
        await self.close()

    # ----------------------------------------------------------------------------------------------------
    # Actions

    def _require_active(self) -> tuple[str, str]:
        if self._conversation_id is None or self._me_id is None:
            raise ClientValidationError("session", "the chat has not been started")
        if self._state is SessionState.ENDED:
            raise ClientValidationError("session", "the chat has ended")
        return self._conversation_id, self._me_id

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
        me = self._members.get(me_id)
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
        if self._conversation_id is None or self._me_id is None or self._state not in _ACTIVE:
            return False
        now = time.monotonic()
        if now - self._last_typing_sent < self.typing_throttle:
            return False
        self._last_typing_sent = now
        try:
            await self._client.post_webchat_guest_conversation_member_typing(
                self._conversation_id, self._me_id
            )
        except WebChatError as exc:
            log.debug("typing indicator not sent: %s", exc)
            return False
        return True

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
        return self._update_media(updated, None)

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
                await self._apply(items)
                if self._state is SessionState.ENDED:
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
            self._finish("The connection to the chat failed")
        if self._state is not SessionState.ENDED and not self._closed:
            self._finish("The connection to the chat closed")
        stream.mark_ended()
        await stream.close()
        try:
            # Lines stored after the last frame we saw (e.g. the member-leave line) complete the transcript.
            final = await stream.backfill()
            if final:
                await self._apply(list(final))
        except WebChatError as exc:
            log.debug("final backfill failed: %s", exc)
        self._end_iterators()

    async def _apply(self, items: list[StreamItem]) -> None:
        pending: list[ChatMessage] = []
        members = self._members
        me_id = self._me_id
        messages = self._messages
        message_ids = self._message_ids
        typing = self._typing
        typing_dirty = False
        for item in items:
            kind = item.kind
            if kind == "message":
                assert isinstance(item, MessageEvent)
                sender_id = item.sender_id
                sender = members.get(sender_id)
                if sender is None or sender_id not in self._table.detailed:
                    self._flush(pending)
                    sender = await self._ensure_member(sender_id)
                if item.id in message_ids:
                    continue
                ts = item.timestamp
                try:
                    timestamp = datetime.fromisoformat(ts) if ts else datetime.now(UTC)
                except ValueError:
                    timestamp = datetime.now(UTC)
                message = ChatMessage(
                    item.id,
                    sender_id,
                    sender.display_name,
                    sender.role,
                    item.body,
                    item.body_type,
                    timestamp,
                    sender_id == me_id,
                )
                messages.append(message)
                message_ids.add(item.id)
                pending.append(message)
                if sender_id in typing and typing.stop(sender_id):
                    typing_dirty = True
                if item.body_type == "media-request":
                    self._flush(pending)
                    await self._on_media_request_message(item, sender)
            elif kind == "typing":
                assert isinstance(item, TypingEvent)
                if item.sender_id != me_id and self._state is not SessionState.ENDED:
                    if item.sender_id not in members:
                        self._flush(pending)
                        await self._ensure_member(item.sender_id)
                    typing_dirty |= typing.start(item.sender_id)
            else:
                self._flush(pending)
                if typing_dirty:
                    self._emit_typing()
                    typing_dirty = False
                if kind == "member-change":
                    assert isinstance(item, MemberChangeEvent)
                    await self._on_member_change(item.member_id, item.state)
                elif kind == "members":
                    assert isinstance(item, MembersSnapshot)
                    await self._on_snapshot(item.members)
                elif kind == "status":
                    assert isinstance(item, StreamStatus)
                    if item.status in ("failed", "closed") and not isinstance(item.error, StreamAuthError):
                        await self._check_members()  # did the chat simply end while we were away?
                    self._on_status(item)
        self._flush(pending)
        if typing_dirty:
            self._emit_typing()

    def _flush(self, pending: list[ChatMessage]) -> None:
        if pending:
            self._emit(MessagesAdded(tuple(pending)))
            pending.clear()

    # Typing ----------------------------------------------------------------------------------------------

    def _emit_typing(self) -> None:
        current = self.typing_members
        if current != self._last_typing:
            self._last_typing = current
            self._emit(TypingChanged(current))

    def _clear_typing(self) -> None:
        if self._typing.clear():
            self._emit_typing()

    # Members ---------------------------------------------------------------------------------------------

    async def _ensure_member(self, member_id: str) -> Member:
        """The member with details, fetching them once per id (a placeholder when the fetch fails)."""
        member = self._members.get(member_id)
        detailed = self._table.detailed
        if member is not None and member_id in detailed:
            return member
        detailed.add(member_id)  # once per id, even if the fetch fails
        assert self._conversation_id is not None
        try:
            info = await self._client.get_webchat_guest_conversation_member(self._conversation_id, member_id)
        except WebChatError as exc:
            log.debug("member details unavailable: %s", exc)
            if member is None:
                member = Member(member_id, "Unknown", "", "CONNECTED", member_id == self._me_id)
                self._table.add(member, detailed=True)
                self._emit(MemberChanged(member, None))
            return member
        return self._merge_member(info)

    def _merge_member(self, info: WebChatMemberInfo) -> Member:
        """Merge REST details into the member table; emits MemberChanged when something changed."""
        member, previous = self._table.merge(info, self_id=self._me_id)
        if member != previous:
            self._emit(MemberChanged(member, previous.state if previous else None))
        return member

    async def _on_member_change(self, member_id: str, state: str) -> None:
        member = self._members.get(member_id)
        if member is None or member_id not in self._table.detailed:
            member = await self._ensure_member(member_id)
        if is_stale(state, member.state):
            log.debug("ignoring a stale member state (%s after %s)", state, member.state)
            return
        updated = self._table.advance(member, state)
        if updated is not None:
            self._emit(MemberChanged(updated, member.state))
            if state == "DISCONNECTED" and self._typing.stop(member_id):
                self._emit_typing()
        self._recompute_state()

    async def _check_members(self) -> None:
        """One REST read of the member list (REST keeps working after the stream gave up)."""
        if self._conversation_id is None or self._state is SessionState.ENDED:
            return
        try:
            members = await self._client.list_all_members(self._conversation_id)
        except WebChatError as exc:
            log.debug("member list unavailable: %s", exc)
            return
        await self._on_snapshot(tuple(members))

    async def _on_snapshot(self, infos: tuple[WebChatMemberInfo, ...]) -> None:
        for info in infos:
            if info.id:
                self._merge_member(info)
        self._recompute_state()

    def _recompute_state(self, *, after_reconnect: bool = False) -> None:
        if self._state is SessionState.ENDED:
            return
        me = self.me
        if me is not None and me.state == "DISCONNECTED":
            if self._left:
                reason = "You left the chat"
            elif self._agent_left_last:
                reason = "The agent ended the chat"
            elif self._leaving:
                reason = "You left the chat"
            else:
                reason = "The chat ended"
            self._finish(reason)
            return
        connected = [
            m for m in self._members.values() if m.role == MemberRole.AGENT and m.state == "CONNECTED"
        ]
        if self._agent_id is not None and not any(m.id == self._agent_id for m in connected):
            self._agent_left_last = True
            self._agent_id = None
        agent = connected[-1] if connected else None
        if agent is not None and agent.id != self._agent_id:
            transferred = self._had_agent
            self._agent_id = agent.id
            self._had_agent = True
            self._agent_left_last = False
            if transferred:
                self._emit(
                    Notice(
                        f"You were transferred to {agent.display_name}",
                        kind="transfer",
                        details={"agent": agent.display_name, "agentId": agent.id},
                    )
                )
        if self._state is SessionState.RECONNECTING and not after_reconnect:
            return
        target = SessionState.CONNECTED if agent is not None else SessionState.WAITING_FOR_AGENT
        if target is not self._state:
            self._set_state(target, agent=agent if target is SessionState.CONNECTED else None)

    def _on_status(self, status: StreamStatus) -> None:
        if status.status == "reconnecting":
            if self._state in (SessionState.WAITING_FOR_AGENT, SessionState.CONNECTED):
                self._set_state(SessionState.RECONNECTING, "The connection dropped; reconnecting")
            self._emit(
                Notice(
                    "Connection lost; reconnecting",
                    level="warning",
                    kind="reconnecting",
                    details={"detail": status.detail},
                )
            )
        elif status.status == "reconnected":
            self._recompute_state(after_reconnect=True)
            if self._state is not SessionState.ENDED:
                self._emit(
                    Notice("Reconnected", kind="reconnected", details={"backfilled": str(status.backfilled)})
                )
        elif status.status == "resynced":
            self._recompute_state()
            self._emit(
                Notice(
                    "Caught up with the conversation",
                    kind="resynced",
                    details={"backfilled": str(status.backfilled)},
                )
            )
        elif status.status == "connected":
            self._recompute_state()
        elif status.status == "failed":
            error = status.error
            if isinstance(error, StreamAuthError):
                text = "The chat's credentials were refused"
            else:
                text = f"The connection to the chat failed: {status.detail}"
            if self._leaving:
                self._finish("You left the chat")
                return
            self._emit(Notice(text, level="error", kind="stream-failed"))
            self._finish(text)
        elif status.status == "closed":
            if self._state is not SessionState.ENDED:
                self._finish("You left the chat" if self._leaving else "The connection to the chat closed")

    # Media requests --------------------------------------------------------------------------------------

    async def _on_media_request_message(self, message: MessageEvent, sender: Member) -> None:
        assert self._conversation_id is not None
        try:
            found = await fetch_announced(self._client, self._conversation_id, message.body)
        except WebChatError as exc:
            log.debug("media request not available: %s", exc)
            self._emit(
                Notice("A media request could not be read", level="warning", kind="media-request-failed")
            )
            return
        for request in found:
            self._update_media(request, sender.display_name)

    def _update_media(self, request: WebChatGuestMediaRequest, requested_by: str | None) -> MediaRequest:
        updated, previous, changed = self._media.update(request, requested_by)
        if changed:
            self._emit(MediaRequestChanged(updated, previous.state if previous else None))
        return updated

    # State -----------------------------------------------------------------------------------------------

    def _set_state(self, state: SessionState, reason: str | None = None, agent: Member | None = None) -> None:
        previous = self._state
        if state is previous:
            return
        self._state = state
        self._emit(StateChanged(state, previous, reason, agent))

    def _finish(self, reason: str) -> None:
        if self._state is SessionState.ENDED:
            return
        self._end_reason = reason
        self._agent_id = None
        self._clear_typing()
        if self._stream is not None:
            self._stream.mark_ended()
        self._set_state(SessionState.ENDED, reason)
        self._ended_event.set()

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
            state=self._state,
            end_reason=self._end_reason,
            members=tuple(self._members.values()),
            messages=tuple(self._messages),
            media_requests=tuple(self._media.all()),
        )
