"""`EventStream`: the conversation's websocket, kept alive and made lossless with REST backfill.

- Connects to ``eventStreamUri`` verbatim (permessage-deflate off), with protocol pings and a watchdog that
  reconnects when no frame (heartbeats included) arrives for `StreamOptions.heartbeat_timeout`.
- Reconnects with full-jitter exponential backoff, capped; the backoff only resets after a connection
  stayed up for `StreamOptions.stable_after` seconds, so a socket that dies right after opening is not
  redialled in a tight loop. Stops on handshake 401/403 (`StreamAuthError`), other 4xx, the guest's own
  DISCONNECTED, or `close()`.
- One reader task parses frames into a bounded deque; typing indicators are dropped first when it is full,
  and any other overflow switches to "drop and resync": nothing is buffered without bound, nothing is lost.
- After every (re)connect and after an overflow the consumer side re-reads REST: ``GET messages?after=<last
  delivered id>`` to the end plus all member pages, then continues with the buffered frames. Message ids are
  deduplicated, so `next_batch()` yields every chat message exactly once, in conversation order.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, cast

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from webchat_tui.api._redact import get_logger
from webchat_tui.api._retry import parse_retry_after
from webchat_tui.api.errors import (
    NetworkError,
    RateLimitError,
    ServerError,
    StreamAuthError,
    StreamClosedError,
    StreamError,
    WebChatError,
)
from webchat_tui.api.events import (
    MemberChangeEvent,
    MessageEvent,
    SocketClosingEvent,
    TypingEvent,
    UnknownEvent,
    parse_frame,
)
from webchat_tui.api.models import WebChatMemberInfo
from webchat_tui.api.paging import CursorPage, PageLimits

__all__ = [
    "EventStream",
    "StreamOptions",
    "StreamStatus",
    "MembersSnapshot",
    "StreamItem",
    "ReconnectPolicy",
    "BackfillClient",
]

log = get_logger("webchat_tui.api.stream")
ws_log = get_logger("webchat_tui.api.ws")


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """Tuning knobs for `EventStream` (defaults suit a real region; tests shrink the delays)."""

    queue_size: int = 20_000
    """Frames buffered between the socket reader and the consumer before overflow handling starts."""
    open_timeout: float = 10.0
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    heartbeat_timeout: float | None = 75.0
    """Reconnect when no frame at all arrived for this long (2.5x the ~30 s heartbeat)."""
    reconnect_base: float = 0.5
    reconnect_max: float = 30.0
    stable_after: float = 10.0
    """A connection must stay up this long before the reconnect backoff resets."""
    start_attempts: int = 5
    """Failed connection attempts tolerated before `start()` gives up."""
    max_size: int = 2**20
    page_size: int = 100
    backfill_limits: PageLimits = field(default_factory=PageLimits)
    """Bounds of one backfill (pages, wall time); beyond them the stream fails with `PagingError`."""


class BackfillClient(Protocol):
    """What `EventStream` needs from a client for its REST backfill (`WebChatClient` is one)."""

    def iter_message_event_pages(
        self,
        conversation_id: str,
        *,
        after: str | None = None,
        jwt: str | None = None,
        page_size: int = 100,
        limits: PageLimits | None = None,
    ) -> AsyncIterator[CursorPage[MessageEvent]]:
        """The pages of messages after ``after``, ascending, bounded."""
        ...

    async def list_all_members(
        self, conversation_id: str, *, exclude_disconnected_members: bool = False, jwt: str | None = None
    ) -> list[WebChatMemberInfo]:
        """Every member of the conversation."""
        ...


class _NoRedirects(connect):
    """`websockets` connect that never follows a redirect: a 3xx handshake answer is an error, so the stream
    (and the token in its URI) never goes to another origin."""

    def process_redirect(self, exc: Exception) -> Exception | str:
        return exc


@dataclass(frozen=True, slots=True)
class StreamStatus:
    """A change in the stream itself, delivered in order with the events.

    `status`: ``connected`` (first connection, after the initial backfill), ``reconnecting`` (the socket
    dropped), ``reconnected`` (back, after the backfill), ``resynced`` (after an overflow), ``closed``,
    ``failed`` (fatal; `error` says why).
    """

    status: str
    detail: str = ""
    error: WebChatError | None = None
    backfilled: int = 0
    kind: Literal["status"] = "status"


@dataclass(frozen=True, slots=True)
class MembersSnapshot:
    """All members as REST reported them during a backfill (full details; last-writer-wins with frames)."""

    members: tuple[WebChatMemberInfo, ...]
    kind: Literal["members"] = "members"


@dataclass(frozen=True, slots=True)
class _Resync:
    reason: str  # connect | reconnect | overflow
    kind: Literal["_resync"] = "_resync"


StreamItem = (
    MessageEvent
    | TypingEvent
    | MemberChangeEvent
    | SocketClosingEvent
    | UnknownEvent
    | StreamStatus
    | MembersSnapshot
)
_QueueItem = StreamItem | _Resync


@dataclass(slots=True)
class ReconnectPolicy:
    """Full-jitter backoff that resets only after a stable connection."""

    base: float
    cap: float
    stable_after: float
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def connection_ended(self, uptime: float) -> None:
        """Account for a connection that stayed up ``uptime`` seconds."""
        if uptime >= self.stable_after:
            self.attempt = 0

    def next_delay(self) -> float:
        """The wait before the next attempt (and count the attempt)."""
        ceiling = min(self.cap, self.base * (2 ** min(self.attempt, 30)))
        self.attempt += 1
        # Full jitter, but never less than a tenth of the ceiling: a dead endpoint is never hammered.
        return self.rng.uniform(ceiling * 0.1, ceiling)


class EventStream:
    """The event stream of one guest conversation.

    ``client`` is the `BackfillClient` (a `WebChatClient`) used for REST backfill (it must know the
    conversation's JWT);
    ``member_id`` is the guest's own member id (its DISCONNECTED ends the stream).
    Call `start()`, then `next_batch()` repeatedly; an empty list means the stream is closed for good.
    """

    def __init__(
        self,
        client: BackfillClient,
        conversation_id: str,
        event_stream_uri: str,
        *,
        member_id: str | None = None,
        options: StreamOptions | None = None,
        jwt: str | None = None,
        seed: int | None = None,
    ) -> None:
        self._client = client
        self._conversation_id = conversation_id
        self._uri = event_stream_uri
        self._member_id = member_id
        self._jwt = jwt
        self.options = options or StreamOptions()
        self._queue: deque[_QueueItem] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._overflow = False
        self._seen: set[str] = set()
        self._last_id: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._opened: asyncio.Future[None] | None = None
        self._ws: ClientConnection | None = None
        self._stopping = False
        self._ended = False
        self._finished = False
        self._rx = 0
        self._policy = ReconnectPolicy(
            self.options.reconnect_base,
            self.options.reconnect_max,
            self.options.stable_after,
            rng=random.Random(seed),
        )
        self.connects = 0
        """How many times a connection was opened (1 + reconnects)."""
        self.resyncs = 0
        self.overflows = 0
        self.duplicates = 0
        """Message frames dropped as already delivered (duplicated frames, overlap with a backfill)."""
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def __repr__(self) -> str:
        return f"EventStream(conversation_id={self._conversation_id!r}, connects={self.connects})"

    @property
    def last_message_id(self) -> str | None:
        """Id of the last message delivered by `next_batch()`."""
        return self._last_id

    @property
    def closed(self) -> bool:
        """True once the reader has stopped for good."""
        return self._finished

    def mark_ended(self) -> None:
        """The chat is over: do not reconnect when the socket closes."""
        self._ended = True

    # ----------------------------------------------------------------------------------------------------
    # Reader side

    async def start(self) -> None:
        """Open the first connection (retrying transient failures); raise if it cannot be opened."""
        if self._task is not None:
            return
        loop = asyncio.get_running_loop()
        self._opened = loop.create_future()
        self._task = asyncio.create_task(self._run(), name=f"event-stream-{self._conversation_id[:8]}")
        done, _ = await asyncio.wait({self._opened, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if self._opened.done():
            self._opened.result()  # raises the start failure, if any
            return
        # The task ended without opening (should have set the future); surface whatever happened.
        self._task.result()
        raise StreamClosedError("the event stream closed before it opened")

    def _push(self, item: _QueueItem) -> None:
        queue = self._queue
        kind = item.kind
        if kind in ("message", "member-change", "typing", "unknown", "socket-closing"):
            if self._overflow:
                return  # dropped; the consumer resyncs from REST once it has caught up
            if len(queue) >= self.options.queue_size:
                if kind == "typing":
                    return
                self._overflow = True
                self.overflows += 1
                log.warning("event queue full (%d); switching to resync", len(queue))
                return
        queue.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail_start(self, error: WebChatError) -> bool:
        """Report ``error`` to `start()` if it is still waiting; True when it was."""
        if self._opened is not None and not self._opened.done():
            self._opened.set_exception(error)
            return True
        return False

    async def _run(self) -> None:
        failures_before_open = 0
        try:
            while not self._stopping and not self._ended:
                try:
                    ws = await _NoRedirects(
                        self._uri,
                        compression=None,
                        open_timeout=self.options.open_timeout,
                        ping_interval=self.options.ping_interval,
                        ping_timeout=self.options.ping_timeout,
                        max_size=self.options.max_size,
                        logger=ws_log,
                        user_agent_header="webchat-tui",
                    )
                except InvalidStatus as exc:
                    status = exc.response.status_code
                    if 300 <= status < 400:
                        await self._fatal(
                            StreamError(
                                f"the event stream answered with a redirect (HTTP {status}), which is not "
                                "followed"
                            )
                        )
                        return
                    if status in (401, 403, 404):  # 404: the service no longer knows this chat
                        await self._fatal(
                            StreamAuthError(
                                f"the event stream refused our credentials (HTTP {status})", status=status
                            )
                        )
                        return
                    if status != 429 and status < 500:
                        await self._fatal(
                            StreamError(f"the event stream refused the connection (HTTP {status})")
                        )
                        return
                    retry_after = parse_retry_after(exc.response.headers.get("Retry-After"))
                    failures_before_open += 1
                    if not await self._before_retry(failures_before_open, f"HTTP {status}", retry_after):
                        return
                    continue
                except InvalidURI:
                    await self._fatal(StreamError("the event stream URI is not a valid websocket URI"))
                    return
                except (OSError, TimeoutError, InvalidHandshake) as exc:
                    failures_before_open += 1
                    if not await self._before_retry(failures_before_open, type(exc).__name__, None):
                        return
                    continue
                failures_before_open = 0
                await self._serve(ws)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must not leave the consumer waiting forever
            log.exception("event stream reader crashed")
            await self._fatal(StreamError(f"the event stream failed: {type(exc).__name__}"))
            return
        finally:
            self._finished = True
        if not self._fail_start(StreamClosedError("the event stream closed before it opened")):
            self._push(StreamStatus("closed", "the chat ended" if self._ended else "closed"))

    async def _before_retry(self, failures: int, why: str, retry_after: float | None) -> bool:
        """Wait before the next connection attempt; False when `start()` should give up instead."""
        if self.connects == 0 and failures >= self.options.start_attempts:
            await self._fatal(
                NetworkError(f"could not open the event stream after {failures} attempts ({why})")
            )
            return False
        delay = self._policy.next_delay()
        if retry_after is not None:
            delay = max(delay, min(retry_after, 60.0))
        log.debug("event stream connect failed (%s); retrying in %.2f s", why, delay)
        await self.sleep(delay)
        return not self._stopping

    async def _fatal(self, error: WebChatError) -> None:
        log.warning("event stream stopped: %s", error)
        self._ended = True
        if not self._fail_start(error):
            self._push(StreamStatus("failed", str(error), error=error))

    async def _serve(self, ws: ClientConnection) -> None:
        loop = asyncio.get_running_loop()
        self._ws = ws
        reconnect = self.connects > 0
        self.connects += 1
        opened_at = loop.time()
        # Frames of this connection are queued after the marker; the consumer backfills at the marker.
        self._push(_Resync("reconnect" if reconnect else "connect"))
        if self._opened is not None and not self._opened.done():
            self._opened.set_result(None)
        watchdog = asyncio.create_task(self._watchdog(ws)) if self.options.heartbeat_timeout else None
        close_code: int | None = None
        own_id = self._member_id
        push = self._push
        parse = parse_frame
        try:
            async for raw in ws:
                self._rx += 1
                event = parse(raw)
                kind = event.kind
                if kind == "message" or kind == "typing":
                    push(cast(StreamItem, event))
                elif kind == "heartbeat" or kind == "pong":
                    continue
                elif kind == "member-change":
                    assert isinstance(event, MemberChangeEvent)
                    if event.member_id == own_id and event.state == "DISCONNECTED":
                        self._ended = True
                    push(event)
                else:
                    if kind == "unknown":
                        log.debug(
                            "unknown frame on the event stream (topic %s)", getattr(event, "topic", None)
                        )
                    push(cast(StreamItem, event))
        except ConnectionClosed as exc:
            close_code = exc.rcvd.code if exc.rcvd is not None else None
        finally:
            if watchdog is not None:
                watchdog.cancel()
            self._ws = None
            if ws.close_code is not None and close_code is None:
                close_code = ws.close_code
            await ws.close()
        self._policy.connection_ended(loop.time() - opened_at)
        if self._stopping or self._ended:
            return
        log.info("event stream dropped (close code %s); reconnecting", close_code)
        self._push(StreamStatus("reconnecting", f"close code {close_code}"))
        await self.sleep(self._policy.next_delay())

    async def _watchdog(self, ws: ClientConnection) -> None:
        timeout = self.options.heartbeat_timeout
        assert timeout is not None
        seen = -1
        while True:
            await asyncio.sleep(timeout)
            if self._rx == seen:
                log.info("no frame for %.1f s; dropping the event stream connection", timeout)
                self.drop_connection()
                return
            seen = self._rx

    def drop_connection(self) -> bool:
        """Abort the current socket as a network failure would (the stream then reconnects and backfills).

        Used by the heartbeat watchdog; also handy to exercise recovery. False when no socket is open.
        """
        ws = self._ws
        if ws is None:
            return False
        ws.transport.abort()
        return True

    async def close(self) -> None:
        """Stop the reader and close the socket (idempotent). `next_batch()` then drains and returns []."""
        self._stopping = True
        ws = self._ws
        if ws is not None:
            try:
                await asyncio.wait_for(ws.close(), timeout=2.0)
            except (TimeoutError, OSError, ConnectionClosed):
                pass
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._finished = True
        if self._opened is not None and not self._opened.done():
            self._opened.set_exception(StreamClosedError("the event stream was closed"))
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # ----------------------------------------------------------------------------------------------------
    # Consumer side

    async def next_batch(self, max_items: int = 5000) -> list[StreamItem]:
        """Wait for and return the next items, in order, messages deduplicated; [] once closed for good."""
        queue = self._queue
        while True:
            if not queue:
                if self._overflow:
                    self._overflow = False
                    items = await self._resync("overflow")
                    if items:
                        return items
                    continue
                if self._finished or self._stopping:
                    return []
                self._waiter = asyncio.get_running_loop().create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None
                continue
            out: list[StreamItem] = []
            seen = self._seen
            popleft = queue.popleft
            while queue and len(out) < max_items:
                item = popleft()
                kind = item.kind
                if kind == "message":
                    assert isinstance(item, MessageEvent)
                    message_id = item.id
                    if message_id in seen:
                        self.duplicates += 1
                        continue
                    seen.add(message_id)
                    self._last_id = message_id
                    out.append(item)
                elif kind == "_resync":
                    assert isinstance(item, _Resync)
                    out.extend(await self._resync(item.reason))
                else:
                    assert not isinstance(item, _Resync)
                    out.append(item)
            if out:
                return out

    async def backfill(self) -> list[MessageEvent]:
        """Read (REST) the messages after the last delivered one, mark them delivered and return them.

        Used once more after the chat ended, so that lines stored after the last frame are not missed."""
        out: list[StreamItem] = []
        await self._backfill_messages(out)
        return [item for item in out if isinstance(item, MessageEvent)]

    async def _resync(self, reason: str) -> list[StreamItem]:
        """Backfill messages after the last delivered id and read all members; retried until it works."""
        out: list[StreamItem] = []
        attempt = 0
        while True:
            try:
                count = await self._backfill_messages(out)
                members = await self._client.list_all_members(self._conversation_id, jwt=self._jwt)
                break
            except (NetworkError, ServerError, RateLimitError) as exc:
                if self._stopping:
                    return out
                attempt += 1
                delay = min(self.options.reconnect_max, self.options.reconnect_base * 2 ** min(attempt, 10))
                log.warning("backfill failed (%s); retrying in %.2f s", type(exc).__name__, delay)
                await self.sleep(delay)
            except WebChatError as exc:  # refused, or paging the server's answers cannot be followed
                log.warning("backfill failed for good: %s", exc)
                out.append(StreamStatus("failed", str(exc), error=exc))
                return out
        self.resyncs += 1
        out.append(MembersSnapshot(tuple(members)))
        status = {"connect": "connected", "reconnect": "reconnected", "overflow": "resynced"}[reason]
        out.append(StreamStatus(status, reason, backfilled=count))
        log.debug("resync (%s): %d message(s) backfilled", reason, count)
        return out

    async def _backfill_messages(self, out: list[StreamItem]) -> int:
        seen = self._seen
        count = 0
        # Collect first, commit after: a failure half-way must not advance the cursor past a gap.
        fetched: list[MessageEvent] = []
        pages = self._client.iter_message_event_pages(
            self._conversation_id,
            after=self._last_id,
            jwt=self._jwt,
            page_size=self.options.page_size,
            limits=self.options.backfill_limits,
        )
        async for page in pages:
            fetched.extend(page.items)
        for event in fetched:
            if event.id in seen:
                continue
            seen.add(event.id)
            self._last_id = event.id
            out.append(event)
            count += 1
        return count
