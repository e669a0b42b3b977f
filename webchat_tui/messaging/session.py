"""`MessagingSession`: one guest's Web Messaging conversation, UI-agnostic, implementing `chat.Session`.

Data flows one way: `MessagingClient` frames -> this session (state, transcript) -> `SessionEvent`s to
subscribers, in order. What it adds to the raw protocol:
- the session token persisted per deployment (`TokenStore`), so a restart resumes the same conversation;
- every message exactly once and in `channel.time` order: a short reorder window for live frames, history
  backfill (getJwt + the history API) after every resume, duplicates dropped by id;
- the guest's own message shown once: the echo is matched to the send by `tracingId` (or, when the service
  omits it, by text), and the echo is what is stored;
- sends paced under 2 per second (`Pacer`): a burst is queued and delivered, a 429/4029 waits `retryAfter`
  and resends; sends interrupted by a drop are reconciled against history before being resent;
- states the UI can show: read-only after a disconnect, expiry, clear, closed elsewhere (`EndCause`).
"""

from __future__ import annotations

import asyncio
import mimetypes
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from webchat_tui.api._redact import Secret, get_logger, register_secret
from webchat_tui.api.session_events import EventHub, EventIterator
from webchat_tui.api.typing_tracker import TypingTracker
from webchat_tui.chat.session import EventCallback, wait_until
from webchat_tui.chat.types import (
    ACTIVE_STATES,
    FINISHED_STATES,
    Attachment,
    ChatMessage,
    ContentChoice,
    EndCause,
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
from webchat_tui.messaging.client import MessagingClient, frame_error
from webchat_tui.messaging.convert import GUEST_ID, presence_line, sender_of, to_chat_message
from webchat_tui.messaging.errors import (
    ConnectionLost,
    CustomAttributesTooLarge,
    FeatureUnavailable,
    FileSizeInvalid,
    FileTypeInvalid,
    MessagingConfigError,
    MessagingError,
    RateLimited,
    RequestTimeout,
    SessionClosed,
    SessionLimitReached,
    SessionReadOnly,
    UnexpectedServerError,
)
from webchat_tui.messaging.frames import (
    ConnectionClosedEvent,
    DeploymentConfig,
    ErrorText,
    JwtResponse,
    LogoutEvent,
    PresignedUrlResponse,
    ServerFrame,
    SessionClearedEvent,
    SessionExpiredEvent,
    SessionResponse,
    StructuredMessage,
)
from webchat_tui.messaging.ordering import ReorderBuffer, Transcript
from webchat_tui.messaging.pacing import DEFAULT_SEND_INTERVAL, Pacer
from webchat_tui.messaging.requests import (
    AuthData,
    ChannelMetadata,
    CloseSession,
    ConfigureAuthenticatedSession,
    ConfigureSession,
    CustomAttributesChannel,
    Echo,
    EventPresence,
    EventTyping,
    GetAttachment,
    GetJwt,
    OnAttachment,
    OnMessage,
    OutgoingAttachment,
    OutgoingButtonResponse,
    OutgoingContent,
    OutgoingEvent,
    OutgoingMessage,
)
from webchat_tui.messaging.token_store import TokenStore, default_token_path
from webchat_tui.safe_files import new_file, replacing_file

__all__ = ["MessagingSession", "custom_attributes_size", "DEFAULT_MAX_CUSTOM_DATA_BYTES"]

log = get_logger("webchat_tui.messaging.session")

DEFAULT_MAX_CUSTOM_DATA_BYTES = 2048
"""The custom-attributes limit when the service does not say (protocol.md §11)."""

_SESSION = frozenset({"SessionResponse"})
_CONFIGURE = frozenset({"SessionResponse", "ConnectionClosedEvent"})
_ECHO = frozenset({"StructuredMessage"})


def custom_attributes_size(attributes: Mapping[str, str]) -> int:
    """The size the service counts: the UTF-8 bytes of every key and value (as the vendor's client does)."""
    return sum(len(k.encode()) + len(v.encode()) for k, v in attributes.items())


@dataclass(slots=True)
class _Outgoing:
    """One onMessage waiting to be sent, sent without an echo yet, or uncertain after a drop."""

    request: OnMessage
    text: str
    future: asyncio.Future[ChatMessage]
    written_at: datetime | None = None
    attempts: int = 0
    extra: dict[str, str] = field(default_factory=dict)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the service answered it (echo or error) or the socket it went out on dropped."""


class MessagingSession:
    """UI-agnostic state for one Web Messaging guest conversation on a `MessagingClient`.

    ``token``: the guest session token; by default the one stored for this deployment in ``token_store``
    (a new one is stored once the service accepts it). ``token_store``: where tokens persist (default: the
    user data dir; ``TokenStore(None)`` keeps them in memory). ``custom_attributes``: sent with the first
    message (size-checked against the session's limit). ``autostart``: send a Presence Join when a new session
    starts (None: as the deployment configuration says). Timing knobs: ``send_interval`` (s between sends),
    ``reorder_window`` (s live messages are held to be put in time order), ``typing_throttle`` (s between
    typing signals), ``typing_expiry`` (s an agent's indicator lasts without a duration).
    """

    def __init__(
        self,
        client: MessagingClient,
        *,
        token: str | None = None,
        token_store: TokenStore | None = None,
        guest_name: str = "You",
        custom_attributes: Mapping[str, str] | None = None,
        autostart: bool | None = None,
        fetch_config: bool = True,
        send_interval: float = DEFAULT_SEND_INTERVAL,
        reorder_window: float = 0.05,
        typing_throttle: float = 5.0,
        typing_expiry: float = 5.0,
        event_queue_size: int = 10_000,
    ) -> None:
        self._client = client
        self._store = token_store if token_store is not None else TokenStore(default_token_path())
        # A stored token is a conversation to come back to: if the service starts a new one, say so.
        stored = None if token is not None else self._store.get(client.deployment_id)
        self._resuming_stored = stored is not None
        # A new token is stored only once the service accepted it (`_configure`): a deployment that refuses
        # the guest (403, wrong Origin, sign-in needed) leaves nothing behind to "resume".
        self._token = Secret(token or stored or str(uuid.uuid4()))
        register_secret(self._token.get())
        self._custom_attributes = dict(custom_attributes or {})
        self._attributes_pending = bool(self._custom_attributes)
        self.autostart = autostart
        self.fetch_config = fetch_config
        self.reorder_window = reorder_window
        self.typing_throttle = typing_throttle
        self._pacer = Pacer(send_interval)
        self.answer_wait = 2.0
        """Seconds a send waits for the previous message's answer, so a late 4029 cannot let it overtake."""
        self._last_sent: _Outgoing | None = None
        self._state = SessionState.IDLE
        self._end_reason: str | None = None
        self._end_cause: EndCause | None = None
        self._me = Member(GUEST_ID, guest_name, MemberRole.CUSTOMER, MemberState.CONNECTED, is_self=True)
        self._members: dict[str, Member] = {GUEST_ID: self._me}
        self._agent: Member | None = None
        self._transient: dict[str, Member] = {}
        self._transcript = Transcript()
        self._buffer = ReorderBuffer()
        self._flush_handle: asyncio.TimerHandle | None = None
        self._typing = TypingTracker(typing_expiry, self._emit_typing)
        self._last_typing: tuple[Member, ...] = ()
        self._last_typing_sent = float("-inf")
        self._events = EventHub(event_queue_size)
        self._outbox: deque[_Outgoing] = deque()
        self._inflight: dict[str, _Outgoing] = {}
        self._uncertain: list[_Outgoing] = []
        # Ids of own messages already given to a send as its echo: history reconciliation never hands one of
        # them to another send with the same text (that send would be lost).
        self._delivered_ids: set[str] = set()
        self._outbox_ready = asyncio.Event()
        self._ready = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._expiry_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._start_new_next = False
        self._auth_code: Secret | None = None
        self._clearing = False
        self._closed = False
        self._fallback_seq = 0
        self.config: DeploymentConfig | None = None
        self.session_info: SessionResponse | None = None
        self.expires_at: datetime | None = None
        self._duration: float | None = None
        self._touched = False
        self._senders: dict[tuple[str | None, str | None, str | None], Member] = {}
        self.started_at: datetime | None = None

    def __repr__(self) -> str:
        return f"MessagingSession(state={self._state.value!r}, deployment_id={self._client.deployment_id!r})"

    # ----------------------------------------------------------------------------------------------------
    # Read-only state

    @property
    def client(self) -> MessagingClient:
        """The transport."""
        return self._client

    @property
    def token(self) -> Secret:
        """The guest session token (a `Secret`: `.get()` for the value)."""
        return self._token

    @property
    def state(self) -> SessionState:
        """Where the conversation is in its life."""
        return self._state

    @property
    def end_reason(self) -> str | None:
        """Plain-words reason once ENDED or READ_ONLY."""
        return self._end_reason

    @property
    def end_cause(self) -> EndCause | None:
        """Why the session is ENDED or READ_ONLY."""
        return self._end_cause

    @property
    def me(self) -> Member | None:
        """The guest."""
        return self._me

    @property
    def agent(self) -> Member | None:
        """The agent who last wrote, while the conversation is with an agent."""
        return self._agent

    @property
    def members(self) -> list[Member]:
        """The guest, then every agent and bot seen."""
        return list(self._members.values())

    @property
    def messages(self) -> list[ChatMessage]:
        """Every message once, in `channel.time` order (including any still in the reorder window; reading
        this never publishes an event, so a subscriber may read it)."""
        messages = self._transcript.messages
        if len(self._buffer):
            held = [m for m in self._buffer.peek() if m.id not in self._transcript]
            messages = sorted(messages + held, key=lambda m: m.timestamp)  # stable: ties keep their order
        return messages

    @property
    def typing_members(self) -> tuple[Member, ...]:
        """Agents and bots typing right now."""
        found = (self._members.get(m) or self._transient.get(m) for m in self._typing.member_ids)
        return tuple(m for m in found if m is not None)

    @property
    def read_only(self) -> bool:
        """True when sending is refused (the conversation was ended with read-only disconnect)."""
        return self._state is SessionState.READ_ONLY

    @property
    def new_session(self) -> bool | None:
        """From the last SessionResponse: a brand-new session (True) or a resumed one (False)."""
        return self.session_info.new_session if self.session_info is not None else None

    @property
    def max_custom_data_bytes(self) -> int:
        """The custom-attributes limit of this session."""
        info = self.session_info
        if info is not None and info.max_custom_data_bytes:
            return info.max_custom_data_bytes
        return DEFAULT_MAX_CUSTOM_DATA_BYTES

    @property
    def pending_sends(self) -> int:
        """Messages queued or sent without an echo yet."""
        return len(self._outbox) + len(self._inflight) + len(self._uncertain)

    # ----------------------------------------------------------------------------------------------------
    # Subscribing

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        """Call ``callback(event)`` for every event, in order; returns an unsubscribe function."""
        return self._events.subscribe(callback)

    def events(self) -> EventIterator:
        """A bounded async iterator over events from now on; ends when the session closes or ends."""
        return self._events.iterator(ended=self._closed or self._state is SessionState.ENDED)

    def _emit(self, event: SessionEvent) -> None:
        self._events.emit(event)

    async def wait_until(self, predicate: Callable[[MessagingSession], bool], timeout: float = 10.0) -> None:
        """Wait (event-driven) until ``predicate(session)`` is true; TimeoutError after ``timeout`` s."""
        await wait_until(self, predicate, timeout)

    # ----------------------------------------------------------------------------------------------------
    # Lifecycle

    async def start(self, *, start_new: bool = False, auth_code: str | None = None) -> None:
        """Connect and configure the session: resume this token's conversation (history shown once), or with
        ``start_new`` begin a fresh one. ``auth_code`` (a Genesys-issued JWT) makes it an authenticated
        session.

        Raises `AccessDenied` (unknown deployment or Origin refused at the upgrade), `ConnectionLost`,
        `CustomAttributesTooLarge`, or the typed error of a refused configure; the session is then IDLE again.
        """
        if self._state is not SessionState.IDLE or self._closed:
            raise SessionClosed(f"start() needs an idle session (state {self._state.value})")
        if (
            self._attributes_pending
            and custom_attributes_size(self._custom_attributes) > self.max_custom_data_bytes
        ):
            raise CustomAttributesTooLarge(f"{custom_attributes_size(self._custom_attributes)} bytes")
        self._set_state(SessionState.CONNECTING)
        self._start_new_next = start_new
        self._auth_code = Secret(auth_code) if auth_code is not None else None
        if auth_code is not None:
            register_secret(auth_code)
        client = self._client
        client.on_frame = self._on_frame
        client.on_open = self._on_open
        client.on_drop = self._on_drop
        client.on_lost = self._on_lost
        try:
            if self.fetch_config:
                self.config = await client.deployment_config()
            await client.open()
        except BaseException:
            self._set_state(SessionState.IDLE, "The conversation could not be started")
            raise
        self.started_at = datetime.now(UTC)
        self._sender = self._spawn(self._send_loop(), "webmessaging-sender")
        self._expiry_task = self._spawn(self._expiry_loop(), "webmessaging-expiry")

    def _spawn(self, coro: object, name: str) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro, name=name)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _configure(self, *, start_new: bool) -> SessionResponse:
        token = self._token.get()
        deployment_id = self._client.deployment_id
        request: ConfigureSession | ConfigureAuthenticatedSession
        if self._auth_code is not None:
            request = ConfigureAuthenticatedSession(
                token=token,
                deployment_id=deployment_id,
                start_new=start_new,
                data=AuthData(code=self._auth_code.get()),
                tracing_id=str(uuid.uuid4()),
            )
        else:
            request = ConfigureSession(
                token=token,
                deployment_id=deployment_id,
                start_new=start_new,
                tracing_id=str(uuid.uuid4()),
                journey_context={
                    "customer": {"id": token, "idType": "cookie"},
                    "customerSession": {"id": "", "type": "web"},
                },
            )
        frame = await self._client.request(request, _CONFIGURE)
        body = frame.body
        if isinstance(body, ConnectionClosedEvent):
            raise SessionLimitReached(body.why)
        assert isinstance(body, SessionResponse)
        if self._store.get(deployment_id) != token:
            self._store.put(deployment_id, token)
        self.session_info = body
        self._note_expiry(body.duration_seconds, body.expiration_date)
        return body

    async def _on_open(self, first: bool) -> None:
        """A websocket (re)opened: configure, then catch up with history when the session was resumed."""
        start_new = self._start_new_next
        self._start_new_next = False
        try:
            body = await self._configure(start_new=start_new)
        except MessagingError as exc:
            if exc.code == 4017:
                self._store.forget(self._client.deployment_id)
            if not first and not isinstance(exc, ConnectionLost | RequestTimeout):
                # The service refused the resume (a drop or a timeout just means: try again).
                self._end(EndCause.EXPIRED if exc.code == 4006 else EndCause.ERROR, str(exc))
            raise
        if first and self._attributes_pending:
            size = custom_attributes_size(self._custom_attributes)
            if size > self.max_custom_data_bytes:
                raise CustomAttributesTooLarge(f"{size} bytes, the limit is {self.max_custom_data_bytes}")
        resumed = body.new_session is False
        if first and not start_new and self._resuming_stored and body.new_session:
            self._emit(
                Notice(
                    "The previous conversation is no longer available (it expired, was cleared or was "
                    "replaced); a new one started.",
                    "warning",
                    "new-session",
                )
            )
        if not first and body.new_session:
            self._emit(
                Notice("The previous conversation had ended; a new one started.", "warning", "new-session")
            )
        if body.read_only:
            # the history first, then the words that it ended: they read in the order things happened
            await self._backfill()
            self._enter_read_only("This conversation has ended; you can read it but not reply.")
        else:
            if first or self._state is SessionState.RECONNECTING:
                self._set_state(
                    SessionState.CONNECTED if self._agent is not None else SessionState.WAITING_FOR_AGENT
                )
            if resumed:
                await self._backfill()
            else:
                self._requeue_uncertain(reconciled=())
        if not first:
            self._emit(Notice("Reconnected.", "info", "reconnected"))
        if body.new_session and not body.read_only and self._wants_autostart():
            self._queue_event(OutgoingEvent(event_type="Presence", presence=EventPresence(type="Join")))
        self._ready.set()

    def _wants_autostart(self) -> bool:
        if self.autostart is not None:
            return self.autostart
        config = self.config
        conversations = config.conversations if config is not None else None
        return bool(
            conversations is not None and conversations.auto_start and conversations.auto_start.enabled
        )

    async def _backfill(self) -> None:
        """Fetch the whole history and add what is missing; reconcile sends a drop left uncertain."""
        try:
            frame = await self._client.request(GetJwt(token=self._token.get()), frozenset({"JwtResponse"}))
            body = frame.body
            assert isinstance(body, JwtResponse)
            entries = await self._client.history(body.jwt)
        except MessagingError as exc:
            log.debug("history backfill failed: %s", exc)
            self._emit(Notice(f"Could not load the conversation history: {exc}", "warning", "history-failed"))
            self._requeue_uncertain(reconciled=())
            return
        added: list[ChatMessage] = []
        own: list[ChatMessage] = []
        for entry in entries:
            message = self._convert(entry)
            if message is None:
                continue
            if message.is_own:
                own.append(message)
            if message.id in self._transcript:
                continue
            self._note_sender(entry)
            if self._transcript.insert(message):
                added.append(message)
        self._requeue_uncertain(reconciled=own)
        if added:
            added.sort(key=lambda m: m.timestamp)
            self._emit(MessagesAdded(tuple(added)))

    def _requeue_uncertain(self, *, reconciled: tuple[ChatMessage, ...] | list[ChatMessage]) -> None:
        """Sends cut off by a drop: delivered if history holds them, else queued again (in order)."""
        uncertain, self._uncertain = self._uncertain, []
        claimed = self._delivered_ids
        resend: list[_Outgoing] = []
        for out in uncertain:
            if out.future.done():
                continue
            since = (out.written_at or datetime.now(UTC)) - timedelta(seconds=30)
            match = next(
                (
                    m
                    for m in reconciled
                    if m.id not in claimed and m.body == out.text and m.timestamp >= since
                ),
                None,
            )
            if match is not None:
                claimed.add(match.id)
                out.future.set_result(match)
            else:
                resend.append(out)
        for out in reversed(resend):
            self._outbox.appendleft(out)
        if resend:
            self._outbox_ready.set()

    def _on_drop(self) -> None:
        self._ready.clear()
        for tracing_id, out in list(self._inflight.items()):
            self._inflight.pop(tracing_id, None)
            self._uncertain.append(out)
            out.answered.set()
        if self._state in (SessionState.WAITING_FOR_AGENT, SessionState.CONNECTED):
            self._set_state(SessionState.RECONNECTING, "The connection dropped; reconnecting")

    def _on_lost(self, error: MessagingError) -> None:
        if self._state is not SessionState.ENDED:
            self._end(EndCause.ERROR, str(error))

    async def leave(self) -> None:
        """Close the session for every connection of this guest (closeSession); the session ends, and the
        stored token is forgotten: leaving is for good, so the next start is a new conversation, not an offer
        to resume this one."""
        if self._state is SessionState.ENDED:
            return
        if self._state is SessionState.IDLE:
            raise SessionClosed("the conversation has not been started")
        try:
            await self._client.request(
                CloseSession(
                    token=self._token.get(), close_all_connections=True, tracing_id=str(uuid.uuid4())
                ),
                _SESSION,
            )
        except MessagingError as exc:
            log.debug("closeSession failed: %s", exc)
        deployment_id = self._client.deployment_id
        if self._store.get(deployment_id) == self._token.get():
            self._store.forget(deployment_id)
        self._end(EndCause.GUEST_LEFT, "You left the conversation")
        await self.close()

    async def logout(self) -> None:
        """Sign an authenticated guest out (token revoke); the service answers with LogoutEvent and the
        session ends (cause ``logged_out``)."""
        if self._auth_code is None:
            raise SessionClosed("only an authenticated session can log out")
        await self._client.revoke(self._auth_code.get())
        await self.wait_until(lambda s: s.state is SessionState.ENDED, self._client.request_timeout)

    async def start_new(self) -> None:
        """Begin a fresh conversation with the same token (configureSession startNew); the transcript
        empties and a ``conversation-reset`` Notice tells the UI so."""
        if self._state not in (*ACTIVE_STATES, SessionState.READ_ONLY) or not self._client.connected:
            raise SessionClosed(f"cannot start a new conversation now (state {self._state.value})")
        self._ready.clear()
        body = await self._configure(start_new=True)
        self._reset_conversation()
        self._emit(Notice("A new conversation started.", "info", "conversation-reset"))
        self._end_reason = None
        self._end_cause = None
        if body.read_only:
            self._enter_read_only("This conversation has ended; you can read it but not reply.")
        else:
            self._set_state(SessionState.WAITING_FOR_AGENT)
            if self._wants_autostart():
                self._queue_event(OutgoingEvent(event_type="Presence", presence=EventPresence(type="Join")))
        self._ready.set()

    async def clear(self) -> None:
        """Clear the conversation (Presence Clear): the service wipes it and the session ends as CLEARED.
        Raises `Forbidden` when the deployment does not allow clearing."""
        if self._state not in (*ACTIVE_STATES, SessionState.READ_ONLY):
            raise SessionClosed(f"cannot clear now (state {self._state.value})")
        self._clearing = True
        tracing_id = str(uuid.uuid4())
        request = OnMessage(
            token=self._token.get(),
            tracing_id=tracing_id,
            message=OutgoingMessage(
                type="Event",
                events=[OutgoingEvent(event_type="Presence", presence=EventPresence(type="Clear"))],
            ),
        )
        cleared_key = f"cleared:{tracing_id}"
        cleared = self._client.expect(cleared_key, frozenset({"SessionClearedEvent"}), accepts_errors=False)
        try:
            # The request is answered (a 200 acknowledgement, or SessionClearedEvent itself, or 403), and
            # SessionClearedEvent follows.
            await self._client.request(request, frozenset({"SessionClearedEvent"}))
            if not cleared.done():
                await asyncio.wait_for(cleared, self._client.request_timeout)
        except TimeoutError:
            self._clearing = False
            raise RequestTimeout("the service did not confirm the clear") from None
        except BaseException:
            self._clearing = False
            raise
        finally:
            self._client.forget(cleared_key)
        self._cleared()

    def _cleared(self) -> None:
        if self._state is SessionState.ENDED:
            return
        self._reset_conversation()
        self._end(EndCause.CLEARED, "The conversation was cleared")
        self._spawn(self._client.stop_socket(), "webmessaging-stop")

    def _reset_conversation(self) -> None:
        self._transcript.clear()
        self._delivered_ids.clear()
        self._buffer.drain()
        self._agent = None
        self._typing.clear()
        self._attributes_pending = bool(self._custom_attributes)

    async def close(self) -> None:
        """Stop network activity without ending the conversation (idempotent); the token stays stored."""
        if self._closed:
            return
        self._closed = True
        self._flush()
        self._typing.clear()
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass
        await self._client.close()
        self._fail_sends(SessionClosed("the session was closed before the message was delivered"))
        self._events.end_iterators()

    def _fail_sends(self, error: MessagingError) -> None:
        for out in [*self._outbox, *self._inflight.values(), *self._uncertain]:
            if not out.future.done():
                out.future.set_exception(error)
                out.future.exception()  # retrieved: a caller that gave up must not log "never retrieved"
        self._outbox.clear()
        self._inflight.clear()
        self._uncertain.clear()

    # ----------------------------------------------------------------------------------------------------
    # Sending

    def _require_sendable(self) -> None:
        if self._state is SessionState.READ_ONLY:
            raise SessionReadOnly(self._end_reason)
        if self._state not in ACTIVE_STATES or self._closed:
            raise SessionClosed(f"state {self._state.value}")

    def set_custom_attributes(self, attributes: Mapping[str, str]) -> None:
        """Attributes to send with the next message; refused here when over the session's limit."""
        size = custom_attributes_size(attributes)
        if size > self.max_custom_data_bytes:
            raise CustomAttributesTooLarge(f"{size} bytes, the limit is {self.max_custom_data_bytes}")
        self._custom_attributes = dict(attributes)
        self._attributes_pending = True

    def _take_attributes(self) -> CustomAttributesChannel | None:
        if not self._attributes_pending:
            return None
        self._attributes_pending = False
        return CustomAttributesChannel(
            metadata=ChannelMetadata(custom_attributes=dict(self._custom_attributes))
        )

    def _enqueue(self, message: OutgoingMessage, text: str) -> asyncio.Future[ChatMessage]:
        if message.channel is None:
            message.channel = self._take_attributes()
        request = OnMessage(token=self._token.get(), tracing_id=str(uuid.uuid4()), message=message)
        future: asyncio.Future[ChatMessage] = asyncio.get_running_loop().create_future()
        self._outbox.append(_Outgoing(request, text, future))
        self._outbox_ready.set()
        return future

    def _queue_event(self, event: OutgoingEvent) -> None:
        future = self._enqueue(OutgoingMessage(type="Event", events=[event]), "")
        future.add_done_callback(lambda f: f.cancelled() or f.exception())

    async def send(self, text: str) -> ChatMessage:
        """Send a text message; returns it as the service echoed it (it appears in `messages` once).

        Queued and paced: a burst is delivered in order under the rate limit. Raises `SessionReadOnly`,
        `SessionClosed`, `MessageTooLong`, or another typed error the service answers with."""
        if not text or not text.strip():
            raise MessagingConfigError("the message is empty")
        self._require_sendable()
        return await self._enqueue(OutgoingMessage(type="Text", text=text), text)

    async def respond(self, choice: ContentChoice) -> ChatMessage:
        """Answer a quick reply, card button, date picker or list picker (a ButtonResponse)."""
        self._require_sendable()
        button = OutgoingButtonResponse(
            type=choice.kind,
            text=choice.text,
            payload=choice.payload,
            originating_message_id=choice.message_id,
        )
        message = OutgoingMessage(
            type="Text" if choice.kind == "DatePicker" else "Structured",
            text=choice.text,
            content=[OutgoingContent(content_type="ButtonResponse", button_response=button)],
        )
        return await self._enqueue(message, choice.text)

    async def _send_loop(self) -> None:
        while True:
            if not self._outbox:
                self._outbox_ready.clear()
                await self._outbox_ready.wait()
                continue
            await self._ready.wait()
            last = self._last_sent
            if last is not None and not last.answered.is_set():
                # One message at a time while answers come quickly: if the previous one is answered 4029 it
                # goes back to the head of the queue, ahead of this one (never reordered by a late answer).
                try:
                    await asyncio.wait_for(last.answered.wait(), self.answer_wait)
                except TimeoutError:
                    pass
            await self._pacer.slot()
            if not self._outbox or not self._ready.is_set():
                continue
            out = self._outbox[0]
            tracing_id = out.request.tracing_id or ""
            text = out.text
            echo = self._client.expect(tracing_id, _ECHO, lambda f, t=text: _is_echo_of(f, t))  # type: ignore[misc]
            try:
                await self._client.send(out.request)
            except ConnectionLost:
                self._client.forget(tracing_id)
                continue
            self._outbox.popleft()
            out.written_at = datetime.now(UTC)
            out.attempts += 1
            out.answered.clear()
            self._last_sent = out
            self._inflight[tracing_id] = out
            self._spawn(self._await_echo(out, echo), "webmessaging-echo")

    async def _await_echo(self, out: _Outgoing, echo: asyncio.Future[ServerFrame]) -> None:
        try:
            await self._settle(out, echo)
        finally:
            out.answered.set()

    async def _settle(self, out: _Outgoing, echo: asyncio.Future[ServerFrame]) -> None:
        tracing_id = out.request.tracing_id or ""
        try:
            frame = await asyncio.wait_for(echo, 60.0)
        except ConnectionLost:
            return  # `_on_drop` moved it to the uncertain list: reconciled after the reconnect
        except TimeoutError:
            self._client.forget(tracing_id)
            if self._inflight.pop(tracing_id, None) is not None and not out.future.done():
                out.future.set_exception(RequestTimeout("no echo of the message"))
            return
        if self._inflight.pop(tracing_id, None) is None:
            return
        error = frame_error(frame)
        if isinstance(error, RateLimited):
            self._pacer.back_off(error.retry_after)
            self._outbox.appendleft(out)
            self._outbox_ready.set()
            self._emit(Notice(str(error), "warning", "rate-limited", {"retryAfter": str(error.retry_after)}))
            return
        if error is not None:
            if not out.future.done():
                out.future.set_exception(error)
            if isinstance(error, SessionReadOnly):
                self._enter_read_only("This conversation has ended; you can read it but not reply.")
            return
        body = frame.body
        assert isinstance(body, StructuredMessage)
        message = self._convert(body)
        if not out.future.done():
            if message is not None:
                self._delivered_ids.add(message.id)
                out.future.set_result(message)
            elif out.request.message.type == "Event":
                out.future.cancel()  # an event (autostart) has nothing to show
            else:
                out.future.set_exception(UnexpectedServerError("the service echoed an empty message"))

    async def typing(self) -> bool:
        """Tell the agent the guest is typing: at most one signal per `typing_throttle` s, never delaying a
        message (skipped while sends are queued), and only when the deployment shows guest typing."""
        if self._state not in ACTIVE_STATES or not self._ready.is_set() or self._outbox:
            return False
        config = self.config
        if config is not None and not config.conversations.show_user_typing_indicator:
            return False
        now = time.monotonic()
        if now - self._last_typing_sent < self.typing_throttle:
            return False
        if not self._pacer.try_slot():
            return False
        self._last_typing_sent = now
        tracing_id = str(uuid.uuid4())
        request = OnMessage(
            token=self._token.get(),
            tracing_id=tracing_id,
            message=OutgoingMessage(
                type="Event", events=[OutgoingEvent(event_type="Typing", typing=EventTyping())]
            ),
        )
        # Claim any answer (the reply to typing is not documented), then stop waiting for it.
        answer = self._client.expect(tracing_id, frozenset())
        answer.add_done_callback(lambda f: f.cancelled() or f.exception())
        asyncio.get_running_loop().call_later(10.0, self._client.forget, tracing_id)
        try:
            await self._client.send(request)
        except ConnectionLost:
            self._client.forget(tracing_id)
            return False
        return True

    # ----------------------------------------------------------------------------------------------------
    # Attachments

    def check_attachment(self, filename: str, size: int, mime: str) -> None:
        """Refuse before upload what the session's rules refuse (protocol.md §8 step 1)."""
        info = self.session_info
        media = info.allowed_media.inbound if info is not None and info.allowed_media is not None else None
        if media is None or not media.file_types or not media.max_file_size_kb:
            raise FeatureUnavailable("this deployment does not accept attachments")
        lowered = filename.lower()
        for blocked in info.blocked_extensions if info is not None else []:
            if blocked and lowered.endswith(blocked.lower()):
                raise FileTypeInvalid(f"{blocked} files are blocked")
        if "." not in filename.strip("."):
            raise FileTypeInvalid("the file name needs an extension")
        if not any(_mime_matches(t.type, mime) for t in media.file_types):
            raise FileTypeInvalid(f"{mime} is not an allowed type")
        if size <= 0:
            raise FileSizeInvalid("the file is empty")
        if size // 1000 > media.max_file_size_kb:
            raise FileSizeInvalid(f"{size} bytes is over the limit of {int(media.max_file_size_kb)} KB")

    async def send_attachment(
        self,
        source: bytes | Path,
        *,
        filename: str | None = None,
        mime: str | None = None,
        text: str = "",
        progress: Callable[[int, int], None] | None = None,
    ) -> ChatMessage:
        """Upload a file and send it (with optional ``text``): checks, onAttachment, PUT with the given
        headers, wait for UploadSuccessEvent, then the message. Refusals raise typed errors before upload.
        ``progress(sent, total)`` is called as the file's bytes go out."""
        self._require_sendable()
        if isinstance(source, Path):
            filename = filename or source.name
        if not filename:
            raise MessagingConfigError("a file name is needed")
        mime = mime or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        # checked before a file is read: an oversize or blocked file is never loaded into memory
        self.check_attachment(
            filename, source.stat().st_size if isinstance(source, Path) else len(source), mime
        )
        data = source.read_bytes() if isinstance(source, Path) else source
        attachment_id = str(uuid.uuid4())

        def same_attachment(frame: ServerFrame) -> bool:
            return getattr(frame.body, "attachment_id", None) == attachment_id

        frame = await self._client.request(
            OnAttachment(
                token=self._token.get(),
                attachment_id=attachment_id,
                file_name=filename,
                file_type=mime,
                file_size=len(data),
                errors_as_json=True,
            ),
            frozenset({"PresignedUrlResponse", "GenerateUrlError"}),
            same_attachment,
        )
        presigned = frame.body
        assert isinstance(presigned, PresignedUrlResponse)
        attachment_id = presigned.attachment_id
        result_key = f"upload:{attachment_id}"
        result = self._client.expect(
            result_key,
            frozenset({"UploadSuccessEvent", "UploadFailureEvent"}),
            same_attachment,
            accepts_errors=False,
        )
        try:
            await self._client.put_upload(presigned.url, presigned.headers, data, mime, progress)
            outcome = await asyncio.wait_for(result, 120.0)
        except TimeoutError:
            raise RequestTimeout("the upload was not confirmed") from None
        finally:
            self._client.forget(result_key)
        error = frame_error(outcome)
        if error is not None:
            raise error
        message = OutgoingMessage(
            type="Text",
            text=text or None,
            content=[
                OutgoingContent(content_type="Attachment", attachment=OutgoingAttachment(id=attachment_id))
            ],
        )
        return await self._enqueue(message, text)

    async def download_attachment(self, attachment: Attachment | str, dest: Path) -> Path:
        """Save an attachment to ``dest`` (a file, or a directory to put it in under its own name made
        safe: never hidden, never outside ``dest``, never over an existing file; see `safe_files`), asking
        the service for a fresh URL first (getAttachment); returns the file written. The file is written as
        the body arrives, at most the client's response limit (`MessagingClient(max_response_bytes=...)`);
        a download that fails leaves no file behind (and an existing ``dest`` as it was)."""
        attachment_id = attachment if isinstance(attachment, str) else attachment.id
        url: str | None = None if isinstance(attachment, str) else attachment.url
        name = None if isinstance(attachment, str) else attachment.filename
        if attachment_id:
            frame = await self._client.request(
                GetAttachment(token=self._token.get(), attachment_id=attachment_id),
                frozenset({"PresignedUrlResponse"}),
                lambda f: getattr(f.body, "attachment_id", None) == attachment_id,
            )
            body = frame.body
            assert isinstance(body, PresignedUrlResponse)
            url = body.url
            name = name or body.file_name
        if not url:
            raise MessagingConfigError("the attachment has no id or URL")
        if dest.is_dir():
            with new_file(dest, name or attachment_id) as (path, out):
                await self._client.download(url, out)
            return path
        with replacing_file(dest) as out:
            await self._client.download(url, out)
        return dest

    # ----------------------------------------------------------------------------------------------------
    # Incoming frames

    def _convert(self, body: StructuredMessage, sender: Member | None = None) -> ChatMessage | None:
        self._fallback_seq += 1
        fallback = f"local-{self._fallback_seq}"
        message = to_chat_message(body, self._me, fallback_id=fallback, sender=sender)
        if message is not None or body.type != "Event":
            return message
        for event in body.events:
            if event.event_type == "Presence" and event.presence is not None:
                line = presence_line(body, event.presence.type, fallback_id=fallback)
                if line is not None:
                    return line
        return None

    def _note_sender(self, body: StructuredMessage) -> Member | None:
        """The participant behind an Outbound frame, recorded; a Human's message makes them the agent."""
        if body.is_inbound:
            return None
        who = body.channel.from_ if body.channel is not None else None
        key = (body.originating_entity, who.display_name if who else None, who.image if who else None)
        sender = self._senders.get(key)
        if sender is None:
            sender = self._senders[key] = sender_of(body, self._me)
        if body.type == "Event" and not body.originating_entity:
            # Events (typing) often carry no originatingEntity: match the name against who is known.
            name = sender.display_name
            known = next(
                (m for m in self._members.values() if m.display_name == name and not m.is_self), None
            )
            if known is not None:
                return known
            self._transient[sender.id] = sender  # shown as typing, not listed as a participant
            return sender
        known = self._members.get(sender.id)
        if known is None or known.state == MemberState.DISCONNECTED:
            self._members[sender.id] = sender
            self._emit(MemberChanged(sender, None if known is None else known.state))
        if sender.role == MemberRole.AGENT and body.type != "Event":
            previous = self._agent
            if previous is None or previous.id != sender.id:
                self._agent = sender
                # The protocol sends no leave events: the agent a new one took over from, and the bot that
                # handed over, are no longer in the conversation (they are listed again if they write).
                for member in list(self._members.values()):
                    if member.id != sender.id and member.role in (MemberRole.AGENT, MemberRole.BOT):
                        self._member_left(member)
                if self._state is SessionState.WAITING_FOR_AGENT:
                    self._set_state(SessionState.CONNECTED, agent=sender)
                elif previous is not None and self._state is SessionState.CONNECTED:
                    self._emit(Notice(f"{sender.display_name} joined the conversation.", "info", "transfer"))
        return sender

    def _member_left(self, member: Member) -> None:
        current = self._members.get(member.id)
        if current is None or current.state == MemberState.DISCONNECTED:
            return
        left = replace(current, state=MemberState.DISCONNECTED, leave_date=datetime.now(UTC))
        self._members[member.id] = left
        self._emit(MemberChanged(left, current.state))

    def _on_frame(self, frame: ServerFrame) -> None:
        body = frame.body
        if isinstance(body, StructuredMessage):
            self._on_structured(frame, body)
        elif isinstance(body, SessionExpiredEvent):
            self._end(EndCause.EXPIRED, "Your messaging session has expired")
        elif isinstance(body, SessionClearedEvent):
            self._cleared()
        elif isinstance(body, ConnectionClosedEvent):
            if self._clearing or self._state is SessionState.ENDED:
                return
            if body.why == "signedIn":
                self._end(EndCause.SIGNED_IN_ELSEWHERE, "You signed in on another device")
            else:
                self._end(
                    EndCause.CLOSED_ELSEWHERE, "This conversation was closed from another window or device"
                )
            self._spawn(self._client.stop_socket(), "webmessaging-stop")
        elif isinstance(body, LogoutEvent):
            self._end(EndCause.LOGGED_OUT, "You were logged out")
            self._spawn(self._client.stop_socket(), "webmessaging-stop")
        elif isinstance(body, ErrorText) or frame.is_error:
            error = frame_error(frame)
            if error is None:
                return
            if error.code == 4006:
                self._end(EndCause.EXPIRED, str(error))
            elif error.code == 4007:
                self._end(EndCause.ERROR, str(error))
            else:
                self._emit(Notice(str(error), "error", "service-error", {"code": str(error.code)}))

    def _on_structured(self, frame: ServerFrame, body: StructuredMessage) -> None:
        if frame.type == "response" and body.is_inbound and body.text == "ping" and body.type == "Text":
            metadata = body.metadata
            self._note_expiry(_float(metadata.get("durationSeconds")), _float(metadata.get("expirationDate")))
            return
        self._touched = True  # the expiry estimate moves on at the next flush (once per batch, not per frame)
        if body.type == "Event":
            self._on_events(body)
        sender = self._note_sender(body)
        message = self._convert(body, sender if sender is not None else self._me)
        if message is None:
            return
        if sender is not None and self._stop_typing(sender):
            self._emit_typing()
        if message.id in self._transcript or self._state is SessionState.ENDED:
            return
        if self._buffer.add(message) and self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_later(self.reorder_window, self._flush)

    def _on_events(self, body: StructuredMessage) -> None:
        for event in body.events:
            if event.event_type == "Typing" and not body.is_inbound:
                sender = self._note_sender(body)
                if sender is not None:
                    if event.typing is not None and event.typing.duration:
                        self._typing.expiry = event.typing.duration / 1000
                    if self._typing.start(sender.id):
                        self._emit_typing()
            elif event.event_type == "Presence" and event.presence is not None:
                kind = event.presence.type
                if kind == "Disconnect" and not body.is_inbound:
                    # the event names nobody: "the agent" only when one was connected (not the bot)
                    ended = (
                        "The agent ended the conversation" if self._agent else "The conversation was ended"
                    )
                    self._agent = None
                    if self._typing.clear():
                        self._emit_typing()
                    if body.metadata.get("readOnly") == "true":
                        self._enter_read_only(f"{ended}; you can read it but not reply.")
                    elif self._state is SessionState.CONNECTED:
                        self._set_state(SessionState.WAITING_FOR_AGENT, ended)
                elif kind == "SessionExpired":
                    self._end(EndCause.EXPIRED, "Your messaging session has expired")

    def _flush(self) -> None:
        if self._touched:
            self._touched = False
            self._touch()
        handle = self._flush_handle
        self._flush_handle = None
        if handle is not None:
            handle.cancel()
        added = [m for m in self._buffer.drain() if self._transcript.insert(m)]
        if added:
            self._emit(MessagesAdded(tuple(added)))

    # ----------------------------------------------------------------------------------------------------
    # Expiry

    def _note_expiry(self, duration: float | None, expiration: float | None) -> None:
        if duration:
            self._duration = duration
        if expiration:
            self.expires_at = datetime.fromtimestamp(expiration, UTC)

    def _touch(self) -> None:
        duration = self._duration
        if duration:
            self.expires_at = datetime.now(UTC) + timedelta(seconds=duration)

    async def _expiry_loop(self) -> None:
        """As the vendor's client does: after the expected expiry, ask (echo) whether the session lives."""
        while self._state is not SessionState.ENDED:
            expires = self.expires_at
            if expires is None:
                await asyncio.sleep(5.0)
                continue
            wait = (expires - datetime.now(UTC)).total_seconds() + 2.0
            if wait > 0:
                await asyncio.sleep(min(wait, 30.0))
                continue
            await self._ready.wait()
            try:
                frame = await self._client.request(
                    Echo(token=self._token.get()), frozenset({"StructuredMessage", "SessionExpiredEvent"})
                )
            except MessagingError as exc:
                if exc.code in (4006, 4007):
                    self._end(EndCause.EXPIRED, str(exc))
                    return
                await asyncio.sleep(5.0)
                continue
            if isinstance(frame.body, SessionExpiredEvent):
                self._end(EndCause.EXPIRED, "Your messaging session has expired")
                return
            if isinstance(frame.body, StructuredMessage):
                metadata = frame.body.metadata
                self._note_expiry(
                    _float(metadata.get("durationSeconds")), _float(metadata.get("expirationDate"))
                )
            if self.expires_at is not None and self.expires_at <= datetime.now(UTC):
                self.expires_at = None  # the service answered but gave no new expiry: stop polling

    # ----------------------------------------------------------------------------------------------------
    # State

    def _stop_typing(self, sender: Member) -> bool:
        """``sender``'s message ends their typing indicator; True when one ended. A typing event carries no
        originatingEntity, so a bot's typing before its first message was noted under a look-alike id with the
        same name: that one ends too."""
        stopped = self._typing.stop(sender.id)
        for member_id in self._typing.member_ids:
            twin = self._transient.get(member_id)
            if twin is not None and twin.display_name == sender.display_name:
                stopped |= self._typing.stop(member_id)
        return stopped

    def _emit_typing(self) -> None:
        current = self.typing_members
        if current != self._last_typing:
            self._last_typing = current
            self._emit(TypingChanged(current))

    def _set_state(
        self,
        state: SessionState,
        reason: str | None = None,
        agent: Member | None = None,
        cause: EndCause | None = None,
    ) -> None:
        previous = self._state
        if previous is state:
            return
        self._state = state
        self._emit(StateChanged(state, previous, reason, agent, cause))

    def _enter_read_only(self, reason: str) -> None:
        if self._state in FINISHED_STATES:
            return
        self._end_reason = reason
        self._end_cause = EndCause.AGENT_ENDED
        self._flush()
        self._fail_sends(SessionReadOnly(reason))
        self._set_state(SessionState.READ_ONLY, reason, cause=EndCause.AGENT_ENDED)

    def _end(self, cause: EndCause, reason: str) -> None:
        if self._state is SessionState.ENDED:
            return
        self._flush()
        self._end_reason = reason
        self._end_cause = cause
        if self._typing.clear():
            self._emit_typing()
        self._ready.clear()
        self._fail_sends(SessionClosed(reason))
        self._set_state(SessionState.ENDED, reason, cause=cause)
        self._events.end_iterators()
        if not self._closed and self._client.connected:
            self._spawn(
                self._client.stop_socket(), "webmessaging-stop"
            )  # an ended session does not reconnect


def _is_echo_of(frame: ServerFrame, text: str) -> bool:
    """The Inbound echo of a message with ``text`` (used only when the service sends no tracingId)."""
    body = frame.body
    return isinstance(body, StructuredMessage) and body.is_inbound and (body.text or "") == text


def _mime_matches(pattern: str, mime: str) -> bool:
    pattern = pattern.strip().lower()
    mime = mime.strip().lower()
    if pattern in ("*/*", "*"):
        return True
    if pattern.endswith("/*"):
        return mime.startswith(pattern[:-1])
    return pattern == mime


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
