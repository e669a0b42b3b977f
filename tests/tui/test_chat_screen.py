"""Pilot tests of the chat screen against the real emulator: inert remote text, bursts, media-request
queueing, cancel and timeout, typing both ways, and the "new messages" marker."""

from __future__ import annotations

from typing import Any

from tests.tui.helpers import (
    build_app,
    conversation_id,
    log_text,
    start_chat,
    wait_for_join_form,
    wait_for_media_dialog,
    wait_for_text,
    wait_until,
)
from tests.tui.screen_text import screen_text
from webchat_tui.config import ChatSettings
from webchat_tui.tui.app import WebchatApp
from webchat_tui.tui.screens.chat import ChatScreen
from webchat_tui.tui.screens.media_request import MediaRequestScreen
from webchat_tui.tui.widgets.composer import Composer
from webchat_tui.tui.widgets.message_log import MessageLog


def _log(app: WebchatApp) -> MessageLog:
    for screen in app.screen_stack:
        if isinstance(screen, ChatScreen):
            return screen.query_one(MessageLog)
    raise AssertionError("no chat screen")


MARKUP_BODIES = [
    "[bold red]not bold[/]",
    "[@click=app.quit]quit?[/]",
    "[link=http://evil.example]link[/link]",
    "\x1b[2J\x1b[31mred\x1b[0m",
    "\x1b]8;;http://evil.example\x07osc\x1b]8;;\x07",
    "$accent \\[escaped] [/]",
]
# What each looks like once the control characters are gone: the rest must be shown literally.
MARKUP_SHOWN = [
    "[bold red]not bold[/]",
    "[@click=app.quit]quit?[/]",
    "[link=http://evil.example]link[/link]",
    "[2J[31mred[0m",
    "]8;;http://evil.exampleosc]8;;",
    "$accent \\[escaped] [/]",
]


async def test_markup_and_escapes_from_the_agent_are_shown_literally(emu: Any, control: Any) -> None:
    """Rich/Textual markup, ANSI CSI and OSC 8 sequences sent by the agent (and markup in the guest's own
    name) appear on screen as plain text; nothing is styled, linked or executed (the app keeps running)."""
    app = build_app(emu)
    async with app.run_test(size=(110, 30)) as pilot:
        await start_chat(pilot, app, name="[b]Ada[/b]")
        cid = conversation_id(app)
        control.agent_messages(cid, bodies=MARKUP_BODIES)
        await wait_until(pilot, lambda: "$accent" in screen_text(app))
        shown = screen_text(app)
        for literal in MARKUP_SHOWN:
            assert f"Alex Rivera: {literal}" in shown, literal
        assert "\x1b" not in shown and "\x07" not in shown
        assert "● [b]Ada[/b]" in shown  # the member list shows the guest's name literally too
        assert app.is_running


async def test_burst_of_10000_messages_keeps_input_responsive(emu: Any, control: Any) -> None:
    """A 10,000-message burst ends up entirely in the transcript, the view follows the newest message, and
    text typed during the burst lands in the message input."""
    app = build_app(emu)
    async with app.run_test(size=(100, 30)) as pilot:
        cid = await start_chat(pilot, app)
        before = len(_log(app).entries)
        control.agent_messages(cid, body="burst", count=10_000)
        await pilot.press(*"typing during the burst")
        await wait_until(pilot, lambda: len(_log(app).entries) >= before + 10_000, timeout=60)
        composer = app.screen.query_one(Composer)
        assert composer.text == "typing during the burst"
        await wait_for_text(pilot, "Alex Rivera: burst #10000")
        bodies = [e.body for e in _log(app).entries if e.body.startswith("burst #")]
        assert bodies == [f"burst #{i}" for i in range(1, 10_001)]


async def test_media_requests_queue_and_close_when_cancelled_or_timed_out(emu: Any, control: Any) -> None:
    """Two pending requests queue (the dialog says one more is waiting); cancelling the shown one closes its
    dialog with a note and opens the next; a request that times out closes its dialog and says so."""
    app = build_app(emu)
    async with app.run_test(size=(100, 30)) as pilot:
        cid = await start_chat(pilot, app)
        control.set_config(mediaRequestTimeout=10_000.0)
        first = control.media_request(cid, ["SCREENSHARE"])
        control.media_request(cid, ["COBROWSE"])
        await wait_until(pilot, lambda: isinstance(app.screen, MediaRequestScreen))
        await wait_for_text(pilot, "1 more request waiting")
        assert "would like to see your screen" in screen_text(app)

        control.cancel_media_request(cid, first["id"])
        await wait_until(pilot, lambda: "The screen share request was cancelled" in log_text(app))
        await wait_for_media_dialog(pilot, "would like to co-browse with you")
        await pilot.press("escape")  # escape declines
        await wait_until(pilot, lambda: "You declined the co-browse request" in log_text(app))
        assert isinstance(app.screen, ChatScreen)

        control.set_config(mediaRequestTimeout=25.0)  # x0.02 time scale = 0.5 s
        control.media_request(cid, ["SCREENSHARE"])
        await wait_until(pilot, lambda: isinstance(app.screen, MediaRequestScreen))
        await wait_until(pilot, lambda: "The screen share request timed out" in log_text(app))
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))


async def test_typing_both_ways(emu: Any, control: Any) -> None:
    """The agent's typing shows "<name> is typing…" until it expires; the guest's typing reaches the
    emulator as a typing event."""
    app = build_app(emu, session_options={"typing_expiry": 1.0})
    async with app.run_test(size=(100, 30)) as pilot:
        cid = await start_chat(pilot, app)
        await wait_until(pilot, lambda: "is typing" not in screen_text(app))
        control.agent_typing(cid)
        await wait_for_text(pilot, "Alex Rivera is typing…")
        await wait_until(pilot, lambda: "is typing" not in screen_text(app))

        guest_id = app.chat_handle.session.me.id  # type: ignore[union-attr]
        await pilot.press(*"abc")
        control.wait_for(
            lambda: any(e["kind"] == "typing" and e["senderId"] == guest_id for e in control.record(cid))
        )


async def test_new_messages_marker_when_scrolled_up(emu: Any, control: Any) -> None:
    """Scrolled up, new messages do not move the view; a marker counts them; ctrl+g or a click on the marker
    jumps to the newest."""
    app = build_app(emu)
    async with app.run_test(size=(100, 30)) as pilot:
        cid = await start_chat(pilot, app)
        control.agent_messages(cid, body="filler", count=60)
        await wait_until(pilot, lambda: "filler #60" in screen_text(app))
        log = _log(app)
        log.scroll_home(animate=False)
        await pilot.pause()
        control.agent_messages(cid, body="later", count=3)
        await wait_for_text(pilot, "3 new messages below")
        assert "later #3" not in screen_text(app)
        await pilot.press("ctrl+g")
        await wait_for_text(pilot, "later #3")
        await wait_until(pilot, lambda: "below — ctrl+g" not in screen_text(app))

        # The marker is clickable too.
        log.scroll_home(animate=False)
        await pilot.pause()
        control.agent_messages(cid, body="again", count=2)
        await wait_for_text(pilot, "2 new messages below")
        assert await pilot.click("#new-marker")
        await wait_for_text(pilot, "again #2")
        await wait_until(pilot, lambda: "below — ctrl+g" not in screen_text(app))


async def test_ended_by_agent_blocks_sending_and_keeps_transcript(emu: Any, control: Any) -> None:
    """When the agent ends the chat the status says so, sending is disabled with the reason, and the
    transcript stays."""
    app = build_app(emu, settings=ChatSettings(display_name="Ada"))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_join_form(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_until(pilot, lambda: "Alex Rivera: Hi" in log_text(app))
        control.end(conversation_id(app))
        await wait_for_text(pilot, "Chat ended — The agent ended the chat")
        await wait_for_text(pilot, "Read-only: the chat has ended · ctrl+n starts a new chat")
        assert "Alex Rivera: Hi" in log_text(app)


async def test_dropped_connection_shows_reconnecting_and_loses_nothing(emu: Any, control: Any) -> None:
    """The emulator drops the websocket mid-stream: the transcript says so, then reconnects, and every
    message sent meanwhile appears exactly once."""
    app = build_app(emu)
    async with app.run_test(size=(100, 30)) as pilot:
        # Applies to the next connection: the greeting takes ~8 frames, so the drop hits the burst below.
        control.set_faults({"websocket": {"dropAfterFrames": 14, "dropTimes": 1}})
        cid = await start_chat(pilot, app)
        control.agent_messages(cid, body="during drop", count=20)
        await wait_until(pilot, lambda: "Reconnected" in log_text(app) or "Caught up" in log_text(app))
        await wait_until(
            pilot, lambda: sum(e.body.startswith("during drop #") for e in _log(app).entries) >= 20
        )
        bodies = [e.body for e in _log(app).entries if e.body.startswith("during drop #")]
        assert sorted(bodies, key=lambda b: int(b.split("#")[1])) == [
            f"during drop #{i}" for i in range(1, 21)
        ]
        assert "Connection lost" in log_text(app)
        control.clear_faults()


async def test_mouse_accept_theme_toggle_palette_and_small_terminal(emu: Any, control: Any) -> None:
    """Accept a media request with the mouse; ctrl+t switches to the light theme (and the transcript redraws
    with the new colours); the palette offers the chat commands; at 64x24 the transcript re-wraps and the
    input, status line and footer stay visible."""
    app = build_app(emu)
    async with app.run_test(size=(120, 30)) as pilot:
        cid = await start_chat(pilot, app)
        control.set_config(mediaRequestTimeout=10_000.0)
        control.media_request(cid, ["COBROWSE"])
        await wait_for_media_dialog(pilot)
        assert await pilot.click("#accept")
        await wait_until(pilot, lambda: "You accepted the co-browse request" in log_text(app))
        patches = [e for e in control.record(cid) if e["kind"] == "media-request-patch"]
        assert [p["state"] for p in patches] == ["ACCEPTED"]

        log = _log(app)
        dark_style = log._style("body")
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.theme == "textual-light"
        assert log._style("body") != dark_style

        titles = [command.title for command in app.get_system_commands(app.screen)]
        for title in (
            "Leave chat",
            "Save transcript (Markdown)",
            "Save transcript (JSON)",
            "New chat",
            "Theme",
        ):
            assert title in titles, title

        long_text = "word " * 40
        control.agent_messages(cid, bodies=[long_text.strip()])
        await wait_until(pilot, lambda: any(e.body == long_text.strip() for e in log.entries))
        wide_lines = log.line_count
        await pilot.resize_terminal(64, 24)
        await wait_until(pilot, lambda: log.line_count > wide_lines)
        assert all(len(line) <= log.scrollable_content_region.width for line in log.plain_lines())
        shown = screen_text(app)
        assert "Connected to Alex Rivera" in shown and "/4000" in shown and "Leave" in shown


async def test_composer_limit_and_multiline(emu: Any, control: Any) -> None:
    """Over 4,000 characters the counter turns into a warning and Enter sends nothing; ctrl+j adds a line
    break and the two-line message arrives as one message."""
    app = build_app(emu)
    async with app.run_test(size=(100, 30)) as pilot:
        cid = await start_chat(pilot, app)
        composer = app.screen.query_one(Composer)
        composer.input.insert("x" * 4001)
        await pilot.pause()
        await wait_for_text(pilot, "4001/4000 — 1 character over the limit")
        await pilot.press("enter")
        await pilot.pause()
        assert composer.text == "x" * 4001
        assert not [e for e in control.record(cid) if e["kind"] == "message" and e["body"].startswith("xxxx")]

        composer.input.clear()
        await pilot.press(*"line one", "ctrl+j", *"line two", "enter")
        await wait_until(pilot, lambda: any(e.body == "line one\nline two" for e in _log(app).entries))
        assert composer.text == ""


async def test_typing_into_a_freshly_opened_media_dialog_does_not_answer_it(
    emu: Any, control: Any, monkeypatch: Any
) -> None:
    """A request pops up while the guest is typing: the letters (here "a" from "and", then Enter) that were
    meant for the message do not accept the screen share; once the dialog takes answers, "a" accepts."""
    monkeypatch.setattr(MediaRequestScreen, "ARM_DELAY", 3600.0)  # the test arms it by hand, below
    app = build_app(emu)
    async with app.run_test(size=(100, 30)) as pilot:
        cid = await start_chat(pilot, app)
        control.set_config(mediaRequestTimeout=10_000.0)
        control.media_request(cid, ["SCREENSHARE"])
        dialog = await wait_until(
            pilot, lambda: app.screen if isinstance(app.screen, MediaRequestScreen) else None
        )
        await pilot.press(*"and", "enter")
        await pilot.pause()
        assert app.screen is dialog
        assert not [e for e in control.record(cid) if e["kind"] == "media-request-patch"]
        dialog.arm()
        await pilot.press("a")
        await wait_until(pilot, lambda: "You accepted the screen share request" in log_text(app))
        patches = [e for e in control.record(cid) if e["kind"] == "media-request-patch"]
        assert [p["state"] for p in patches] == ["ACCEPTED"]


async def test_quitting_mid_chat_leaves_it(emu: Any, control: Any, tmp_path: Any) -> None:
    """ctrl+q during a live chat sends the leave request, so the agent is not left with a silent guest."""
    app = build_app(emu, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        cid = await start_chat(pilot, app)
        guest_id = app.chat_handle.session.me.id if app.chat_handle and app.chat_handle.session.me else None
        assert guest_id
        await pilot.press("ctrl+q")
    guest = [m for m in control.conversation(cid)["members"] if m["id"] == guest_id]
    assert guest and guest[0]["state"] == "DISCONNECTED"


async def test_a_message_clears_its_senders_typing_line_at_once(emu: Any, control: Any) -> None:
    """The agent types, then sends: "Alex Rivera is typing…" goes when the message shows (the indicator
    would otherwise last its full expiry, here set far away)."""
    app = build_app(emu, session_options={"typing_expiry": 600.0})
    async with app.run_test(size=(80, 24)) as pilot:
        cid = await start_chat(pilot, app)
        control.agent_typing(cid)
        await wait_for_text(pilot, "Alex Rivera is typing…")
        control.agent_messages(cid, body="all done")
        await wait_until(pilot, lambda: "Alex Rivera: all done" in log_text(app))
        await pilot.pause()
        assert "is typing" not in screen_text(app)
