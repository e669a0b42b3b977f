"""Retries against the emulator's fault plan: 429 with Retry-After, 503, timeouts, ambiguous message sends
(no message lost, none duplicated), typing never retried."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.api.conftest import (
    FAST_RETRY,
    FAST_STREAM,
    chat_request,
    http_fault,
    off_loop,
    poll,
    record_messages,
)
from webchat_tui.api import RetryPolicy, Timeouts, WebChatClient, errors
from webchat_tui.api.stream import EventStream

OP_SEND = "postWebchatGuestConversationMemberMessages"


async def _live_chat(emu, control, client: WebChatClient) -> tuple[str, str, EventStream]:  # type: ignore[no-untyped-def]
    created = await client.post_webchat_guest_conversations(chat_request(emu))
    stream = EventStream(
        client, created.id, created.event_stream_uri, member_id=created.member.id, options=FAST_STREAM
    )
    await stream.start()
    await poll(lambda: any(c["state"] == "active" for c in control.conversations()))
    await off_loop(control.set_config, autoAgent=False)  # no replies: the record holds only what we send
    return created.id, created.member.id or "", stream


def _recording_sleep(client: WebChatClient) -> list[float]:
    """Record the client's waits between retries instead of waiting (the emulator's faults count requests,
    not time, so the decisions are the same and the test does not spend seconds asleep)."""
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)
        await asyncio.sleep(0)

    client.sleep = sleep  # type: ignore[method-assign]
    return delays


def _own_bodies(events: list[dict], me: str) -> list[str]:  # type: ignore[type-arg]
    return [e["body"] for e in record_messages(events) if e["senderId"] == me and e["bodyType"] == "standard"]


async def test_429_with_retry_after_is_honoured_on_a_get(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    cid, _, stream = await _live_chat(emu, control, client)
    try:
        await http_fault(control, "getWebchatGuestConversationMembers", status=429, retryAfter=1, times=1)
        delays = _recording_sleep(client)
        page = await client.get_webchat_guest_conversation_members(cid)
        assert page.entities and delays == [1.0]
    finally:
        await stream.close()


async def test_429_on_message_send_is_retried_and_stored_once(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    cid, me, stream = await _live_chat(emu, control, client)
    try:
        await http_fault(control, OP_SEND, status=429, retryAfter=1, times=2)
        delays = _recording_sleep(client)
        sent = await client.post_webchat_guest_conversation_member_messages(cid, me, "rate limited hello")
        assert delays == [1.0, 1.0]
        assert _own_bodies(await off_loop(control.record, cid), me) == ["rate limited hello"]
        assert sent.body == "rate limited hello"
    finally:
        await stream.close()


async def test_rate_limit_beyond_the_cap_raises_with_retry_after(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    cid, me, stream = await _live_chat(emu, control, client)
    try:
        await http_fault(control, OP_SEND, status=429, retryAfter=3600, times=1)
        with pytest.raises(errors.RateLimitError) as info:
            await client.post_webchat_guest_conversation_member_messages(cid, me, "later")
        assert info.value.retry_after == 3600 and info.value.code == "too.many.requests.retry.after"
        assert _own_bodies(await off_loop(control.record, cid), me) == []
    finally:
        await stream.close()


async def test_ambiguous_503_after_the_message_was_stored_is_not_resent(
    emu, control, client: WebChatClient
) -> None:  # type: ignore[no-untyped-def]
    cid, me, stream = await _live_chat(emu, control, client)
    try:
        await http_fault(control, OP_SEND, status=503, times=1, afterHandler=True)
        sent = await client.post_webchat_guest_conversation_member_messages(cid, me, "stored but 503")
        assert _own_bodies(await off_loop(control.record, cid), me) == ["stored but 503"]
        assert sent.body == "stored but 503"
    finally:
        await stream.close()


async def test_503_before_the_handler_is_retried_and_stored_once(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    cid, me, stream = await _live_chat(emu, control, client)
    try:
        await http_fault(control, OP_SEND, status=503, times=2)
        await client.post_webchat_guest_conversation_member_messages(cid, me, "after two 503s")
        assert _own_bodies(await off_loop(control.record, cid), me) == ["after two 503s"]
    finally:
        await stream.close()


async def test_500_after_the_handler_is_reconciled(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    cid, me, stream = await _live_chat(emu, control, client)
    try:
        await http_fault(control, OP_SEND, status=500, times=2, afterHandler=True)
        await client.post_webchat_guest_conversation_member_messages(cid, me, "same text")
        await off_loop(control.clear_faults)
        # The same text again is a new message, not a duplicate of the first.
        await client.post_webchat_guest_conversation_member_messages(cid, me, "same text")
        assert _own_bodies(await off_loop(control.record, cid), me) == ["same text", "same text"]
    finally:
        await stream.close()


async def test_read_timeout_on_a_stored_message_is_reconciled(emu, control) -> None:  # type: ignore[no-untyped-def]
    async with WebChatClient(
        base_url=emu.base_url, retry=FAST_RETRY, timeout=Timeouts(connect=2.0, read=0.3, write=2.0, pool=2.0)
    ) as client:
        cid, me, stream = await _live_chat(emu, control, client)
        try:
            # The handler stores and fans out the message, then the response stalls past our read timeout.
            await http_fault(control, OP_SEND, status=0, latencyMs=1500, times=1, afterHandler=True)
            sent = await client.post_webchat_guest_conversation_member_messages(cid, me, "slow response")
            assert sent.body == "slow response"
            assert _own_bodies(await off_loop(control.record, cid), me) == ["slow response"]
        finally:
            await stream.close()


async def test_timeouts_on_safe_operations_are_retried_and_reported_typed(emu, control) -> None:  # type: ignore[no-untyped-def]
    async with WebChatClient(
        base_url=emu.base_url, retry=FAST_RETRY, timeout=Timeouts(connect=2.0, read=0.3, write=2.0, pool=2.0)
    ) as client:
        cid, _, stream = await _live_chat(emu, control, client)
        try:
            delays = _recording_sleep(client)
            await http_fault(
                control, "getWebchatGuestConversationMessages", status=0, latencyMs=1000, times=1
            )
            page = await client.get_webchat_guest_conversation_messages(cid)
            assert [m.body_type for m in page.entities][:1] == ["member-join"]  # the real page, on retry
            assert len(delays) == 1  # one timed-out attempt, one retry
            await http_fault(
                control, "getWebchatGuestConversationMessages", status=0, latencyMs=1000, times=3
            )
            with pytest.raises(errors.ApiTimeoutError) as info:
                await client.get_webchat_guest_conversation_messages(cid)
            assert not isinstance(info.value, errors.ApiError)
            assert len(delays) == 1 + 2  # three attempts in all, then the typed error
        finally:
            await stream.close()


async def test_typing_is_never_retried(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    cid, me, stream = await _live_chat(emu, control, client)
    try:
        await http_fault(control, "postWebchatGuestConversationMemberTyping", status=503, times=5)
        with pytest.raises(errors.ServiceUnavailableError):
            await client.post_webchat_guest_conversation_member_typing(cid, me)
        assert (await off_loop(control.faults))["http"][0]["times"] == 4
    finally:
        await stream.close()


async def test_create_conversation_is_not_retried_after_an_ambiguous_failure(emu, control) -> None:  # type: ignore[no-untyped-def]
    async with WebChatClient(
        base_url=emu.base_url, retry=RetryPolicy(base_delay=0.01, max_delay=0.02)
    ) as client:
        await http_fault(control, "postWebchatGuestConversations", status=500, times=3, afterHandler=True)
        with pytest.raises(errors.InternalServerError):
            await client.post_webchat_guest_conversations(chat_request(emu))
        assert len(await off_loop(control.conversations)) == 1  # one chat, not three


async def test_retry_decisions_are_logged_at_debug(emu, control, client: WebChatClient, caplog) -> None:  # type: ignore[no-untyped-def]
    cid, _, stream = await _live_chat(emu, control, client)
    try:
        await http_fault(control, "getWebchatGuestConversationMembers", status=503, times=1)
        with caplog.at_level(logging.DEBUG, logger="webchat_tui"):
            await client.get_webchat_guest_conversation_members(cid)
        assert any(
            "retrying getWebchatGuestConversationMembers after HTTP 503" in r.getMessage()
            for r in caplog.records
        )
    finally:
        await stream.close()


async def test_leave_applied_despite_a_503_counts_as_success_on_retry(
    emu, control, client: WebChatClient
) -> None:  # type: ignore[no-untyped-def]
    cid, me, stream = await _live_chat(emu, control, client)
    try:
        await http_fault(
            control, "deleteWebchatGuestConversationMember", status=503, times=1, afterHandler=True
        )
        await client.delete_webchat_guest_conversation_member(
            cid, me
        )  # the retry sees "already gone": success
        members = await client.list_all_members(cid)
        assert next(m for m in members if m.id == me).state == "DISCONNECTED"
    finally:
        await stream.close()


async def test_a_repeated_identical_message_is_not_mistaken_for_a_stored_retry(
    emu, control, client: WebChatClient
) -> None:  # type: ignore[no-untyped-def]
    """Sending "ok" twice on purpose: the second send fails with a 500 before it is stored. Reconciling must
    not take the first "ok" for the second (that would silently drop it): the second is resent."""
    cid, me, stream = await _live_chat(emu, control, client)
    try:
        first = await client.post_webchat_guest_conversation_member_messages(cid, me, "ok")
        await http_fault(control, OP_SEND, status=500, times=1)
        second = await client.post_webchat_guest_conversation_member_messages(cid, me, "ok")
        assert second.id != first.id
        assert _own_bodies(await off_loop(control.record, cid), me) == ["ok", "ok"]
    finally:
        await stream.close()
