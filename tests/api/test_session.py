"""The whole chat lifecycle through `ChatSession` against the real emulator."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.api.conftest import FAST_STREAM, off_loop, poll, record_messages, start_connected
from webchat_tui.api import (
    ChatSession,
    GuestMemberInfo,
    MediaRequestChanged,
    MemberChanged,
    MessagesAdded,
    Notice,
    SessionEvent,
    SessionState,
    StateChanged,
    TypingChanged,
    WebChatClient,
    errors,
)
from webchat_tui.api.session_reducer import EndCause
from webchat_tui.chat import EndCause as ChatEndCause


def _assert_matches_record(session: ChatSession, events: list[dict]) -> None:  # type: ignore[type-arg]
    expected = [(e["id"], e["body"], e["bodyType"]) for e in record_messages(events)]
    actual = [(m.id, m.body, m.body_type) for m in session.messages]
    assert actual == expected


async def test_full_lifecycle(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    session = ChatSession(client, stream_options=FAST_STREAM)
    seen: list[SessionEvent] = []
    session.subscribe(seen.append)
    iterated: list[SessionEvent] = []
    events = session.events()  # registered now, before anything happens

    async def iterate() -> None:
        async for event in events:
            iterated.append(event)

    iterator_task = asyncio.create_task(iterate())
    try:
        await start_connected(session, emu)
        cid = session.conversation_id
        assert cid is not None
        states = [e.state for e in seen if isinstance(e, StateChanged)]
        assert states[:3] == [SessionState.CONNECTING, SessionState.WAITING_FOR_AGENT, SessionState.CONNECTED]
        agent = session.agent
        assert (
            agent is not None and agent.role == "AGENT" and agent.display_name in ("Alex Rivera", "Sam Chen")
        )
        me = session.me
        assert me is not None and me.is_self and me.display_name == "Ada"
        assert session.members[0] == me  # join order

        sent = await session.send("hello there")
        assert sent.is_own and sent.body == "hello there"
        await session.wait_until(
            lambda s: any(
                m.sender_id == agent.id and m.body_type == "standard" and "hello there" in m.body
                for m in s.messages
            )
        )
        assert any(m.id == sent.id for m in session.messages)

        # Typing: shown, then cleared by that member's message.
        await off_loop(control.set_config, autoAgent=False)
        await off_loop(control.agent_typing, cid)
        await session.wait_until(lambda s: [m.id for m in s.typing_members] == [agent.id])
        await off_loop(control.agent_messages, cid, "typed it")
        await session.wait_until(lambda s: s.typing_members == () and s.messages[-1].body == "typed it")

        # The guest's typing is throttled: two calls, one request.
        assert await session.typing() is True
        assert await session.typing() is False

        # Media requests: accept one, the agent cancels another.
        request = await off_loop(control.media_request, cid, ["SCREENSHARE"])
        await session.wait_until(lambda s: [r.id for r in s.pending_media_requests] == [request["id"]])
        assert session.pending_media_requests[0].requested_by == agent.display_name
        accepted = await session.accept(request["id"])
        assert accepted.state == "ACCEPTED" and session.pending_media_requests == []
        second = await off_loop(control.media_request, cid, ["COBROWSE"])
        await session.wait_until(lambda s: any(r.id == second["id"] for r in s.pending_media_requests))
        await off_loop(control.cancel_media_request, cid, second["id"])
        await session.wait_until(
            lambda s: any(r.id == second["id"] and r.state == "CANCELLED" for r in s.media_requests)
        )
        changes = [
            (e.request.id, e.previous_state, e.request.state)
            for e in seen
            if isinstance(e, MediaRequestChanged)
        ]
        assert (second["id"], "PENDING", "CANCELLED") in changes
        assert (request["id"], "PENDING", "ACCEPTED") in changes

        # Transfer: one agent leaves, another joins while the guest stays connected.
        await off_loop(control.transfer, cid)
        await session.wait_until(lambda s: s.agent is not None and s.agent.id != agent.id)
        assert any(isinstance(e, Notice) and e.kind == "transfer" for e in seen)
        assert session.state is SessionState.CONNECTED

        # The agent ends the chat.
        await off_loop(control.end, cid)
        await session.wait_until(lambda s: s.state is SessionState.ENDED)
        assert session.end_reason == "The agent ended the chat"
        assert session.end_cause is EndCause.AGENT_ENDED
        record = await off_loop(control.record, cid)
        _assert_matches_record(session, record)
        guest_typing = [e for e in record if e["kind"] == "typing" and e["senderId"] == me.id]
        assert len(guest_typing) == 1

        # Every event reached the iterator too, in the same order, and the iterator ended.
        await asyncio.wait_for(iterator_task, 5)
        assert iterated == seen
        added = [m.id for e in seen if isinstance(e, MessagesAdded) for m in e.messages]
        assert added == [m.id for m in session.messages]  # exactly once each, in order
    finally:
        iterator_task.cancel()
        await session.close()


async def test_leave_ends_the_session(emu, control, session: ChatSession) -> None:  # type: ignore[no-untyped-def]
    await start_connected(session, emu)
    changes: list[StateChanged] = []
    session.subscribe(lambda event: changes.append(event) if isinstance(event, StateChanged) else None)
    await session.send("thanks, that is all")
    await session.leave()
    assert session.state is SessionState.ENDED and session.end_reason == "You left the chat"
    assert session.end_cause is EndCause.GUEST_LEFT
    assert changes[-1].cause is EndCause.GUEST_LEFT  # the event says why, in the neutral vocabulary
    assert EndCause is ChatEndCause  # one enum for both protocols
    cid = session.conversation_id
    assert cid is not None
    _assert_matches_record(session, await off_loop(control.record, cid))  # the transcript is complete
    conversation = (await off_loop(control.conversations))[0]
    assert conversation["state"] == "ended"
    guest = next(m for m in conversation["members"] if m["role"] == "CUSTOMER")
    assert guest["state"] == "DISCONNECTED"
    with pytest.raises(errors.ClientValidationError):
        await session.send("too late")


async def test_typing_indicator_expires(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    session = ChatSession(client, stream_options=FAST_STREAM, typing_expiry=0.2)
    changes: list[TypingChanged] = []
    session.subscribe(lambda e: changes.append(e) if isinstance(e, TypingChanged) else None)
    try:
        await start_connected(session, emu)
        await off_loop(control.set_config, autoAgent=False)
        await off_loop(control.agent_typing, session.conversation_id)
        await session.wait_until(lambda s: len(s.typing_members) == 1)
        await session.wait_until(lambda s: s.typing_members == ())
        assert [len(c.typing) for c in changes[-2:]] == [1, 0]
    finally:
        await session.close()


async def test_member_details_fetched_once_per_member(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []
    original = client.get_webchat_guest_conversation_member

    async def counting(conversation_id: str, member_id: str, **kw):  # type: ignore[no-untyped-def]
        calls.append(member_id)
        return await original(conversation_id, member_id, **kw)

    client.get_webchat_guest_conversation_member = counting  # type: ignore[method-assign]
    session = ChatSession(client, stream_options=FAST_STREAM)
    try:
        await start_connected(session, emu)
        await off_loop(control.set_config, autoAgent=False)
        await off_loop(control.agent_messages, session.conversation_id, "x", 5)
        await session.wait_until(lambda s: sum(m.body.startswith("x #") for m in s.messages) == 5)
        assert len(calls) == len(set(calls))
        assert all(m.display_name != "Unknown" for m in session.members)
    finally:
        await session.close()


async def test_start_errors_are_typed_and_leave_the_session_idle(emu, session: ChatSession) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.BadRequestError) as info:
        await session.start(
            organization_id=emu.seed.organization_id,
            deployment_id=emu.seed.deployment_id,
            queue="Nowhere",
            member_info=GuestMemberInfo(display_name="Ada"),
        )
    assert info.value.code == "chat.error.invalid.queue"
    assert session.state is SessionState.IDLE
    with pytest.raises(errors.ClientValidationError) as invalid:
        await session.start(
            organization_id=emu.seed.organization_id,
            deployment_id=emu.seed.deployment_id,
            queue="Support",
            member_info=GuestMemberInfo(display_name="Ada", email="x"),
        )
    assert invalid.value.field == "memberInfo.email"
    with pytest.raises(errors.ClientValidationError) as too_long:
        await session.send("x" * 4001)
    assert too_long.value.field == "body"


async def test_waiting_in_an_unstaffed_queue(emu, session: ChatSession) -> None:  # type: ignore[no-untyped-def]
    await session.start(
        organization_id=emu.seed.organization_id,
        deployment_id=emu.seed.deployment_id,
        queue="Night Shift",
        member_info=GuestMemberInfo(display_name="Ada"),
    )
    await session.wait_until(lambda s: any(m.role == "ACD" for m in s.members))
    assert session.state is SessionState.WAITING_FOR_AGENT and session.agent is None


async def test_media_request_timeout_surfaces(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    session = ChatSession(client, stream_options=FAST_STREAM)
    try:
        await start_connected(session, emu)
        await off_loop(control.set_config, autoAgent=False, mediaRequestTimeout=10.0)  # x0.02 = 0.2 s
        request = await off_loop(control.media_request, session.conversation_id, ["SCREENSHARE"])
        await session.wait_until(
            lambda s: any(r.id == request["id"] and r.state == "TIMEDOUT" for r in s.media_requests)
        )
        with pytest.raises(errors.BadRequestError):
            await session.decline(request["id"])  # too late: the server refuses
    finally:
        await session.close()


async def test_decline_and_report_error(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    session = ChatSession(client, stream_options=FAST_STREAM)
    try:
        await start_connected(session, emu)
        await off_loop(control.set_config, autoAgent=False)
        first = await off_loop(control.media_request, session.conversation_id, ["COBROWSE"])
        second = await off_loop(control.media_request, session.conversation_id, ["SCREENSHARE"])
        await session.wait_until(lambda s: len(s.pending_media_requests) == 2)
        assert (await session.decline(first["id"])).state == "DECLINED"
        assert (await session.report_error(second["id"])).state == "ERRORED"
        record = await off_loop(control.record, session.conversation_id)
        patches = [(e["id"], e["state"]) for e in record if e["kind"] == "media-request-patch"]
        assert patches == [(first["id"], "DECLINED"), (second["id"], "ERRORED")]
    finally:
        await session.close()


async def test_transcript_exports(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    session = ChatSession(client, stream_options=FAST_STREAM)
    try:
        await start_connected(session, emu)
        await off_loop(control.set_config, autoAgent=False)
        await session.send("**not bold** [link](http://x)")
        await session.wait_until(lambda s: any(m.is_own for m in s.messages))
        markdown = session.export_markdown()
        assert "# Chat transcript" in markdown and "\\*\\*not bold\\*\\*" in markdown
        assert "**Ada**" in markdown
        data = json.loads(session.export_json())
        assert data["conversationId"] == session.conversation_id
        assert [m["id"] for m in data["messages"]] == [m.id for m in session.messages]
        assert any(m["body"] == "**not bold** [link](http://x)" and m["isOwn"] for m in data["messages"])
    finally:
        await session.close()


async def test_remote_text_is_sanitised(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    session = ChatSession(client, stream_options=FAST_STREAM)
    try:
        await start_connected(session, emu)
        await off_loop(control.set_config, autoAgent=False)
        await off_loop(control.agent_messages, session.conversation_id, "evil\x1b]0;title\x07\u202egnp.exe")
        await session.wait_until(lambda s: any(m.body.startswith("evil") for m in s.messages))
        body = next(m.body for m in session.messages if m.body.startswith("evil"))
        assert body == "evil]0;titlegnp.exe"
    finally:
        await session.close()


async def test_member_events_are_in_join_order(emu, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    session = ChatSession(client, stream_options=FAST_STREAM)
    joined: list[str] = []
    session.subscribe(
        lambda e: (
            joined.append(e.member.role)
            if isinstance(e, MemberChanged) and e.previous_state is None
            else None
        )
    )
    try:
        await start_connected(session, emu)
        assert joined[0] == "CUSTOMER" and "AGENT" in joined
        assert [m.role for m in session.members][: len(joined)] == joined
    finally:
        await session.close()


async def test_typing_never_raises(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    session = ChatSession(client, stream_options=FAST_STREAM, typing_throttle=0.0)
    try:
        await start_connected(session, emu)
        await off_loop(
            control.set_faults,
            {"http": [{"operation": "postWebchatGuestConversationMemberTyping", "status": 503, "times": 1}]},
        )
        assert await session.typing() is False  # failed, swallowed
        assert await session.typing() is True
    finally:
        await session.close()


async def test_keystrokes_make_one_typing_request_per_throttle_window(
    emu, control, client: WebChatClient
) -> None:  # type: ignore[no-untyped-def]
    """`note_typing()` is what a UI calls per keystroke: the session's throttle is the only one."""
    session = ChatSession(client, stream_options=FAST_STREAM, typing_throttle=60.0)
    try:
        await start_connected(session, emu)
        cid, me = session.conversation_id, session.me
        assert cid is not None and me is not None
        for _ in range(50):
            session.note_typing()
        await asyncio.sleep(0)

        def guest_typing() -> list[dict]:  # type: ignore[type-arg]
            return [e for e in control.record(cid) if e["kind"] == "typing" and e["senderId"] == me.id]

        await poll(guest_typing)
        await asyncio.sleep(0.3)
        assert len(await off_loop(guest_typing)) == 1
    finally:
        await session.close()


async def test_a_slow_iterator_stays_bounded(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    session = ChatSession(client, stream_options=FAST_STREAM, event_queue_size=5)
    events = session.events()  # never read during the burst
    try:
        await start_connected(session, emu)
        await off_loop(control.set_config, autoAgent=False)
        for i in range(4):
            await off_loop(control.agent_messages, session.conversation_id, f"wave {i}", 50)
            await session.wait_until(
                lambda s, n=i: sum(m.body.startswith(f"wave {n}") for m in s.messages) == 50
            )
        queue = events._queue
        # Bounded: past the limit, message batches merge instead of piling up.
        assert sum(isinstance(e, MessagesAdded) for e in queue.items) <= 3
        assert len(queue.items) <= 20
        received: list[str] = []
        await session.close()
        async for event in events:
            if isinstance(event, MessagesAdded):
                received.extend(m.id for m in event.messages)
        assert received[-200:] == [m.id for m in session.messages if m.body.startswith("wave")]
    finally:
        await session.close()


async def test_leave_racing_the_agent_ending_the_chat_does_not_raise(
    emu, control, session: ChatSession
) -> None:  # type: ignore[no-untyped-def]
    """The guest presses leave just as the agent ends the chat: the DELETE is refused (member state), but the
    guest's wish is already fulfilled, so leave() returns and the session ends with the real reason."""
    await start_connected(session, emu)
    cid = session.conversation_id
    assert cid is not None
    control.end(cid)  # on the loop on purpose: the session cannot see the end before leave() sends its DELETE
    assert session.state is SessionState.CONNECTED
    await session.leave()
    assert session.state is SessionState.ENDED
    assert session.end_reason == "The agent ended the chat"


async def test_a_failed_leave_does_not_claim_the_guest_left(emu, control, session: ChatSession) -> None:  # type: ignore[no-untyped-def]
    await start_connected(session, emu)
    cid = session.conversation_id
    assert cid is not None
    await off_loop(
        control.set_faults,
        {"http": [{"operation": "deleteWebchatGuestConversationMember", "status": 409, "times": 1}]},
    )
    with pytest.raises(errors.ConflictError):
        await session.leave()
    await off_loop(control.end, cid)
    await session.wait_until(lambda s: s.state is SessionState.ENDED)
    assert session.end_reason == "The agent ended the chat"


async def test_close_while_starting_leaves_no_chat_and_no_task(emu, control, session: ChatSession) -> None:  # type: ignore[no-untyped-def]
    """close() while the create request is in flight: start() fails, nothing keeps running, and the chat the
    server created is left (not queued forever with nobody watching)."""
    await off_loop(
        control.set_faults,
        {"http": [{"operation": "postWebchatGuestConversations", "status": 0, "latencyMs": 300, "times": 1}]},
    )
    starting = asyncio.create_task(
        session.start(
            organization_id=emu.seed.organization_id,
            deployment_id=emu.seed.deployment_id,
            queue="Support",
            member_info=GuestMemberInfo(display_name="Ada"),
        )
    )
    await session.wait_until(lambda s: s.state is SessionState.CONNECTING)
    await session.close()
    with pytest.raises(errors.StreamClosedError):
        await starting
    assert session.stream is None
    assert not [
        t for t in asyncio.all_tasks() if (t.get_name() or "").startswith(("chat-session", "event-stream"))
    ]
    conversations = await off_loop(control.conversations)
    assert len(conversations) == 1
    guest = next(m for m in conversations[0]["members"] if m["role"] == "CUSTOMER")
    assert guest["state"] == "DISCONNECTED"
    with pytest.raises(errors.ClientValidationError):
        await session.start(
            organization_id=emu.seed.organization_id,
            deployment_id=emu.seed.deployment_id,
            queue="Support",
            member_info=GuestMemberInfo(display_name="Ada"),
        )


async def test_an_idle_chat_is_closed_by_the_service(emu, control, session: ChatSession) -> None:  # type: ignore[no-untyped-def]
    """Inactivity: the service posts a notice and ends the chat; the session ends (not stuck in CONNECTED),
    its iterators finish, and the notice is in the transcript."""
    await start_connected(session, emu)
    events = session.events()
    await off_loop(control.set_config, idleTimeout=5.0)  # x time scale 0.02: 0.1 s
    await session.send("one last thing")  # guest activity (re)starts the idle timer with the new timeout
    await session.wait_until(lambda s: s.state is SessionState.ENDED)
    assert session.end_reason == "The agent ended the chat"
    assert any(m.body_type == "notice" and "inactivity" in m.body for m in session.messages)
    assert "inactivity" in session.export_markdown()
    ended = [e async for e in events]  # ends by itself
    assert any(isinstance(e, StateChanged) and e.state is SessionState.ENDED for e in ended)


async def test_close_leaves_no_task_behind(emu, session: ChatSession) -> None:  # type: ignore[no-untyped-def]
    """close() returns only when everything it started has finished (reader, watchdog, consumer, timers)."""
    await start_connected(session, emu)
    await session.close()
    await session.close()  # idempotent

    leftover = [
        t.get_coro()
        for t in asyncio.all_tasks()
        if t is not asyncio.current_task() and "webchat_tui" in t.get_coro().cr_code.co_filename  # type: ignore[union-attr]
    ]
    assert leftover == []


async def test_a_message_ends_its_senders_typing_indicator_at_once(
    emu, control, client: WebChatClient
) -> None:  # type: ignore[no-untyped-def]
    """The agent types, then sends: the message ends "is typing…" at once (not when the indicator expires)."""
    session = ChatSession(client, stream_options=FAST_STREAM, typing_expiry=600.0)
    try:
        await start_connected(session, emu)
        await off_loop(control.set_config, autoAgent=False)
        await off_loop(control.agent_typing, session.conversation_id)
        await session.wait_until(lambda s: len(s.typing_members) == 1)
        await off_loop(control.agent_messages, session.conversation_id, body="done typing")
        await session.wait_until(lambda s: any(m.body == "done typing" for m in s.messages))
        assert session.typing_members == ()
    finally:
        await session.close()
