"""Pilot tests of the whole Web Messaging flow in the app, by keyboard, against the real emulator (issue 11):
join on the bot-first deployment, the bot's quick replies, a card button, a date picker, hand-over to an
agent, typing both ways, a file received and saved, transfer, "bye" -> read-only -> Start new, and quitting
and coming back -> the earlier messages shown once. Every answer the guest gives is asserted in the
emulator's record of what the guest sent (`control.messaging_record`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from tests.tui.helpers import build_app, chat_screen, log_text, wait_for_join_form, wait_until
from tests.tui.screen_text import screen_text
from webchat_tui.chat.types import SessionState
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.emulator.messaging.director import AGENT_FILE_NAME
from webchat_tui.tui.app import WebchatApp
from webchat_tui.tui.screens.chat import ChatScreen
from webchat_tui.tui.screens.file_pick import FilePickScreen
from webchat_tui.tui.screens.join import JoinScreen
from webchat_tui.tui.screens.resume import ResumeScreen
from webchat_tui.tui.widgets.composer import Composer
from webchat_tui.tui.widgets.member_list import MemberList
from webchat_tui.tui.widgets.message_log import MessageLog
from webchat_tui.tui.widgets.typing_indicator import TypingIndicator

WAIT = 30.0  # generous: the machine is shared; never a timing assertion


def _app(emu: Any, tmp_path: Path) -> WebchatApp:
    return build_app(emu, tmp_path, channel="messaging", token_store_path=tmp_path / "tokens.json")


def _sid(app: WebchatApp, control: ControlClient) -> str:
    assert app.chat_handle is not None
    return str(control.messaging_session_for(app.chat_handle.session.token.get())["id"])


def _answers(control: ControlClient, sid: str) -> list[tuple[str, str]]:
    """(type, payload) of every ButtonResponse the guest sent, in order."""
    out = []
    for event in control.messaging_record(sid):
        message = (event.get("request") or {}).get("message") or {}
        for item in message.get("content") or []:
            if item.get("contentType") == "ButtonResponse":
                out.append((item["buttonResponse"]["type"], item["buttonResponse"]["payload"]))
    return out


def _texts(control: ControlClient, sid: str) -> list[str]:
    """The text messages the guest sent, in order."""
    out = []
    for event in control.messaging_record(sid):
        message = (event.get("request") or {}).get("message") or {}
        if message.get("type") == "Text" and not message.get("content") and message.get("text"):
            out.append(message["text"])
    return out


async def _type(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*text, "enter")


async def _join(pilot: Pilot[Any], app: WebchatApp) -> None:
    await wait_for_join_form(pilot)
    await pilot.press(*"Ada", "enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), WAIT)


async def _resume(pilot: Pilot[Any], app: WebchatApp) -> None:
    """Name and Enter on the join form, then "Resume the previous conversation" (r) on the prompt."""
    await wait_for_join_form(pilot)
    await pilot.press(*"Ada", "enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ResumeScreen), WAIT)
    await pilot.press("r")
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), WAIT)


async def test_web_messaging_flow_by_keyboard(emu: Any, control: ControlClient, tmp_path: Path) -> None:
    """The whole guest journey at 80x24, every answer checked in the emulator's record; f2 stays the info
    panel on the chat screen (choices are on f4)."""
    app = _app(emu, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _join(pilot, app)
        assert app.chat_handle is not None and app.chat_handle.channel == "messaging"
        await wait_until(pilot, lambda: "[1] Talk to an agent" in log_text(app), WAIT)
        sid = _sid(app, control)
        await pilot.press("f2")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "InfoScreen", WAIT)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), WAIT)

        # the bot's quick replies: f4 goes to them, 2 picks "Show me a card"; answered once
        await pilot.press("f4", "2")
        await wait_until(pilot, lambda: ("QuickReply", "card") in _answers(control, sid), WAIT)
        await wait_until(pilot, lambda: "✓ answered: Show me a card" in log_text(app), WAIT)
        assert not any(offer == 0 for offer, _ in chat_screen(app).query_one(MessageLog).open_choices())
        # a card: title, description, image as text, buttons; the Postback button sends its payload
        await wait_until(pilot, lambda: "Card: Emulator plan 1" in log_text(app), WAIT)
        assert "image https://example.com/emulator/plan-1.png" in log_text(app).replace("\n", " ")
        await pilot.press("f4", "1")
        await wait_until(pilot, lambda: ("Button", "plan-1") in _answers(control, sid), WAIT)
        await wait_until(pilot, lambda: "Good choice: plan-1." in log_text(app), WAIT)
        assert _answers(control, sid).count(("QuickReply", "card")) == 1

        # a date picker: f4, right arrow, Enter picks the second slot
        await _type(pilot, "book")  # a pick puts the focus back in the message box
        await wait_until(pilot, lambda: "Date picker: Book an appointment" in log_text(app), WAIT)
        await pilot.press("f4", "right", "enter")
        await wait_until(pilot, lambda: any(k == "DatePicker" for k, _ in _answers(control, sid)), WAIT)
        slot = next(p for k, p in _answers(control, sid) if k == "DatePicker")
        await wait_until(pilot, lambda: f"You're booked for {slot}" in log_text(app), WAIT)
        # the guest's own line reads as the slot was offered, not as the ISO payload
        assert f": {slot}" not in log_text(app)

        # hand-over to an agent
        await _type(pilot, "agent please")
        await wait_until(pilot, lambda: "Connected to" in screen_text(app), WAIT)
        await wait_until(pilot, lambda: "Emulator Bot handed you over to" in log_text(app), WAIT)
        members = chat_screen(app).query_one(MemberList).members.values()
        roles = {m.display_name: m.role for m in members}
        agent = app.chat_handle.session.agent
        assert agent is not None
        assert roles == {"Ada": "CUSTOMER", "Emulator Bot": "BOT", agent.display_name: "AGENT"}
        assert "agent please" in _texts(control, sid)

        # typing both ways: the agent's indicator shows; the guest's typing reaches the service
        control.messaging_agent(sid, "typing")
        indicator = chat_screen(app).query_one(TypingIndicator)
        await wait_until(pilot, lambda: indicator.names, WAIT)
        await pilot.press(*"hel")
        await wait_until(pilot, lambda: "Typing" in _event_types(control, sid), WAIT)
        await pilot.press("backspace", "backspace", "backspace")

        # a file from the agent: name, type and size; 1 saves it (fresh URL) into the transcripts folder
        await _type(pilot, "send me the file")
        await wait_until(pilot, lambda: f"Attachment: {AGENT_FILE_NAME} (text/plain" in log_text(app), WAIT)
        await pilot.press("f4", "1")
        saved = tmp_path / AGENT_FILE_NAME
        await wait_until(pilot, lambda: saved.exists(), WAIT)
        assert saved.read_bytes().startswith(b"Emulator receipt")
        await wait_until(pilot, lambda: f"Saved {AGENT_FILE_NAME} to" in log_text(app), WAIT)
        await pilot.press("escape")  # back to the message box
        assert app.focused is chat_screen(app).query_one(Composer).input

        # transfer: the next agent greets
        first = app.chat_handle.session.agent
        await _type(pilot, "transfer me")
        await wait_until(
            pilot,
            lambda: (
                app.chat_handle is not None
                and app.chat_handle.session.agent is not None
                and app.chat_handle.session.agent != first
            ),
            WAIT,
        )
        second = app.chat_handle.session.agent
        assert second is not None and first is not None
        # the status line names the agent now answering, and the member list shows the first one as left
        await wait_until(pilot, lambda: f"Connected to {second.display_name}" in screen_text(app), WAIT)
        assert f"Connected to {first.display_name}" not in screen_text(app)

        # bye -> read-only (composer disabled with the reason) -> ctrl+n starts a new conversation; an offer
        # left open in the old conversation no longer takes picks
        control.messaging_agent(sid, "card")
        await wait_until(pilot, lambda: log_text(app).count("[1] Choose plan 1") == 2, WAIT)
        await _type(pilot, "bye")
        await wait_until(pilot, lambda: app.chat_handle.session.state is SessionState.READ_ONLY, WAIT)
        await wait_until(pilot, lambda: "Read-only" in screen_text(app), WAIT)
        assert chat_screen(app).query_one(Composer).input.read_only
        # the card left open closes with the conversation (no "f4 jumps here" where f4 does nothing)
        await wait_until(pilot, lambda: "no longer open (the conversation has ended)" in log_text(app), WAIT)
        assert log_text(app).count("f4 jumps here") == 0
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: app.chat_handle.session.state is not SessionState.READ_ONLY, WAIT)
        await wait_until(pilot, lambda: "A new conversation started." in log_text(app), WAIT)
        assert not chat_screen(app).query_one(Composer).input.read_only
        assert "no longer open (the conversation has ended)" in log_text(app)
        assert (
            any((e.get("request") or {}).get("startNew") is True for e in control.messaging_record(sid))
            or len(control.messaging_sessions(token=app.chat_handle.session.token.get())) > 1
        )
        # the texts the guest typed all reached the service, each once
        sent = _texts(control, sid)
        for text in ("book", "agent please", "send me the file", "transfer me", "bye"):
            assert sent.count(text) == 1, (text, sent)


async def test_quit_and_come_back_shows_the_history_once_marked_earlier(
    emu: Any, control: ControlClient, tmp_path: Path
) -> None:
    """A stored conversation offers Resume / Start new; resuming shows the earlier messages once, between an
    "earlier" mark and a "now" mark, then new ones."""
    app = _app(emu, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _join(pilot, app)
        await wait_until(pilot, lambda: "[1] Talk to an agent" in log_text(app), WAIT)
        await _type(pilot, "first visit")
        await wait_until(pilot, lambda: "Ada: first visit" in log_text(app), WAIT)
        sid = _sid(app, control)
    again = _app(emu, tmp_path)
    async with again.run_test(size=(80, 24)) as pilot:
        await _resume(pilot, again)
        await wait_until(pilot, lambda: "Ada: first visit" in log_text(again), WAIT)
        assert _sid(again, control) == sid
        await _type(pilot, "second visit")
        await wait_until(pilot, lambda: "Ada: second visit" in log_text(again), WAIT)
        text = log_text(again)
        assert text.count("Ada: first visit") == 1
        assert text.count("Hi, I'm the emulator's bot") == 1
        assert (
            text.index("earlier in this conversation") < text.index("first visit") < text.index("── now ──")
        )
        assert text.index("── now ──") < text.index("second visit")
        assert _texts(control, sid) == ["first visit", "second visit"]


async def test_resuming_a_read_only_conversation_reads_in_order_with_its_offers_closed(
    emu: Any, control: ControlClient, tmp_path: Path
) -> None:
    """Coming back to a conversation that ended read-only: its history first (between the "earlier" mark and
    the rest), then the words that it ended; the bot's old quick replies are closed, not offered with f4."""
    app = _app(emu, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _join(pilot, app)
        await wait_until(pilot, lambda: "[1] Talk to an agent" in log_text(app), WAIT)
        await _type(pilot, "bye")
        await wait_until(pilot, lambda: app.chat_handle.session.state is SessionState.READ_ONLY, WAIT)
        # the bot ended it, not an agent: the words blame nobody
        await wait_until(pilot, lambda: "The conversation was ended; you can read it" in log_text(app), WAIT)
        assert "The agent ended" not in log_text(app)
    again = _app(emu, tmp_path)
    async with again.run_test(size=(80, 24)) as pilot:
        await _resume(pilot, again)
        await wait_until(pilot, lambda: "Ada: bye" in log_text(again), WAIT)
        await wait_until(pilot, lambda: "you can read it but not reply" in log_text(again), WAIT)
        text = log_text(again)
        assert (
            text.index("earlier in this conversation")
            < text.index("Ada: bye")
            < text.index("you can read it but not reply")
        )
        assert "f4 jumps here" not in text and "no longer open (the conversation has ended)" in text


async def test_start_new_from_the_resume_prompt(emu: Any, control: ControlClient, tmp_path: Path) -> None:
    """ "Start new" on the prompt begins a new conversation (configureSession startNew) without history."""
    app = _app(emu, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _join(pilot, app)
        await _type(pilot, "old words")
        await wait_until(pilot, lambda: "Ada: old words" in log_text(app), WAIT)
    again = _app(emu, tmp_path)
    async with again.run_test(size=(80, 24)) as pilot:
        await wait_for_join_form(pilot)
        await pilot.press(*"Ada", "enter")
        await wait_until(pilot, lambda: isinstance(again.screen, ResumeScreen), WAIT)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(again.screen, ChatScreen), WAIT)
        await wait_until(pilot, lambda: "[1] Talk to an agent" in log_text(again), WAIT)
        assert "old words" not in log_text(again)
        sid = _sid(again, control)
        configures = [e for e in control.messaging_record(sid) if e.get("action") == "configureSession"]
        assert configures and configures[0]["request"].get("startNew") is True


def _event_types(control: ControlClient, sid: str) -> list[str]:
    """The event types (Typing, Presence...) the guest sent, in order."""
    out = []
    for event in control.messaging_record(sid):
        message = (event.get("request") or {}).get("message") or {}
        out += [str(ev.get("eventType")) for ev in message.get("events") or []]
    return out


async def test_a_file_is_sent_by_keyboard_and_refused_types_and_sizes_never_upload(
    emu: Any, control: ControlClient, tmp_path: Path, monkeypatch: Any
) -> None:
    """ctrl+u in the empty message box opens the file picker (tree and path box, both by keyboard): a text
    file is uploaded and sent (the emulator's record has the onAttachment and the message with it); a blocked
    type and a file over the deployment's size limit are refused before upload, with the reason."""
    control.patch_messaging_deployment(emu.messaging_deployment_id, maxFileSizeKB=1)
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "note.txt").write_text("hello file\n")
    (folder / "tool.exe").write_bytes(b"MZ")
    (folder / "big.txt").write_text("x" * 5000)
    monkeypatch.chdir(folder)
    app = _app(emu, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _join(pilot, app)
        await wait_until(pilot, lambda: "[1] Talk to an agent" in log_text(app), WAIT)
        sid = _sid(app, control)

        async def send(name: str) -> None:
            await pilot.press("ctrl+u")
            await wait_until(pilot, lambda: isinstance(app.screen, FilePickScreen), WAIT)
            # the picker states the rules before anything is chosen, blocked extensions included
            assert "at most 1 KB; blocked: " in screen_text(app) and ".exe" in screen_text(app)
            await pilot.press("tab", *name, "enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), WAIT)

        await send("tool.exe")
        await wait_until(pilot, lambda: "Not sent: tool.exe" in log_text(app), WAIT)
        await send("big.txt")
        await wait_until(pilot, lambda: "Not sent: big.txt" in log_text(app), WAIT)
        await send("note.txt")
        await wait_until(pilot, lambda: "Attachment: note.txt (text/plain, 11 bytes)" in log_text(app), WAIT)
        record = control.messaging_record(sid)
        uploads = [e["request"].get("fileName") for e in record if e.get("action") == "onAttachment"]
        assert uploads == ["note.txt"]
        contents = [
            item.get("contentType")
            for e in record
            for item in ((e.get("request") or {}).get("message") or {}).get("content") or []
        ]
        assert "Attachment" in contents


async def test_join_form_shows_the_chosen_channels_fields(
    emu: Any, control: ControlClient, tmp_path: Path
) -> None:
    """Web Messaging is the default: its fields only (deployment id filled with the emulator's bot-first
    deployment, Origin, auth code, custom attributes with their size), at 80x24; Web Chat v2 shows its own
    fields again with its own ids; an unknown deployment is refused in plain words next to the form."""
    app = _app(emu, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_join_form(pilot)
        join = app.screen
        assert isinstance(join, JoinScreen)
        assert join.query_one("#channel", Select).value == "messaging"
        assert join.query_one("#deployment_id", Input).value == emu.messaging_deployment_id
        for name in ("queue", "organization_id", "email", "member_auth_token"):
            assert not join.query_one(f"#row-{name}").display, name
        for name in ("origin", "auth_code", "deployment_id"):
            assert join.query_one(f"#row-{name}").display, name
        assert join.query_one("#auth_code", Input).password
        await pilot.press("ctrl+f", *"plan", "tab", *"gold")
        await wait_until(
            pilot,
            lambda: (
                "Custom attributes (8 of 2,048 bytes)"
                in str(join.query_one("#custom-title", Static).render())
            ),
        )

        join.query_one("#channel", Select).value = "webchat"
        await wait_until(pilot, lambda: join.query_one("#row-queue").display, WAIT)
        assert not join.query_one("#row-origin").display
        assert join.query_one("#deployment_id", Input).value == emu.seed.deployment_id
        assert join.query_one("#organization_id", Input).value == emu.seed.organization_id
        assert "Custom fields" == str(join.query_one("#custom-title", Static).render())
        join.query_one("#channel", Select).value = "messaging"
        await wait_until(pilot, lambda: join.query_one("#row-origin").display, WAIT)
        assert join.query_one("#deployment_id", Input).value == emu.messaging_deployment_id

        join.query_one("#deployment_id", Input).value = "00000000-0000-0000-0000-000000000000"
        join.query_one("#display_name", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: "could not start" in screen_text(app), WAIT)
        assert isinstance(app.screen, JoinScreen)


@pytest.mark.parametrize(("action", "words"), [("expire", "expired"), ("clear", "cleared")])
async def test_expired_and_cleared_are_said_in_plain_words(
    emu: Any, control: ControlClient, tmp_path: Path, action: str, words: str
) -> None:
    """The session expiring and the conversation being cleared end the chat with those words in the status,
    the transcript and the read-only message box."""
    app = _app(emu, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _join(pilot, app)
        await wait_until(pilot, lambda: "[1] Talk to an agent" in log_text(app), WAIT)
        control.messaging_session_action(_sid(app, control), action)
        await wait_until(pilot, lambda: "Chat ended: " in log_text(app), WAIT)
        assert words in log_text(app).lower(), log_text(app)
        assert words in screen_text(app).splitlines()[1].lower()
        assert chat_screen(app).query_one(Composer).input.read_only


async def test_transcripts_carry_rich_content_choices_and_files(
    emu: Any, control: ControlClient, tmp_path: Path
) -> None:
    """Markdown and JSON transcripts hold the quick replies offered, the choice made, a card with its
    buttons, and a received file with its size and where it was saved."""
    app = _app(emu, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _join(pilot, app)
        await wait_until(pilot, lambda: "[1] Talk to an agent" in log_text(app), WAIT)
        sid = _sid(app, control)
        await pilot.press("f4", "2")
        await wait_until(pilot, lambda: "Card: Emulator plan 1" in log_text(app), WAIT)
        control.messaging_agent(
            sid, "attachment", {"fileName": "receipt.txt", "mime": "text/plain", "text": "paid"}
        )
        await wait_until(
            pilot, lambda: "Attachment: receipt.txt (text/plain, 4 bytes)" in log_text(app), WAIT
        )
        await pilot.press("f4", "1")
        await wait_until(pilot, lambda: (tmp_path / "receipt.txt").exists(), WAIT)
        await wait_until(pilot, lambda: "Saved receipt.txt to" in log_text(app), WAIT)
        await pilot.press("escape", "ctrl+s", "ctrl+o")
        screen = chat_screen(app)
        await wait_until(pilot, lambda: len(screen.saved_paths) == 2, WAIT)
    markdown = next(p for p in screen.saved_paths if p.suffix == ".md").read_text()
    data = json.loads(next(p for p in screen.saved_paths if p.suffix == ".json").read_text())
    for words in (
        "Quick replies: Talk to an agent · Show me a card · Book an appointment",
        "You chose Show me a card (quick reply)",
        "Card: Emulator plan 1",
        "buttons: Choose plan 1 · Read more",
        "Attachment: receipt.txt (text/plain, 4 bytes)",
        "Saved receipt.txt to",
    ):
        assert words in markdown.replace("\\", ""), words
    kinds = [line["kind"] for line in data["lines"]]
    for kind in ("quick-replies", "choice", "card", "attachment", "saved"):
        assert kind in kinds, kind
    choice = next(line for line in data["lines"] if line["kind"] == "choice")
    assert choice["data"]["payload"] == "card" and choice["data"]["kind"] == "QuickReply"
    saved = next(line for line in data["lines"] if line["kind"] == "saved")
    assert saved["data"]["path"] == str(tmp_path / "receipt.txt")
    attachment = next(line for line in data["lines"] if line["kind"] == "attachment")
    assert attachment["data"]["filename"] == "receipt.txt" and attachment["data"]["size"] == "4"


async def test_queued_sends_show_a_small_sending_mark_and_arrive_in_order(
    emu: Any, control: ControlClient, tmp_path: Path
) -> None:
    """Five messages typed faster than the service's 2 per second: "sending… (N queued)" shows under the box
    while they wait, every one arrives once and in order, and the mark goes away."""
    app = _app(emu, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _join(pilot, app)
        await wait_until(pilot, lambda: "[1] Talk to an agent" in log_text(app), WAIT)
        sid = _sid(app, control)
        words = [f"queued {n}" for n in range(1, 6)]
        for text in words:  # every key at once, as a paste or a fast typist delivers them
            for character in text:
                app.post_message(events.Key(character if character != " " else "space", character))
            app.post_message(events.Key("enter", "\r"))
        await wait_until(pilot, lambda: "sending… (" in screen_text(app), WAIT)
        await wait_until(
            pilot, lambda: [t for t in _texts(control, sid) if t.startswith("queued")] == words, WAIT
        )
        await wait_until(pilot, lambda: "sending…" not in screen_text(app), WAIT)


async def test_a_rich_burst_lands_whole_in_the_pane(emu: Any, control: ControlClient, tmp_path: Path) -> None:
    """A burst of 300 agent messages, every 10th with quick replies (the emulator's `quickRepliesEvery`, as
    the ingest benchmark sends): every message is in the pane once, in order, with 30 rows of choices."""
    app = _app(emu, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _join(pilot, app)
        await wait_until(pilot, lambda: "[1] Talk to an agent" in log_text(app), WAIT)
        sid = _sid(app, control)
        control.messaging_agent(sid, "messages", {"text": "burst", "count": 300, "quickRepliesEvery": 10})
        log = chat_screen(app).query_one(MessageLog)
        await wait_until(pilot, lambda: any(e.body == "burst #300" for e in log.entries), WAIT)
        bodies = [e.body for e in log.entries if e.body.startswith("burst #")]
        assert bodies == [f"burst #{n}" for n in range(1, 301)]
        offers = [e for e in log.entries if e.choices == ("Yes", "No")]
        assert len(offers) == 30


async def test_a_link_button_shows_the_url_and_typing_goes_on_whole(
    emu: Any, control: ControlClient, tmp_path: Path
) -> None:
    """A card's Link button shows its URL in the transcript (and copies it) without answering the card; the
    focus is back in the message box, so a sentence typed right after arrives whole, spaces included (they
    used to go to the transcript, where space picked a choice)."""
    app = _app(emu, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _join(pilot, app)
        await wait_until(pilot, lambda: "[1] Talk to an agent" in log_text(app), WAIT)
        sid = _sid(app, control)
        control.messaging_agent(sid, "card", {"bot": True})
        await wait_until(pilot, lambda: "[2] Read more ↗" in log_text(app), WAIT)
        await pilot.press("f4", "2")
        await wait_until(pilot, lambda: "Link: https://example.com/emulator/plan-1" in log_text(app), WAIT)
        assert app.focused is chat_screen(app).query_one(Composer).input
        text = "thanks for the link"
        for character in text:
            app.post_message(events.Key(character if character != " " else "space", character))
        app.post_message(events.Key("enter", "\r"))
        await wait_until(pilot, lambda: text in _texts(control, sid), WAIT)
        assert not any(k == "Button" for k, _ in _answers(control, sid))


async def test_a_list_picker_item_is_picked_by_number(
    emu: Any, control: ControlClient, tmp_path: Path
) -> None:
    """A list picker from the bot shows its items as choices; 2 picks the second, sent as a ListPicker
    answer with the item's id (asserted in the emulator's record), and the offer shows it answered."""
    app = _app(emu, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _join(pilot, app)
        await wait_until(pilot, lambda: "[1] Talk to an agent" in log_text(app), WAIT)
        sid = _sid(app, control)
        control.messaging_agent(sid, "listpicker", {"bot": True})
        await wait_until(pilot, lambda: "List: Choose a plan:" in log_text(app), WAIT)
        await pilot.press("f4", "2")
        await wait_until(pilot, lambda: ("ListPicker", "plan-2") in _answers(control, sid), WAIT)
        await wait_until(pilot, lambda: "✓ answered: Emulator plan 2" in log_text(app), WAIT)


async def test_the_bots_greeting_clears_its_typing_line_at_once(
    emu: Any, control: ControlClient, tmp_path: Path
) -> None:
    """The bot types before its greeting; once the greeting is in the pane, "is typing…" is gone (the
    indicator would otherwise last its full expiry, here set far away)."""
    app = build_app(
        emu,
        tmp_path,
        channel="messaging",
        token_store_path=tmp_path / "tokens.json",
        session_options={"typing_expiry": 600.0},
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await _join(pilot, app)
        await wait_until(pilot, lambda: "Emulator Bot:" in log_text(app), WAIT)
        await pilot.pause()
        assert chat_screen(app).query_one(TypingIndicator).names == ()
        assert "is typing" not in screen_text(app)


async def test_a_carousel_is_one_item_with_numbered_cards_answered_by_keyboard(
    emu: Any, control: ControlClient, tmp_path: Path
) -> None:
    """The bot's carousel reads as one item: "▸ Carousel of 3 cards:", each card on its own numbered line, and
    one row of choices naming each button's card (it used to be two separate "Card:" offers). f4, → → and
    Enter answer with card 2's button, which reaches the emulator; the carousel then shows as answered."""
    app = _app(emu, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _join(pilot, app)
        await wait_until(pilot, lambda: "[1] Talk to an agent" in log_text(app), WAIT)
        sid = _sid(app, control)
        await _type(pilot, "carousel")
        await wait_until(pilot, lambda: "Card 3: Emulator plan 3" in log_text(app), WAIT)
        text = log_text(app)
        assert text.count("▸ Carousel of 3 cards:") == 1
        assert "▸ Card:" not in text  # no card drawn as an offer of its own
        lines = text.splitlines()
        first = next(i for i, line in enumerate(lines) if "Card 1: Emulator plan 1" in line)
        second = next(i for i, line in enumerate(lines) if "Card 2: Emulator plan 2" in line)
        assert first < second
        assert "[1] Card 1: Choose plan 1" in text and "[4] Card 2: Read more ↗" in text
        await pilot.press("f4", "right", "right", "enter")
        await wait_until(pilot, lambda: ("Button", "plan-2") in _answers(control, sid), WAIT)
        await wait_until(pilot, lambda: "✓ answered: Card 2: Choose plan 2" in log_text(app), WAIT)
        assert _answers(control, sid).count(("Button", "plan-2")) == 1


async def test_a_large_upload_shows_a_progress_bar_until_done_or_failed(
    emu: Any, control: ControlClient, tmp_path: Path, monkeypatch: Any
) -> None:
    """A 3 MB file shows "↑ large.txt" and a bar over the message box while it uploads; the bar reaches the
    whole size and goes once the service confirms the file (its frames are delayed here so the confirmation
    takes a moment). A file the service rejects after upload (the emulator's virus-scan marker) removes its
    bar too and says why."""
    from webchat_tui.emulator.messaging.attachments import EICAR_MARKER
    from webchat_tui.tui.widgets.upload_progress import UploadProgress

    folder = tmp_path / "files"
    folder.mkdir()
    size = 3_000_000
    (folder / "large.txt").write_bytes(b"x" * size)
    (folder / "infected.txt").write_bytes(EICAR_MARKER + b"y" * 200_000)
    monkeypatch.chdir(folder)
    app = _app(emu, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _join(pilot, app)
        await wait_until(pilot, lambda: "[1] Talk to an agent" in log_text(app), WAIT)
        screen = chat_screen(app)

        def bar() -> UploadProgress | None:
            return next(iter(screen.query(UploadProgress)), None)

        async def send(name: str) -> None:
            await pilot.press("ctrl+u")
            await wait_until(pilot, lambda: isinstance(app.screen, FilePickScreen), WAIT)
            await pilot.press("tab", *name, "enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), WAIT)

        control.set_messaging_faults(delayMs=1000)
        await send("large.txt")
        shown = await wait_until(pilot, bar, WAIT)
        assert shown.total == size
        await wait_until(pilot, lambda: "↑ large.txt" in screen_text(app), WAIT)
        await wait_until(pilot, lambda: (b := bar()) is not None and b.sent == size, WAIT)
        await wait_until(pilot, lambda: "Attachment: large.txt" in log_text(app), WAIT)
        await wait_until(pilot, lambda: bar() is None, WAIT)
        assert "↑ large.txt" not in screen_text(app)

        await send("infected.txt")
        await wait_until(pilot, bar, WAIT)
        await wait_until(pilot, lambda: "Could not send infected.txt" in log_text(app), WAIT)
        await wait_until(pilot, lambda: bar() is None, WAIT)
        assert "Attachment: infected.txt" not in log_text(app)
        control.clear_messaging_faults()
