"""`Session`: the one interface the TUI, scripted scenarios and swarms drive, whatever the protocol.

`webchat_tui.api.ChatSession` (Web Chat v2) and `webchat_tui.messaging.MessagingSession` (Web Messaging) both
satisfy it structurally. Only `start()` differs between them: where to connect and who the guest is are
protocol facts, so its arguments are the implementation's own; everything after `start()` is shared.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

from webchat_tui.chat.types import ChatMessage, ContentChoice, Member, SessionEvent, SessionState

__all__ = ["Session", "RichReplies", "EventCallback"]

EventCallback = Callable[[SessionEvent], None]
"""A subscriber: called on the event loop, in order, for every event."""


@runtime_checkable
class Session(Protocol):
    """A guest's chat session, protocol-neutral.

    Lifecycle: ``start()`` (protocol-specific arguments) -> ``send()``/``typing()`` while active ->
    ``leave()`` (end the conversation for everyone) or ``close()`` (stop this client, keep the conversation).
    State and content are read from the properties; changes arrive as `SessionEvent`s through
    `subscribe()` (callbacks) or `events()` (a bounded async iterator that ends with the session).
    """

    @property
    def state(self) -> SessionState:
        """Where the chat is in its life."""
        ...

    @property
    def end_reason(self) -> str | None:
        """Plain-words reason once ENDED (or READ_ONLY)."""
        ...

    @property
    def me(self) -> Member | None:
        """The guest as a participant, once started."""
        ...

    @property
    def agent(self) -> Member | None:
        """The agent currently serving the guest, if any."""
        ...

    @property
    def members(self) -> list[Member]:
        """Every participant seen so far (guest, agents, bots)."""
        ...

    @property
    def messages(self) -> list[ChatMessage]:
        """Every message so far, in conversation order, each once."""
        ...

    @property
    def typing_members(self) -> tuple[Member, ...]:
        """The other participants typing right now."""
        ...

    def start(self, *args: Any, **kwargs: Any) -> Any:
        """Connect and begin (or resume) the conversation; awaitable. Arguments are protocol-specific."""
        ...

    async def send(self, text: str) -> ChatMessage:
        """Send a text message; returns it as stored."""
        ...

    async def typing(self) -> bool:
        """Tell the others the guest is typing (throttled by the session); True when a signal was sent."""
        ...

    async def leave(self) -> None:
        """End the conversation for the guest; the session ends."""
        ...

    async def close(self) -> None:
        """Stop network activity without ending the conversation (idempotent)."""
        ...

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        """Call ``callback`` for every event; returns an unsubscribe function."""
        ...

    def events(self) -> AsyncIterator[SessionEvent]:
        """A bounded async iterator over events from now on; ends when the session does."""
        ...


@runtime_checkable
class RichReplies(Protocol):
    """A session that can answer rich content (quick replies, card buttons, date and list pickers)."""

    async def respond(self, choice: ContentChoice) -> ChatMessage:
        """Send the guest's choice; returns it as stored."""
        ...


_S = TypeVar("_S", bound="_Subscribable")


class _Subscribable(Protocol):
    def subscribe(self, callback: EventCallback) -> Callable[[], None]: ...


async def wait_until(session: _S, predicate: Callable[[_S], bool], timeout: float = 10.0) -> None:
    """Wait (event-driven: re-checked after every event) until ``predicate(session)`` is true; TimeoutError
    after ``timeout`` s. The one implementation behind every session's ``wait_until``."""
    if predicate(session):
        return
    ready = asyncio.Event()

    def check(_: SessionEvent) -> None:
        if predicate(session):
            ready.set()

    unsubscribe = session.subscribe(check)
    try:
        if predicate(session):
            return
        await asyncio.wait_for(ready.wait(), timeout)
    finally:
        unsubscribe()
