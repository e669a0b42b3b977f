"""The event stream under websocket faults injected by the emulator: drops, refused handshakes, duplicated
frames, queue overflow, auth refusal, and a 10,000-message burst. Every test compares what the session (or
stream) delivered with the emulator's own record: nothing lost, nothing duplicated, same order."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.api.conftest import FAST_STREAM, chat_request, off_loop, poll, record_messages, start_connected
from webchat_tui.api import (
    ChatSession,
    MessagesAdded,
    Notice,
    SessionEvent,
    SessionState,
    StreamOptions,
    WebChatClient,
    errors,
)
from webchat_tui.api.events import MessageEvent
from webchat_tui.api.session_reducer import EndCause
from webchat_tui.api.stream import EventStream


def _record_ids(events: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [e["id"] for e in record_messages(events)]


async def test_500_message_exchange_with_20_plus_drops_loses_and_duplicates_nothing(
    emu,
    control,
    client: WebChatClient,  # type: ignore[no-untyped-def]
) -> None:
    session = ChatSession(client, stream_options=FAST_STREAM)
    notices: list[Notice] = []
    session.subscribe(lambda e: notices.append(e) if isinstance(e, Notice) else None)
    try:
        # The emulator applies websocket faults to connections opened after the plan is set, so set it first:
        # every connection, including the first, is dropped after 7 frames.
        await off_loop(
            control.set_faults, {"websocket": {"dropAfterFrames": 7, "dropTimes": None, "closeCode": 1011}}
        )
        await start_connected(session, emu)
        cid = session.conversation_id
        assert cid is not None and session.stream is not None
        await off_loop(control.set_config, autoAgent=False)
        before = len(record_messages(await off_loop(control.record, cid)))
        await session.wait_until(lambda s: len(s.messages) == before)
        connects_before = session.stream.connects
        exchanged = 0
        for round_number in range(25):
            await off_loop(
                control.agent_messages, cid, None, None, [f"agent {round_number}.{i}" for i in range(18)]
            )
            await session.send(f"guest {round_number}.a")
            await session.send(f"guest {round_number}.b")
            exchanged += 20
            await session.wait_until(lambda s, n=exchanged: len(s.messages) >= before + n, timeout=15)
        await off_loop(control.clear_faults)
        record = await off_loop(control.record, cid)
        assert len(record_messages(record)) == before + 500
        assert [m.id for m in session.messages] == _record_ids(record)  # exactly the record, in order
        drops = session.stream.connects - connects_before
        assert drops >= 20
        assert sum(n.kind == "reconnected" for n in notices) >= 20
        assert session.state is SessionState.CONNECTED
    finally:
        await session.close()


async def test_refused_handshakes_are_retried_and_nothing_is_lost(
    emu, control, client: WebChatClient
) -> None:  # type: ignore[no-untyped-def]
    session = ChatSession(client, stream_options=FAST_STREAM)
    try:
        await start_connected(session, emu)
        cid = session.conversation_id
        await off_loop(control.set_config, autoAgent=False)
        await off_loop(control.set_faults, {"websocket": {"refuseHandshakes": 3, "refuseStatus": 503}})
        assert session.stream is not None and session.stream.drop_connection()  # the network breaks
        await off_loop(control.agent_messages, cid, "while away", 40)
        await session.wait_until(lambda s: sum(m.body.startswith("while away") for m in s.messages) == 40)
        record = await off_loop(control.record, cid)
        assert [m.id for m in session.messages] == _record_ids(record)
        assert (await off_loop(control.faults))["websocket"]["refuseHandshakes"] == 0
    finally:
        await session.close()


async def test_duplicated_frames_are_delivered_once(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    session = ChatSession(client, stream_options=FAST_STREAM)
    added: list[str] = []
    session.subscribe(
        lambda e: added.extend(m.id for m in e.messages) if isinstance(e, MessagesAdded) else None
    )
    try:
        # Set before connecting: the emulator reads the websocket fault plan when a connection opens.
        await off_loop(control.set_faults, {"websocket": {"duplicateEveryFrames": 2}})
        await start_connected(session, emu)
        cid = session.conversation_id
        await off_loop(control.set_config, autoAgent=False)
        await off_loop(control.agent_messages, cid, "dup", 30)
        await session.send("mine")
        await session.wait_until(
            lambda s: (
                sum(m.body.startswith("dup") for m in s.messages) == 30
                and any(m.body == "mine" for m in s.messages)
            )
        )
        record = await off_loop(control.record, cid)
        assert [m.id for m in session.messages] == _record_ids(record)
        assert added == [m.id for m in session.messages]
        assert session.stream is not None and session.stream.duplicates >= 15  # they really came twice
    finally:
        await session.close()


async def test_queue_overflow_resyncs_instead_of_growing(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    created = await client.post_webchat_guest_conversations(chat_request(emu, "A"))
    await off_loop(control.set_config, autoAgent=False)
    options = StreamOptions(queue_size=20, reconnect_base=0.01, reconnect_max=0.05, stable_after=1.0)
    stream = EventStream(
        client, created.id, created.event_stream_uri, member_id=created.member.id, options=options
    )
    await stream.start()
    try:
        first = await stream.next_batch()  # the initial backfill
        assert [i.status for i in first if i.kind == "status"] == ["connected"]  # type: ignore[union-attr]
        await off_loop(control.connect, created.id)
        await off_loop(control.agent_messages, created.id, "flood", 200)
        # Do not consume until the reader has hit the bound.
        deadline = time.monotonic() + 10
        while stream.overflows == 0:
            assert time.monotonic() < deadline, "the queue never overflowed"
            await asyncio.sleep(0.01)
        assert len(stream._queue) <= 20 + 2  # bounded (plus control markers)
        delivered: list[str] = []
        statuses: list[str] = []
        while len(delivered) < 200 + 1:  # 200 floods + the member-join line
            for item in await stream.next_batch():
                if isinstance(item, MessageEvent):
                    delivered.append(item.id)
                elif item.kind == "status":
                    statuses.append(item.status)  # type: ignore[union-attr]
        record = await off_loop(control.record, created.id)
        assert delivered == _record_ids(record)
        assert "resynced" in statuses
    finally:
        await stream.close()


async def test_stream_auth_refusal_is_a_typed_error(emu, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    created = await client.post_webchat_guest_conversations(chat_request(emu, "A"))
    forged = created.event_stream_uri.rsplit("/", 1)[0] + "/not-a-valid-token"
    stream = EventStream(client, created.id, forged, member_id=created.member.id, options=FAST_STREAM)
    with pytest.raises(errors.StreamAuthError) as info:
        await stream.start()
    assert info.value.status in (401, 403)
    assert await stream.next_batch() == []


async def test_auth_refusal_on_reconnect_ends_the_session(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    session = ChatSession(client, stream_options=FAST_STREAM)
    events: list[SessionEvent] = []
    session.subscribe(events.append)
    try:
        await start_connected(session, emu)
        await off_loop(control.set_config, autoAgent=False)
        await off_loop(control.set_faults, {"websocket": {"refuseHandshakes": 5, "refuseStatus": 401}})
        assert session.stream is not None and session.stream.drop_connection()
        await session.wait_until(lambda s: s.state is SessionState.ENDED)
        assert session.end_reason == "The service no longer knows this chat (its credentials were refused)"
        assert session.end_cause is EndCause.ERROR
        assert any(isinstance(e, Notice) and e.kind == "stream-failed" and e.level == "error" for e in events)
        assert (await off_loop(control.faults))["websocket"]["refuseHandshakes"] == 4  # no retry after 401
    finally:
        await session.close()


async def test_ten_thousand_message_burst_arrives_once_in_few_batches(
    emu, control, client: WebChatClient
) -> None:  # type: ignore[no-untyped-def]
    session = ChatSession(client, stream_options=FAST_STREAM)
    batches: list[int] = []
    session.subscribe(lambda e: batches.append(len(e.messages)) if isinstance(e, MessagesAdded) else None)
    try:
        await start_connected(session, emu)
        cid = session.conversation_id
        await off_loop(control.set_config, autoAgent=False)
        before = len(record_messages(await off_loop(control.record, cid)))
        await session.wait_until(lambda s: len(s.messages) == before)
        batches.clear()
        started = time.perf_counter()
        await off_loop(control.agent_messages, cid, "burst", 10_000)
        await session.wait_until(lambda s: len(s.messages) >= before + 10_000, timeout=60)
        elapsed = time.perf_counter() - started
        record = await off_loop(control.record, cid)
        assert [m.id for m in session.messages] == _record_ids(record)
        assert sum(batches) == 10_000
        assert len(batches) < 500, f"{len(batches)} MessagesAdded events for one burst"
        print(f"10k burst: {elapsed:.2f} s end to end, {len(batches)} MessagesAdded batches")
    finally:
        await session.close()


async def test_heartbeat_watchdog_replaces_a_silent_connection(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    # No heartbeats for an hour and nothing else to say: the watchdog must give up on the silent socket,
    # reconnect, and catch up from REST without losing what was sent meanwhile.
    await off_loop(control.set_config, heartbeatInterval=3600.0)
    options = StreamOptions(heartbeat_timeout=0.3, reconnect_base=0.01, reconnect_max=0.05, stable_after=0.1)
    session = ChatSession(client, stream_options=options)
    try:
        await start_connected(session, emu)
        assert session.stream is not None
        connects = session.stream.connects
        await off_loop(control.set_config, autoAgent=False)
        await session.wait_until(
            lambda s: s.stream is not None and s.stream.connects >= connects + 2, timeout=10
        )
        await off_loop(control.agent_messages, session.conversation_id, "still here", 3)
        await session.wait_until(lambda s: sum(m.body.startswith("still here") for m in s.messages) == 3)
        record = await off_loop(control.record, session.conversation_id)
        assert [m.id for m in session.messages] == _record_ids(record)
    finally:
        await session.close()


async def test_heartbeats_keep_a_quiet_connection_open(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    await off_loop(control.set_config, heartbeatInterval=0.05)
    options = StreamOptions(heartbeat_timeout=0.5, reconnect_base=0.01, reconnect_max=0.05)
    session = ChatSession(client, stream_options=options)
    try:
        await start_connected(session, emu)
        assert session.stream is not None
        connects = session.stream.connects
        await off_loop(control.set_config, autoAgent=False)
        stream = session.stream
        seen = stream._rx
        await poll(lambda: stream._rx >= seen + 20)  # a second or so of heartbeats only
        assert stream.connects == connects
    finally:
        await session.close()


async def test_session_under_mixed_http_and_websocket_faults(emu, control) -> None:  # type: ignore[no-untyped-def]
    """All at once: 429 with Retry-After, 503 before and after the handler, a response stalled past the read
    timeout, failing backfill reads, and a websocket dropped every few frames. Every message arrives exactly
    once, in order."""
    from webchat_tui.api import RetryPolicy, Timeouts

    retry = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, deadline=30.0)
    async with WebChatClient(
        base_url=emu.base_url, retry=retry, timeout=Timeouts(connect=2.0, read=0.5, write=2.0, pool=2.0)
    ) as client:
        session = ChatSession(client, stream_options=FAST_STREAM)
        try:
            await off_loop(control.set_faults, {"websocket": {"dropAfterFrames": 9, "dropTimes": None}})
            await start_connected(session, emu)
            cid = session.conversation_id
            await off_loop(control.set_config, autoAgent=False)
            send = "postWebchatGuestConversationMemberMessages"
            await off_loop(
                control.set_faults,
                {
                    "http": [
                        {"operation": send, "status": 429, "retryAfter": 0, "times": 3},
                        {"operation": send, "status": 503, "times": 3, "afterHandler": True},
                        {"operation": send, "status": 503, "times": 2},
                        {"operation": send, "status": 0, "latencyMs": 1200, "times": 1, "afterHandler": True},
                        {"operation": "getWebchatGuestConversationMessages", "status": 503, "times": 3},
                    ],
                    "websocket": {"dropAfterFrames": 9, "dropTimes": None},
                },
            )
            bodies = [f"guest line {i}" for i in range(15)]
            for i, body in enumerate(bodies):
                await session.send(body)
                if i % 5 == 0:
                    await off_loop(
                        control.agent_messages, cid, None, None, [f"agent line {i}.{j}" for j in range(6)]
                    )
            await session.wait_until(
                lambda s: (
                    sum(m.is_own and m.body.startswith("guest line") for m in s.messages) == 15
                    and sum(m.body.startswith("agent line") for m in s.messages) == 18
                ),
                timeout=20,
            )
            record = await off_loop(control.record, cid)
            assert [m.id for m in session.messages] == _record_ids(record)
            own = [e["body"] for e in record_messages(record) if e["body"].startswith("guest line")]
            assert own == bodies  # each stored exactly once, in the order sent
            assert session.state in (SessionState.CONNECTED, SessionState.RECONNECTING)
        finally:
            await session.close()
