"""Pilot tests of the chat screen when things go wrong or end: a failed send is kept (resend, take back), the
ended chat is read-only with the way on, the real end reason everywhere, and a chat the server forgot."""

from __future__ import annotations

from typing import Any

from tests.tui.helpers import (
    build_app,
    chat_screen,
    conversation_id,
    log_text,
    start_chat,
    wait_for_text,
    wait_until,
)
from tests.tui.screen_text import screen_text
from webchat_tui.config import ChatSettings
from webchat_tui.tui.widgets.composer import Composer
from webchat_tui.tui.widgets.member_list import MemberList
from webchat_tui.tui.widgets.status_bar import StatusBar


def _sent_bodies(control: Any, cid: str) -> list[str]:
    return [e["body"] for e in control.record(cid) if e["kind"] == "message" and e.get("role") != "AGENT"]


def _refuse_sends(control: Any, times: int) -> None:
    control.set_faults(
        {
            "http": [
                {
                    "operation": "postWebchatGuestConversationMemberMessages",
                    "status": 400,
                    "code": "bad.request",
                    "times": times,
                }
            ]
        }
    )


async def test_a_failed_send_stays_visible_and_can_be_resent_or_taken_back(
    emu: Any, control: Any, tmp_path: Any
) -> None:
    """Issue 8 item 5: a message the server refused stays in the transcript, marked "not sent", with its
    text, even after the guest typed something new; ctrl+r resends it (it then reaches the agent), alt+e
    puts the next failed one back into the message box after the new draft; the export keeps the failure."""
    app = build_app(emu, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        cid = await start_chat(pilot, app)
        _refuse_sends(control, 1)
        await pilot.press(*"first try", "enter")
        await wait_until(pilot, lambda: "✗ not sent Ada: first try" in log_text(app))
        await wait_for_text(pilot, "ctrl+r resends it")
        await pilot.press(*"new draft")  # typed after the failure: the failed text must not be lost
        assert chat_screen(app).failed == ["first try"]
        await wait_until(pilot, lambda: "Resend" in screen_text(app))  # in the footer while one failed

        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "first try" in _sent_bodies(control, cid))
        await wait_until(pilot, lambda: "Ada: first try" in log_text(app).replace("✗ not sent Ada", ""))
        assert chat_screen(app).failed == []

        _refuse_sends(control, 1)
        composer = chat_screen(app).query_one(Composer)
        composer.input.clear()
        await pilot.press(*"second try", "enter")
        await wait_until(pilot, lambda: "✗ not sent Ada: second try" in log_text(app))
        await pilot.press(*"other words", "alt+e")
        await wait_until(pilot, lambda: composer.text == "other words\nsecond try")
        assert "second try" not in _sent_bodies(control, cid)

        await pilot.press("ctrl+s")
        saved = await wait_until(pilot, lambda: chat_screen(app).saved_paths)
        assert "(12:00, not sent)" not in saved[0].read_text()  # times in exports are real UTC times
        assert "not sent): second try" in saved[0].read_text()


async def test_the_ended_chat_is_read_only_and_says_how_to_go_on(emu: Any, control: Any) -> None:
    """Issue 9 minor 3: after the end the message box takes no text, its placeholder and status say why and
    name ctrl+n, and the footer no longer offers Send; minor 5: every member is shown disconnected."""
    app = build_app(emu)
    async with app.run_test(size=(100, 30)) as pilot:
        cid = await start_chat(pilot, app)
        control.end(cid)
        await wait_for_text(pilot, "Read-only: the chat has ended · ctrl+n starts a new chat")
        composer = chat_screen(app).query_one(Composer)
        assert composer.input.read_only
        await pilot.press(*"hello")
        await pilot.pause()
        assert composer.text == ""
        assert "The chat has ended — ctrl+n starts a new chat" in screen_text(app)  # the placeholder
        footer = lambda: screen_text(app).splitlines()[-1]  # noqa: E731
        await wait_until(pilot, lambda: "Send" not in footer() and "^n New" in footer())
        members = chat_screen(app).query_one(MemberList).members.values()
        assert members and all(m.state == "DISCONNECTED" for m in members)


async def test_an_inactivity_close_gives_the_real_reason_everywhere(emu: Any, control: Any) -> None:
    """Issue 9 minor 4: the service closes an idle chat with its notice; the status line and the "Chat
    ended" line give that reason, not "The agent ended the chat"."""
    app = build_app(emu)
    async with app.run_test(size=(110, 30)) as pilot:
        await start_chat(pilot, app)
        control.set_config(idleTimeout=5.0)  # x0.02 time scale: 0.1 s
        await pilot.press(*"one last thing", "enter")  # guest activity restarts the idle timer
        status = chat_screen(app).query_one(StatusBar)
        await wait_until(pilot, lambda: "ended" in status.text, timeout=20)
        assert "inactivity" in status.text, status.text
        assert "Chat ended: This chat was closed because of inactivity." in log_text(app)
        assert "The agent ended the chat" not in screen_text(app)


async def test_a_chat_the_server_forgot_is_said_in_plain_words(emu: Any, control: Any) -> None:
    """Issue 9 minor 5: the emulator loses the chat (reset, as after a restart): the chat ends saying the
    service no longer knows it and that ctrl+n starts a new one, and nobody is shown connected."""
    app = build_app(emu, session_options={"stream_options": _fast_stream()})
    async with app.run_test(size=(110, 30)) as pilot:
        await start_chat(pilot, app)
        control.reset()
        status = chat_screen(app).query_one(StatusBar)
        await wait_until(
            pilot, lambda: "ended" in status.text or "Chat ended" in screen_text(app), timeout=30
        )
        await wait_for_text(pilot, "no longer knows this chat", timeout=30)
        assert "ctrl+n starts a new chat" in screen_text(app)
        members = chat_screen(app).query_one(MemberList).members.values()
        assert all(m.state == "DISCONNECTED" for m in members)


def _fast_stream() -> Any:
    from webchat_tui.api.stream import StreamOptions

    return StreamOptions(reconnect_base=0.05, reconnect_max=0.2)


async def test_the_agent_ending_the_chat_still_says_so(emu: Any, control: Any) -> None:
    """An agent who ends the chat without a service notice: the reason stays "The agent ended the chat"."""
    app = build_app(emu, settings=ChatSettings(display_name="Ada"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Alex Rivera: Hi" in log_text(app))
        control.end(conversation_id(app))
        await wait_for_text(pilot, "Chat ended — The agent ended the chat")
