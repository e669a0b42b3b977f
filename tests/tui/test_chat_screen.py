"""Pilot tests of the chat screen against the real emulator: inert remote text, bursts, media-request
queueing, cancel and timeout, typing both ways, and the "new messages" marker."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from tests.tui.helpers import build_app, conversation_id, wait_for_text, wait_until
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


def _log_text(app: WebchatApp) -> str:
    return "\n".join(_log(app).plain_lines())


async def _start_chat(pilot: Pilot[Any], app: WebchatApp, name: str = "Ada") -> str:
    """Type a name, press Enter, wait for the agent's greeting; returns the conversation id."""
    await pilot.pause()
    await pilot.press(*name, "enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
    await wait_until(pilot, lambda: "Alex Rivera: Hi" in _log_text(app))
    return conversation_id(app)


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
        await _start_chat(pilot, app, name="[b]Ada[/b]")
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
        cid = await _start_chat(pilot, app)
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
        cid = await _start_chat(pilot, app)
        control.set_config(mediaRequestTimeout=10_000.0)
        first = control.media_request(cid, ["SCREENSHARE"])
        control.media_request(cid, ["COBROWSE"])
        await wait_until(pilot, lambda: isinstance(app.screen, MediaRequestScreen))
        await wait_for_text(pilot, "1 more request(s) waiting")
        assert "would like to see your screen" in screen_text(app)

        control.cancel_media_request(cid, first["id"])
        await wait_until(pilot, lambda: "The screen share request was cancelled" in _log_text(app))
        await wait_for_text(pilot, "would like to co-browse with you")
        await pilot.press("escape")  # escape declines
        await wait_until(pilot, lambda: "You declined the co-browse request" in _log_text(app))
        assert isinstance(app.screen, ChatScreen)

        control.set_config(mediaRequestTimeout=25.0)  # x0.02 time scale = 0.5 s
        control.media_request(cid, ["SCREENSHARE"])
        await wait_until(pilot, lambda: isinstance(app.screen, MediaRequestScreen))
        await wait_until(pilot, lambda: "The screen share request timed out" in _log_text(app))
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))


async def test_typing_both_ways(emu: Any, control: Any) -> None:
    """The agent's typing shows "<name> is typing…" until it expires; the guest's typing reaches the
    emulator as a typing event."""
    app = build_app(emu, session_options={"typing_expiry": 1.0})
    async with app.run_test(size=(100, 30)) as pilot:
        cid = await _start_chat(pilot, app)
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
    """Scrolled up, new messages do not move the view; a marker counts them; ctrl+g jumps to the newest."""
    app = build_app(emu)
    async with app.run_test(size=(100, 30)) as pilot:
        cid = await _start_chat(pilot, app)
        control.agent_messages(cid, body="filler", count=60)
        await wait_until(pilot, lambda: "filler #60" in screen_text(app))
        log = _log(app)
        log.scroll_home(animate=False)
        await pilot.pause()
        control.agent_messages(cid, body="later", count=3)
        await wait_for_text(pilot, "3 new message(s) below")
        assert "later #3" not in screen_text(app)
        await pilot.press("ctrl+g")
        await wait_for_text(pilot, "later #3")
        await wait_until(pilot, lambda: "new message(s) below" not in screen_text(app))


async def test_ended_by_agent_blocks_sending_and_keeps_transcript(emu: Any, control: Any) -> None:
    """When the agent ends the chat the status says so, sending is disabled with the reason, and the
    transcript stays."""
    app = build_app(emu, settings=ChatSettings(display_name="Ada"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_until(pilot, lambda: "Alex Rivera: Hi" in _log_text(app))
        control.end(conversation_id(app))
        await wait_for_text(pilot, "Chat ended — The agent ended the chat")
        await wait_for_text(pilot, "Sending disabled: the chat has ended")
        assert "Alex Rivera: Hi" in _log_text(app)
