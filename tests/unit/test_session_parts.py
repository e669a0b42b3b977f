"""The session's building blocks on their own: media request book, event hub, typing tracker."""

from __future__ import annotations

import asyncio

from webchat_tui.api.media_requests import MediaRequestBook
from webchat_tui.api.models import WebChatGuestMediaRequest
from webchat_tui.api.session_events import EventHub
from webchat_tui.api.session_types import Notice, SessionEvent
from webchat_tui.api.typing_tracker import TypingTracker


def _request(state: str) -> WebChatGuestMediaRequest:
    return WebChatGuestMediaRequest(id="mr-1", types=["SCREENSHARE"], state=state)


def test_a_stale_pending_read_does_not_reopen_an_answered_media_request() -> None:
    """The GET started by the announcement can return after the guest's PATCH: it must not bring the
    request back as pending (the UI would ask again)."""
    book = MediaRequestBook()
    book.update(_request("PENDING"), "Alex")
    accepted, previous, changed = book.update(_request("ACCEPTED"), None)
    assert changed and previous is not None and previous.state == "PENDING" and accepted.state == "ACCEPTED"
    current, _, changed = book.update(_request("PENDING"), "Alex")
    assert current.state == "ACCEPTED" and not changed
    assert book.pending() == [] and [r.state for r in book.all()] == ["ACCEPTED"]
    cancelled, _, changed = book.update(_request("CANCELLED"), "Alex")
    assert changed and cancelled.state == "CANCELLED" and cancelled.requested_by == "Alex"


async def test_a_raising_callback_does_not_stop_the_others_or_the_iterators() -> None:
    hub = EventHub(queue_size=10)
    got: list[SessionEvent] = []

    def broken(event: SessionEvent) -> None:
        raise RuntimeError("consumer bug")

    hub.subscribe(broken)
    unsubscribe = hub.subscribe(got.append)
    events = hub.iterator(ended=False)
    first, second = Notice("one"), Notice("two")
    hub.emit(first)
    unsubscribe()
    hub.emit(second)
    hub.end_iterators()
    assert got == [first]
    assert [e async for e in events] == [first, second]
    assert [e async for e in hub.iterator(ended=True)] == []


async def test_typing_expires_and_stops() -> None:
    expired = asyncio.Event()
    tracker = TypingTracker(0.01, expired.set)
    assert tracker.start("a") is True and tracker.start("a") is False and tracker.start("b") is True
    assert tracker.stop("b") is True and tracker.stop("b") is False
    assert tracker.member_ids == ("a",)
    await asyncio.wait_for(expired.wait(), 10)
    assert not tracker and tracker.clear() is False
