"""Fan-out of `SessionEvent`s to consumers: callbacks (called in order, on the loop; one that raises is logged
and skipped, never kills the session) and bounded async iterators that end when the session does."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from webchat_tui.api._redact import get_logger
from webchat_tui.api.session_types import MessagesAdded, SessionEvent, TypingChanged

__all__ = ["EventCallback", "EventHub", "EventIterator", "EventQueue"]

log = get_logger("webchat_tui.api.session")

EventCallback = Callable[[SessionEvent], None]

_END = object()


class EventQueue:
    """A bounded per-iterator queue. When full, consecutive MessagesAdded merge and TypingChanged keeps only
    the latest, so memory stays bounded by the number of distinct events, not by messages."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.items: deque[object] = deque()
        self.waiter: asyncio.Future[None] | None = None

    def put(self, item: object) -> None:
        """Queue ``item`` (merging into the last one when full) and wake the reader."""
        items = self.items
        if len(items) >= self.maxsize and items:
            last = items[-1]
            if isinstance(item, MessagesAdded) and isinstance(last, MessagesAdded):
                items[-1] = MessagesAdded(last.messages + item.messages)
                return
            if isinstance(item, TypingChanged) and isinstance(last, TypingChanged):
                items[-1] = item
                return
        items.append(item)
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> object:
        """The next item, waiting for one."""
        while not self.items:
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.items.popleft()


class EventIterator:
    """Async iterator over session events; ends when the session closes.

    Also usable like an `asyncio.Queue` by a consumer that drains in batches (`get`, `get_nowait`, `empty`);
    after the end, `get` waits forever and `get_nowait` finds nothing.
    """

    def __init__(self, hub: EventHub, queue: EventQueue) -> None:
        self._hub = hub
        self._queue = queue
        self._ended = False

    def __aiter__(self) -> EventIterator:
        return self

    async def __anext__(self) -> SessionEvent:
        item = await self._queue.get()
        if item is _END:
            self._hub.detach(self._queue)
            raise StopAsyncIteration
        return item  # type: ignore[return-value]

    async def aclose(self) -> None:
        """Stop receiving events."""
        self.close()

    def close(self) -> None:
        """Stop receiving events (sync)."""
        self._hub.detach(self._queue)

    def empty(self) -> bool:
        """True when no event is waiting."""
        items = self._queue.items
        return not items or items[0] is _END

    def get_nowait(self) -> SessionEvent:
        """The next waiting event; `asyncio.QueueEmpty` when none is."""
        if self.empty():
            raise asyncio.QueueEmpty
        return self._queue.items.popleft()  # type: ignore[return-value]

    async def get(self) -> SessionEvent:
        """The next event, waiting for one (forever once the session has ended)."""
        if not self._ended:
            item = await self._queue.get()
            if item is not _END:
                return item  # type: ignore[return-value]
            self._ended = True
            self._hub.detach(self._queue)
        await asyncio.Future()  # nothing will ever come
        raise AssertionError("unreachable")


class EventHub:
    """Subscribers and iterators of one session; `emit` reaches all of them in order."""

    def __init__(self, queue_size: int) -> None:
        self._queue_size = queue_size
        self._subscribers: list[EventCallback] = []
        self._queues: set[EventQueue] = set()

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        """Add ``callback``; returns a function that removes it."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def iterator(self, *, ended: bool) -> EventIterator:
        """A new iterator; one that ends at once when ``ended``."""
        queue = EventQueue(self._queue_size)
        if ended:
            queue.put(_END)
        else:
            self._queues.add(queue)
        return EventIterator(self, queue)

    def detach(self, queue: EventQueue) -> None:
        """Forget an iterator's queue."""
        self._queues.discard(queue)

    def emit(self, event: SessionEvent) -> None:
        """Deliver ``event`` to every callback and iterator."""
        for callback in tuple(self._subscribers):
            try:
                callback(event)
            except Exception:
                log.exception("a session event callback failed")
        for queue in self._queues:
            queue.put(event)

    def end_iterators(self) -> None:
        """Make every iterator stop after the events already queued."""
        for queue in tuple(self._queues):
            queue.put(_END)
