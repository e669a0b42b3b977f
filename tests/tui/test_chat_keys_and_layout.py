"""Pilot tests of the chat screen's keys and layout (issue 9): key choices without clashes, the member panel
toggle, a one-line empty composer, readable key hints at 60x15, shift+enter where the terminal reports it,
letters that reach the message box, the live "new messages" count, the long-wait hint, and the media dialog's
security key and live queue count."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.binding import Binding
from textual.widgets import TextArea

from tests.tui.helpers import (
    build_app,
    chat_screen,
    start_chat,
    wait_for_media_dialog,
    wait_for_text,
    wait_until,
)
from tests.tui.screen_text import screen_text
from webchat_tui.config import ChatSettings
from webchat_tui.tui.app import WebchatApp
from webchat_tui.tui.screens.chat import LONG_WAIT_SECONDS, ChatScreen
from webchat_tui.tui.screens.media_request import MediaRequestScreen
from webchat_tui.tui.widgets.composer import Composer, MessageInput
from webchat_tui.tui.widgets.member_list import MemberList
from webchat_tui.tui.widgets.message_log import MessageLog


def _footer(app: WebchatApp) -> str:
    return screen_text(app).splitlines()[-1]


def _newest_enabled(app: WebchatApp) -> bool:
    return any(b.enabled for b in chat_screen(app).active_bindings.values() if b.binding.action == "newest")


def _bindings(cls: type) -> list[Binding]:
    return [b for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]


def test_chat_keys_have_ids_and_clash_with_no_editing_key() -> None:
    """Polish: every binding of the chat screen, the message box and the media dialog has an id; no chat key
    is one the message box uses for editing (ctrl+w, ctrl+e, ctrl+k... in Textual's TextArea); ctrl+l (redraw
    elsewhere) means nothing here, and ctrl+s means only Save."""
    editing = {key for b in TextArea.BINDINGS if isinstance(b, Binding) for key in b.key.split(",")}
    chat_keys: dict[str, str] = {}
    for cls in (ChatScreen, MessageInput, Composer, MediaRequestScreen):
        for binding in _bindings(cls):
            assert binding.id, f"{cls.__name__}: {binding.key} has no id"
            for key in binding.key.split(","):
                chat_keys[key] = binding.action
    for binding in _bindings(ChatScreen):
        for key in binding.key.split(","):
            assert key not in editing, key
    assert "ctrl+l" not in chat_keys
    assert chat_keys["ctrl+s"] == "save('markdown')"
    assert chat_keys["f8"] == "leave"


async def test_member_panel_toggles_and_hides_itself_in_narrow_terminals(emu: Any, control: Any) -> None:
    """Issue 9 minor 11: at 120 columns the member panel shows and f3 hides and shows it; below 90 columns it
    hides by itself (the transcript gets the width) and f3 brings it back."""
    app = build_app(emu)
    async with app.run_test(size=(120, 30)) as pilot:
        await start_chat(pilot, app)
        members = chat_screen(app).query_one(MemberList)
        assert members.display
        await pilot.press("f3")
        assert not members.display
        await pilot.press("f3")
        assert members.display
    app = build_app(emu)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_chat(pilot, app)
        members = chat_screen(app).query_one(MemberList)
        log = chat_screen(app).query_one(MessageLog)
        await wait_until(pilot, lambda: not members.display)
        assert log.size.width >= 78
        await pilot.press("f3")
        await wait_until(pilot, lambda: members.display and "● Ada" in screen_text(app))


async def test_small_terminal_one_line_composer_and_readable_key_hints(emu: Any, control: Any) -> None:
    """Issue 9 minor 11: at 60x15 the empty message box takes one line of text, the transcript keeps the
    rest, and every chat key in the footer is readable in full."""
    app = build_app(emu)
    async with app.run_test(size=(60, 15)) as pilot:
        await start_chat(pilot, app)
        await pilot.pause()
        assert chat_screen(app).query_one(MessageInput).size.height == 1
        assert chat_screen(app).query_one(MessageLog).size.height >= 7
        footer = _footer(app)
        for hint in ("^s Save", "^n New", "f8 Leave", "f3 Members"):
            assert hint in footer, footer


async def test_shift_enter_adds_a_line_where_the_terminal_reports_it(emu: Any, control: Any) -> None:
    """Issue 9 minor 12: the hint names ctrl+j (works everywhere); once the terminal reports shift+enter (the
    kitty keyboard protocol) it adds a line instead of sending, and the hint names shift+enter from then."""
    app = build_app(emu)
    async with app.run_test(size=(100, 30)) as pilot:
        cid = await start_chat(pilot, app)
        assert "enter send · ctrl+j new line" in screen_text(app)
        await pilot.press(*"one", "shift+enter", *"two")
        composer = chat_screen(app).query_one(Composer)
        assert composer.text == "one\ntwo"
        await wait_for_text(pilot, "enter send · shift+enter new line")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: any(e["kind"] == "message" and e["body"] == "one\ntwo" for e in control.record(cid)),
        )


async def test_a_typed_burst_ending_with_enter_sends_the_whole_text(emu: Any, control: Any) -> None:
    """Enter is a priority binding: it used to read the message box before letters queued just ahead of it
    had reached it (tmux `send-keys 'hello from the terminal burst' Enter` sent "hello"). Every key of the
    burst is posted at once, as a terminal delivers a paste, and the whole text must arrive."""
    app = build_app(emu)
    async with app.run_test(size=(100, 30)) as pilot:
        cid = await start_chat(pilot, app)
        text = "hello from the terminal burst"
        for character in text:
            app.post_message(events.Key(character if character != " " else "space", character))
        app.post_message(events.Key("enter", "\r"))
        await wait_until(
            pilot, lambda: any(e["kind"] == "message" and e["body"] == text for e in control.record(cid))
        )
        me = app.chat_handle.session.me if app.chat_handle is not None else None
        assert me is not None
        bodies = [e["body"] for e in control.record(cid) if e["kind"] == "message" and e["senderId"] == me.id]
        assert [b for b in bodies if b] == [text]
        assert chat_screen(app).query_one(Composer).text == ""


async def test_letters_typed_on_the_transcript_or_during_the_dialog_guard_reach_the_composer(
    emu: Any, control: Any, monkeypatch: Any
) -> None:
    """Polish: a letter typed while the transcript has focus goes to the message box (which takes focus); a
    letter typed during the media dialog's guard goes there too, and answers nothing."""
    monkeypatch.setattr(MediaRequestScreen, "ARM_DELAY", 3600.0)
    app = build_app(emu)
    async with app.run_test(size=(100, 30)) as pilot:
        cid = await start_chat(pilot, app)
        chat = chat_screen(app)
        composer = chat.query_one(Composer)
        chat.query_one(MessageLog).focus()
        await pilot.pause()
        await pilot.press(*"hi")
        assert composer.text == "hi"
        assert app.focused is composer.input

        control.set_config(mediaRequestTimeout=10_000.0)
        control.media_request(cid, ["SCREENSHARE"])
        dialog = await wait_until(
            pilot, lambda: app.screen if isinstance(app.screen, MediaRequestScreen) else None
        )
        await pilot.press(*" and you")
        assert app.screen is dialog
        assert composer.text == "hi and you"
        assert not [e for e in control.record(cid) if e["kind"] == "media-request-patch"]


async def test_new_messages_count_goes_down_while_paging_and_ctrl_g_shows(emu: Any, control: Any) -> None:
    """Polish: scrolled up, 30 new messages make "30 new messages below — ctrl+g or click to jump" (the line
    over the input names ctrl+g; the footer leaves it out to fit 80 columns) and ctrl+g is enabled; paging
    down through them counts them down; at the bottom the bar goes and ctrl+g is off."""
    app = build_app(emu)
    async with app.run_test(size=(100, 30)) as pilot:
        cid = await start_chat(pilot, app)
        control.agent_messages(cid, body="filler", count=40)
        await wait_until(pilot, lambda: "filler #40" in screen_text(app))
        log = chat_screen(app).query_one(MessageLog)
        log.scroll_home(animate=False)
        await pilot.pause()
        control.agent_messages(cid, body="later", count=30)
        await wait_for_text(pilot, "30 new messages below")
        await wait_for_text(pilot, "30 new messages below — ctrl+g or click to jump")
        await wait_until(pilot, lambda: _newest_enabled(app))
        log.focus()
        counts = []
        for _ in range(10):
            await pilot.press("pagedown")
            await pilot.pause()
            counts.append(log.unseen)
            if not log.unseen:
                break
        assert counts[-1] == 0 and any(0 < c < 30 for c in counts), counts
        assert counts == sorted(counts, reverse=True)
        await wait_until(pilot, lambda: "new messages below" not in screen_text(app))
        await wait_until(pilot, lambda: not _newest_enabled(app))


async def test_a_long_wait_in_the_queue_suggests_leaving_or_another_queue(emu: Any, control: Any) -> None:
    """Missing: after about two minutes waiting for an agent the status line suggests f8 to leave or
    ctrl+n to try another queue."""
    now = [1000.0]
    control.set_config(autoAgent=False)
    app = build_app(emu, clock=lambda: now[0], settings=ChatSettings(display_name="Ada"))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await wait_for_text(pilot, "Waiting for an agent in Support")
        assert "tries another queue" not in screen_text(app)
        now[0] += LONG_WAIT_SECONDS + 1
        await wait_for_text(pilot, "still no agent: f8 leaves, ctrl+n tries another queue")


async def test_media_dialog_shows_the_security_key_and_a_live_queue_count(emu: Any, control: Any) -> None:
    """Missing: the dialog shows the request's security key. Minor 8: with two requests queued behind the
    open one it says "2 more requests waiting"; when a queued one is cancelled it says "1 more request"."""
    app = build_app(emu)
    async with app.run_test(size=(100, 34)) as pilot:
        cid = await start_chat(pilot, app)
        control.set_config(mediaRequestTimeout=10_000.0)
        first = control.media_request(cid, ["SCREENSHARE"])
        control.media_request(cid, ["COBROWSE"])
        third = control.media_request(cid, ["COBROWSE"])
        await wait_for_media_dialog(pilot)
        assert first["securityKey"]
        await wait_for_text(pilot, f"Security key: {first['securityKey']}")
        await wait_for_text(pilot, "2 more requests waiting after this one.")
        control.cancel_media_request(cid, third["id"])
        await wait_for_text(pilot, "1 more request waiting after this one.")
