"""`MessagingSession` against the real emulator: the vendor's wire rules (resume, read-only, startNew,
connection cap, pacing and rate limits, custom attributes, Origin, expiry, clear, attachments)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.messaging.conftest import WAIT, SessionFactory, shown_ids
from webchat_tui.chat.types import (
    Attachment,
    Card,
    Carousel,
    ContentChoice,
    DatePicker,
    EndCause,
    ListPicker,
    MemberRole,
    QuickReply,
    SessionState,
    StateChanged,
    TypingChanged,
)
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.messaging import MessagingSession, TokenStore
from webchat_tui.messaging import errors as e
from webchat_tui.messaging.requests import (
    ChannelMetadata,
    CustomAttributesChannel,
    OnMessage,
    OutgoingMessage,
)


def _sid(control: ControlClient, session: MessagingSession) -> str:
    return str(control.messaging_session_for(session.token.get())["id"])


def _codes(control: ControlClient, sid: str, action: str = "onMessage") -> list[int]:
    return [ev["code"] for ev in control.messaging_record(sid) if ev["action"] == action]


async def _until_same_as_emulator(session: MessagingSession, control: ControlClient, sid: str) -> None:
    """Wait until the session holds exactly the emulator's transcript, in order (fails after WAIT s)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        expected = shown_ids(control, sid)
        held = [m.id for m in session.messages]
        if held == expected:
            return
        if loop.time() > deadline:
            assert held == expected
        await asyncio.sleep(0.1)


def _texts(session: MessagingSession, role: str | None = None) -> list[str]:
    return [m.body for m in session.messages if role is None or m.sender_role == role]


async def test_bot_first_conversation_with_rich_content_and_own_message_once(
    new_session: SessionFactory, emu: EmbeddedEmulator, control: ControlClient
) -> None:
    session = await new_session(emu.messaging_deployment_id)
    assert session.state is SessionState.WAITING_FOR_AGENT and session.new_session is True
    await session.wait_until(
        lambda s: any(isinstance(c, QuickReply) for m in s.messages for c in m.content), WAIT
    )
    offer = next(m for m in session.messages if any(isinstance(c, QuickReply) for c in m.content))
    assert offer.sender_role == MemberRole.BOT
    sent = await session.send("hello there")
    assert sent.is_own and sent.body == "hello there"
    await session.send("card")  # the bot's keyword: a card, as neutral content
    await session.wait_until(lambda s: any(isinstance(c, Card) for m in s.messages for c in m.content), WAIT)
    reply = next(c for c in offer.content if isinstance(c, QuickReply))
    answered = await session.respond(ContentChoice(offer.id, "QuickReply", reply.text, reply.payload))
    assert answered.is_own and answered.body == reply.text
    await session.wait_until(lambda s: _texts(s).count("hello there") == 1 and len(s.messages) >= 4, WAIT)
    assert _texts(session).count("hello there") == 1  # the echo is the one stored copy
    ids = [m.id for m in session.messages]
    assert len(ids) == len(set(ids))
    sid = _sid(control, session)
    assert all(code == 200 for code in _codes(control, sid))


async def test_agent_text_typing_and_connected_state(
    new_session: SessionFactory, control: ControlClient
) -> None:
    session = await new_session()
    sid = _sid(control, session)
    control.messaging_agent(sid, "typing")
    await session.wait_until(lambda s: len(s.typing_members) == 1, WAIT)
    control.messaging_agent(sid, "messages", {"text": "hello from the agent"})
    await session.wait_until(lambda s: "hello from the agent" in _texts(s), WAIT)
    assert session.state is SessionState.CONNECTED and session.agent is not None
    assert session.typing_members == ()  # the message ends the indicator
    signalled = False
    for _ in range(100):  # a signal never waits for a send slot: retry until the last send's slot passed
        if signalled := await session.typing():
            break
        await asyncio.sleep(0.05)
    assert signalled
    assert await session.typing() is False  # throttled
    assert 200 in _codes(control, sid)


async def test_resume_after_a_drop_backfills_history_once(
    new_session: SessionFactory, control: ControlClient
) -> None:
    session = await new_session()
    sid = _sid(control, session)
    control.messaging_agent(sid, "messages", {"text": "before", "count": 3})
    await session.wait_until(lambda s: len(_texts(s, MemberRole.AGENT)) >= 3, WAIT)
    control.set_messaging_faults(refuseHandshakes=2)  # stay away a little while the agent goes on
    control.messaging_session_action(sid, "drop")
    await session.wait_until(lambda s: s.state is SessionState.RECONNECTING, WAIT)
    control.messaging_agent(sid, "messages", {"text": "while away", "count": 4})
    await session.wait_until(lambda s: len(_texts(s, MemberRole.AGENT)) >= 7, WAIT)
    await session.wait_until(lambda s: s.state is SessionState.CONNECTED, WAIT)
    await _until_same_as_emulator(session, control, sid)
    assert session.client.stats.connects >= 2


async def test_resume_after_a_client_restart_shows_history_once(
    new_session: SessionFactory, control: ControlClient, tmp_path: Path
) -> None:
    store = TokenStore(tmp_path / "persisted.json")
    first = await new_session(store=store)
    sid = _sid(control, first)
    await first.send("my question")
    control.messaging_agent(sid, "messages", {"text": "an answer", "count": 2})
    await first.wait_until(lambda s: len(s.messages) >= 3, WAIT)
    await first.close()
    again = await new_session(store=TokenStore(tmp_path / "persisted.json"))  # a new process would do this
    assert again.token.get() == first.token.get() and again.new_session is False
    await _until_same_as_emulator(again, control, sid)  # all, once, in order
    assert [m.id for m in first.messages] == [m.id for m in again.messages][: len(first.messages)]
    await again.send("still there?")
    await again.wait_until(lambda s: len(s.messages) >= 4, WAIT)
    assert _texts(again).count("my question") == 1 and _texts(again).count("still there?") == 1


async def test_read_only_after_disconnect_refuses_sending_then_start_new(
    new_session: SessionFactory, control: ControlClient, tmp_path: Path
) -> None:
    session = await new_session()
    sid = _sid(control, session)
    control.messaging_agent(sid, "messages", {"text": "bye now"})
    await session.wait_until(lambda s: s.state is SessionState.CONNECTED, WAIT)
    control.messaging_agent(sid, "disconnect", {"readOnly": True})
    await session.wait_until(lambda s: s.state is SessionState.READ_ONLY, WAIT)
    assert session.end_cause is EndCause.AGENT_ENDED and session.end_reason
    with pytest.raises(e.SessionReadOnly):
        await session.send("can I still write?")
    # The service refuses too (409), and the client maps it.
    raw = OnMessage(token=session.token.get(), message=OutgoingMessage(type="Text", text="raw"))
    with pytest.raises(e.SessionReadOnly):
        await session.client.request(raw, frozenset({"StructuredMessage"}))
    assert 409 in _codes(control, sid)
    # A restart of the client shows the read-only state and the history.
    await session.close()
    again = await new_session(store=TokenStore(tmp_path / "tokens.json"))
    assert again.state is SessionState.READ_ONLY
    await again.wait_until(lambda s: "bye now" in _texts(s), WAIT)
    # startNew: same token, fresh conversation.
    await again.start_new()
    assert again.state is SessionState.WAITING_FOR_AGENT and again.messages == []
    await again.send("new topic")
    await again.wait_until(lambda s: _texts(s) == ["new topic"] or "new topic" in _texts(s), WAIT)
    tokens = [s for s in control.messaging_sessions() if s["token"] == again.token.get()]
    assert len(tokens) >= 2  # the old session and the new one


async def test_fourth_connection_of_a_token_is_refused(new_session: SessionFactory, tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "shared.json")
    sessions = [await new_session(store=store) for _ in range(3)]
    assert len({s.token.get() for s in sessions}) == 1
    with pytest.raises(e.SessionLimitReached):
        await new_session(store=store)
    assert all(s.state in (SessionState.WAITING_FOR_AGENT, SessionState.CONNECTED) for s in sessions)


async def test_a_burst_of_20_is_paced_and_delivered_without_4029(
    new_session: SessionFactory, control: ControlClient
) -> None:
    session = await new_session()
    texts = [f"burst {i}" for i in range(20)]
    sent = await asyncio.gather(*(session.send(t) for t in texts))
    assert [m.body for m in sent] == texts
    sid = _sid(control, session)
    codes = _codes(control, sid)
    assert 4029 not in codes and 429 not in codes
    assert [m.body for m in session.messages if m.is_own] == texts


async def test_4029_retry_after_is_honoured_and_the_message_delivered(
    new_session: SessionFactory, control: ControlClient
) -> None:
    session = await new_session()
    sid = _sid(control, session)
    notices: list[str] = []
    session.subscribe(lambda ev: notices.append(getattr(ev, "kind", "")))
    control.messaging_session_action(sid, "ratelimit", {"count": 1, "retryAfter": 1})
    message = await session.send("after the limit")
    assert message.body == "after the limit"
    assert _codes(control, sid)[-2:] == [4029, 200]
    assert "rate-limited" in notices
    assert _texts(session).count("after the limit") == 1


async def test_a_raw_burst_does_get_4029(new_session: SessionFactory, control: ControlClient) -> None:
    session = await new_session()
    results: list[Any] = []
    for i in range(8):  # unpaced, straight on the socket
        request = OnMessage(token=session.token.get(), message=OutgoingMessage(type="Text", text=f"raw {i}"))
        results.append(session.client.request(request, frozenset({"StructuredMessage"})))
    outcomes = await asyncio.gather(*results, return_exceptions=True)
    assert any(isinstance(o, e.RateLimited) for o in outcomes)


async def test_custom_attributes_over_the_limit(
    new_session: SessionFactory, emu: EmbeddedEmulator, control: ControlClient
) -> None:
    control.patch_messaging_deployment(emu.messaging_direct_deployment_id, maxCustomDataBytes=64)
    big = {"note": "x" * 100}
    session = await new_session(start=False, custom_attributes=big)
    with pytest.raises(e.CustomAttributesTooLarge):
        await session.start()  # refused by the client once the session says its limit: nothing sent
    ok = await new_session(custom_attributes={"plan": "gold"})
    await ok.send("with attributes")
    sid = _sid(control, ok)
    assert control.messaging_session_for(ok.token.get())["customAttributes"] == {"plan": "gold"}
    with pytest.raises(e.CustomAttributesTooLarge):
        ok.set_custom_attributes(big)
    raw = OnMessage(
        token=ok.token.get(),
        message=OutgoingMessage(type="Text", text="raw"),
        channel=CustomAttributesChannel(metadata=ChannelMetadata(custom_attributes=big)),
    )
    with pytest.raises(e.CustomAttributesTooLarge):  # and the service's 4013 maps to the same error
        await ok.client.request(raw, frozenset({"StructuredMessage"}))
    assert 4013 in _codes(control, sid)


async def test_origin_is_enforced_by_the_restricted_deployment(
    new_session: SessionFactory, emu: EmbeddedEmulator
) -> None:
    with pytest.raises(e.AccessDenied):
        await new_session(emu.messaging_restricted_deployment_id)
    with pytest.raises(e.AccessDenied):
        await new_session(emu.messaging_restricted_deployment_id, origin="https://elsewhere.example")
    ok = await new_session(emu.messaging_restricted_deployment_id, origin=emu.messaging_allowed_origin)
    assert ok.state is SessionState.WAITING_FOR_AGENT


async def test_unknown_deployment_is_refused(new_session: SessionFactory) -> None:
    with pytest.raises(e.MessagingError):
        await new_session(str(uuid.uuid4()))


async def test_expiry_ends_the_session(new_session: SessionFactory, control: ControlClient) -> None:
    session = await new_session()
    changes: list[StateChanged] = []
    session.subscribe(lambda ev: changes.append(ev) if isinstance(ev, StateChanged) else None)
    control.messaging_session_action(_sid(control, session), "expire")
    await session.wait_until(lambda s: s.state is SessionState.ENDED, WAIT)
    assert session.end_cause is EndCause.EXPIRED and changes[-1].cause is EndCause.EXPIRED
    with pytest.raises(e.SessionClosed):
        await session.send("hello?")


async def test_clear_wipes_the_conversation_and_the_token_starts_afresh(
    new_session: SessionFactory, control: ControlClient, tmp_path: Path
) -> None:
    session = await new_session()
    await session.send("forget me")
    await session.clear()
    assert session.state is SessionState.ENDED and session.end_cause is EndCause.CLEARED
    assert session.messages == []
    again = await new_session(store=TokenStore(tmp_path / "tokens.json"))
    assert again.token.get() == session.token.get() and again.new_session is True and again.messages == []


async def test_clear_refused_when_the_deployment_does_not_allow_it(
    new_session: SessionFactory, emu: EmbeddedEmulator, control: ControlClient
) -> None:
    control.patch_messaging_deployment(emu.messaging_direct_deployment_id, clearEnabled=False)
    session = await new_session()
    with pytest.raises(e.Forbidden):
        await session.clear()
    assert session.state is SessionState.WAITING_FOR_AGENT


async def test_attachment_round_trip_and_refusals(
    new_session: SessionFactory, control: ControlClient, tmp_path: Path
) -> None:
    session = await new_session()
    sid = _sid(control, session)
    sent = await session.send_attachment(b"hello file\n", filename="note.txt", text="see attached")
    attachment = next(c for c in sent.content if isinstance(c, Attachment))
    assert attachment.filename == "note.txt" and sent.body == "see attached"
    back = await session.download_attachment(attachment, tmp_path)
    assert back.read_bytes() == b"hello file\n"
    before = len(control.messaging_record(sid))
    with pytest.raises(e.FileTypeInvalid):
        await session.send_attachment(b"MZ", filename="setup.exe")
    with pytest.raises(e.FileSizeInvalid):
        await session.send_attachment(b"", filename="empty.txt")
    with pytest.raises(e.FileSizeInvalid):
        await session.send_attachment(b"x" * 10_300_000, filename="big.bin")
    assert len(control.messaging_record(sid)) == before  # refused before anything was sent
    # The agent's file, downloaded through a fresh URL.
    control.messaging_agent(sid, "attachment", {"fileName": "report.txt", "text": "numbers\n"})
    await session.wait_until(
        lambda s: any(isinstance(c, Attachment) and not m.is_own for m in s.messages for c in m.content), WAIT
    )
    theirs = next(c for m in session.messages if not m.is_own for c in m.content if isinstance(c, Attachment))
    path = await session.download_attachment(theirs, tmp_path / "theirs.txt")
    assert path.read_bytes() == b"numbers\n"


async def test_authenticated_session(new_session: SessionFactory, emu: EmbeddedEmulator) -> None:
    with pytest.raises(e.Forbidden):
        await new_session(emu.messaging_auth_deployment_id)
    session = await new_session(
        emu.messaging_auth_deployment_id,
        store=TokenStore(None),
        start_kwargs={"auth_code": emu.messaging_auth_code},
    )
    assert session.state is SessionState.WAITING_FOR_AGENT
    await session.send("signed in")


async def test_leave_closes_the_session(new_session: SessionFactory, control: ControlClient) -> None:
    session = await new_session()
    await session.leave()
    assert session.state is SessionState.ENDED and session.end_cause is EndCause.GUEST_LEFT
    assert control.messaging_session_for(session.token.get())["state"] != "active"


async def test_the_session_ttl_runs_out_without_activity(
    new_session: SessionFactory, emu: EmbeddedEmulator, control: ControlClient
) -> None:
    control.patch_messaging_deployment(
        emu.messaging_direct_deployment_id, durationSeconds=60
    )  # about 1 s at test scale
    session = await new_session(autostart=False)
    assert session.expires_at is not None
    await session.wait_until(lambda s: s.state is SessionState.ENDED, WAIT)
    assert session.end_cause is EndCause.EXPIRED


async def test_messages_sent_while_reconnecting_are_delivered_once(
    new_session: SessionFactory, control: ControlClient
) -> None:
    session = await new_session()
    sid = _sid(control, session)
    control.set_messaging_faults(refuseHandshakes=3)
    control.messaging_session_action(sid, "drop")
    await session.wait_until(lambda s: s.state is SessionState.RECONNECTING, WAIT)
    sent = await asyncio.gather(session.send("queued one"), session.send("queued two"))
    assert [m.body for m in sent] == ["queued one", "queued two"]
    await _until_same_as_emulator(session, control, sid)
    assert _texts(session).count("queued one") == 1 and _texts(session).count("queued two") == 1


async def test_a_send_cut_off_by_a_drop_is_reconciled_not_duplicated(
    new_session: SessionFactory, control: ControlClient
) -> None:
    session = await new_session()
    sid = _sid(control, session)
    await session.wait_until(lambda s: s.agent is not None, WAIT)
    control.set_messaging_faults(delayMs=3000)  # pushed frames (the echo among them) wait 3 s on this socket
    sending = asyncio.create_task(session.send("exactly once please"))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not any(m.get("text") == "exactly once please" for m in control.messaging_messages(sid)):
        assert loop.time() < deadline
        await asyncio.sleep(0.02)
    session.client.drop()  # the network fails: the service has the message, its echo is lost with the socket
    control.clear_messaging_faults()
    message = await asyncio.wait_for(sending, WAIT)
    assert message.body == "exactly once please"
    await _until_same_as_emulator(session, control, sid)
    assert _texts(session).count("exactly once please") == 1
    sends = [
        ev
        for ev in control.messaging_record(sid)
        if ev["action"] == "onMessage" and "exactly once" in str(ev.get("request"))
    ]
    assert len(sends) == 1  # reconciled against history, not sent again


async def test_code_exchange_then_authenticated_session_then_logout(
    new_session: SessionFactory, emu: EmbeddedEmulator, tmp_path: Path
) -> None:
    session = await new_session(emu.messaging_auth_deployment_id, start=False)
    jwt, refresh = await session.client.exchange_code(emu.messaging_auth_code, "https://www.example.com/back")
    assert jwt and refresh
    await session.start(auth_code=jwt)
    assert session.state in (SessionState.WAITING_FOR_AGENT, SessionState.CONNECTED)
    await session.logout()
    assert session.state is SessionState.ENDED and session.end_cause is EndCause.LOGGED_OUT
    with pytest.raises(e.MessagingError):
        await session.client.exchange_code("not-the-code", "https://www.example.com/back")


async def test_a_guest_cannot_reuse_an_authenticated_token(
    new_session: SessionFactory, emu: EmbeddedEmulator, tmp_path: Path
) -> None:
    store = TokenStore(tmp_path / "auth.json")
    signed_in = await new_session(
        emu.messaging_auth_deployment_id, store=store, start_kwargs={"auth_code": emu.messaging_auth_code}
    )
    await signed_in.close()
    with pytest.raises(e.CannotDowngrade):
        await new_session(emu.messaging_auth_deployment_id, store=store)
    assert store.get(emu.messaging_auth_deployment_id) is None  # forgotten, as the vendor's client does


async def test_rich_content_from_the_agent_and_the_guest_answers(
    new_session: SessionFactory, control: ControlClient
) -> None:
    session = await new_session()
    sid = _sid(control, session)
    for what in ("card", "carousel", "datepicker", "listpicker"):
        control.messaging_agent(sid, what)

    def kinds(s: MessagingSession) -> set[type]:
        return {type(c) for m in s.messages for c in m.content}

    await session.wait_until(lambda s: {Card, Carousel, DatePicker, ListPicker} <= kinds(s), WAIT)
    by_kind = {type(c): (m, c) for m in session.messages for c in m.content}
    card_message, card = by_kind[Card]
    assert isinstance(card, Card) and card.actions
    carousel = by_kind[Carousel][1]
    assert isinstance(carousel, Carousel) and len(carousel.cards) >= 2
    picker_message, picker = by_kind[DatePicker]
    assert isinstance(picker, DatePicker) and picker.times and picker.times[0].date_time is not None
    list_message, listing = by_kind[ListPicker]
    assert isinstance(listing, ListPicker) and listing.sections and listing.sections[0].items

    button = next(a for a in card.actions if a.payload)
    slot = picker.times[0]
    item = listing.sections[0].items[0]
    answers = [
        ContentChoice(card_message.id, "Button", button.text, button.payload or ""),
        ContentChoice(picker_message.id, "DatePicker", slot.raw, slot.raw),
        ContentChoice(list_message.id, "ListPicker", item.title, item.id),
    ]
    for choice in answers:
        echoed = await session.respond(choice)
        assert echoed.is_own and echoed.body == choice.text
    assert all(code == 200 for code in _codes(control, sid))
    sent = [ev["request"]["message"] for ev in control.messaging_record(sid) if ev["action"] == "onMessage"]
    responses = [m["content"][0]["buttonResponse"] for m in sent if m.get("content")]
    assert [(r["type"], r["payload"]) for r in responses] == [(c.kind, c.payload) for c in answers]


async def test_the_bots_message_ends_its_typing_indicator_at_once(
    emu: EmbeddedEmulator, new_session: SessionFactory
) -> None:
    """The bot types before its greeting; a typing event carries no originatingEntity (so the session cannot
    tell it is the bot's), yet the greeting must end "Emulator Bot is typing…" at once, not ~5 s later."""
    seen_typing: list[tuple[str, ...]] = []
    session = await new_session(emu.messaging_deployment_id, start=False, typing_expiry=600.0)
    session.subscribe(
        lambda ev: (
            seen_typing.append(tuple(m.display_name for m in session.typing_members))
            if isinstance(ev, TypingChanged)
            else None
        )
    )
    await session.start()
    await session.wait_until(lambda s: bool(_texts(s, MemberRole.BOT)), WAIT)
    assert ("Emulator Bot",) in seen_typing  # it did type first
    assert session.typing_members == ()


async def test_a_large_upload_reports_its_progress_until_the_whole_file(
    new_session: SessionFactory, control: ControlClient, tmp_path: Path
) -> None:
    """A 3 MB file goes up in pieces: `progress(sent, total)` climbs in several steps to the whole size, and
    the emulator holds exactly the bytes sent (the length is announced, not chunked)."""
    session = await new_session()
    data = bytes(range(256)) * (3_000_000 // 256)
    path = tmp_path / "large.txt"
    path.write_bytes(data)
    seen: list[tuple[int, int]] = []
    sent = await session.send_attachment(path, mime="text/plain", progress=lambda s, t: seen.append((s, t)))
    assert len(seen) >= 10
    assert [s for s, _ in seen] == sorted(s for s, _ in seen)
    assert seen[-1] == (len(data), len(data)) and {t for _, t in seen} == {len(data)}
    attachment = next(c for c in sent.content if isinstance(c, Attachment))
    back = await session.download_attachment(attachment, tmp_path / "back.txt")
    assert back.read_bytes() == data
