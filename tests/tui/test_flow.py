"""End-to-end Pilot tests: the whole guest flow by keyboard against the real (in-process) emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.widgets import Button, Input

from tests.tui.helpers import (
    build_app,
    conversation_id,
    wait_for_join_form,
    wait_for_media_dialog,
    wait_for_text,
    wait_until,
)
from tests.tui.screen_text import screen_text
from webchat_tui.tui.screens.chat import ChatScreen
from webchat_tui.tui.screens.confirm import ConfirmScreen
from webchat_tui.tui.screens.join import JoinScreen
from webchat_tui.tui.widgets.composer import Composer
from webchat_tui.tui.widgets.message_log import MessageLog


def _log_text(app: Any) -> str:
    return (
        "\n".join(app.screen.query_one(MessageLog).plain_lines())
        if isinstance(app.screen, ChatScreen)
        else ""
    )


def _chat(app: Any) -> ChatScreen:
    for screen in app.screen_stack:
        if isinstance(screen, ChatScreen):
            return screen
    raise AssertionError("no chat screen")


async def test_whole_flow_by_keyboard(emu: Any, control: Any, tmp_path: Path) -> None:
    """Form validation, start, greeting, send/receive, accept + decline media requests (both PATCHed), a
    transfer, leave with confirmation, and saving the transcript as Markdown and JSON."""
    app = build_app(emu, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_join_form(pilot)
        join = app.screen
        assert isinstance(join, JoinScreen)
        assert app.focused is not None and app.focused.id == "display_name"
        start = join.query_one("#start", Button)
        assert start.disabled

        # Enter on an empty form shows the problem instead of starting.
        await pilot.press("enter")
        await wait_for_text(pilot, "Enter the name the agent will see.")
        assert isinstance(app.screen, JoinScreen)

        # A bad email is reported inline while typing, and the start button stays disabled.
        await pilot.press(*"Ada")
        await pilot.press("tab", "tab", "tab", "tab")  # channel, first name, last name, email
        assert app.focused is not None and app.focused.id == "email"
        await pilot.press(*"ada@nowhere")
        await wait_for_text(pilot, "Not an email address")
        assert start.disabled
        await pilot.press(*".example")
        await wait_until(pilot, lambda: not start.disabled)
        assert "Not an email address" not in screen_text(app)

        # Enter starts; the message input has focus; the agent joins and greets.
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert app.focused is not None and app.focused.id == "message-input"
        await wait_until(pilot, lambda: "Alex Rivera joined the chat" in _log_text(app))
        await wait_until(pilot, lambda: "Hi Ada" in _log_text(app))
        await wait_for_text(pilot, "Connected to Alex Rivera")
        cid = conversation_id(app)

        # Send, and receive the reply.
        await pilot.press(*"Hello there", "enter")
        await wait_until(pilot, lambda: "Ada: Hello there" in _log_text(app))
        await wait_until(pilot, lambda: _log_text(app).count("Alex Rivera:") >= 2)

        # The agent asks to share the screen: accept with the keyboard.
        await pilot.press(*"can you screen share", "enter")
        await wait_for_media_dialog(pilot, "would like to see your screen")
        await pilot.press("a")
        await wait_until(pilot, lambda: "You accepted the screen share request" in _log_text(app))

        # A co-browse request: decline it.
        control.media_request(cid, ["COBROWSE"])
        await wait_for_media_dialog(pilot, "would like to co-browse with you")
        await pilot.press("d")
        await wait_until(pilot, lambda: "You declined the co-browse request" in _log_text(app))
        patches = [e for e in control.record(cid) if e["kind"] == "media-request-patch"]
        assert [(p["state"], p["ok"]) for p in patches] == [("ACCEPTED", True), ("DECLINED", True)]

        # A transfer is shown as such.
        control.transfer(cid)
        await wait_until(pilot, lambda: "You were transferred to" in _log_text(app))
        await wait_until(
            pilot,
            lambda: (
                "Connected to" in screen_text(app)
                and "Alex Rivera" not in _chat(app).query_one("#status").text
            ),
        )

        # Leave, with confirmation.
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for_text(pilot, "Chat ended — You left the chat")
        record = control.record(cid)
        guest_id = app.chat_handle.session.me.id  # type: ignore[union-attr]
        assert any(
            e["kind"] == "member-change" and e["memberId"] == guest_id and e["state"] == "DISCONNECTED"
            for e in record
        )
        composer = app.screen.query_one(Composer)
        assert composer.blocked_reason == "the chat has ended"
        # Leave is greyed out in the footer now, and f8 asks nothing.
        leave = [b for b in app.screen.active_bindings.values() if b.binding.action == "leave"]
        assert [b.enabled for b in leave] == [False]
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        assert "Hello there" in _log_text(app)  # the transcript stays readable

        # Save the transcript both ways.
        await pilot.press("ctrl+s")
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: len(_chat(app).saved_paths) == 2)
        markdown, json_path = _chat(app).saved_paths
        # Where the files went stays in the transcript (the toast saying so goes away after a few seconds).
        await wait_until(
            pilot,
            lambda: (
                {f"Transcript saved to {markdown}", f"Transcript saved to {json_path}"}
                <= {entry.body for entry in _chat(app).query_one(MessageLog).entries}
            ),
        )
        assert markdown.suffix == ".md" and "Hello there" in markdown.read_text()
        exported = json.loads(json_path.read_text())
        assert "Hello there" in json.dumps(exported)

        # A new chat returns to the form, values kept.
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(app.screen, JoinScreen))
        assert app.screen.query_one("#display_name", Input).value == "Ada"


async def test_start_errors_are_explained_and_retry_works(emu: Any, control: Any) -> None:
    """Invalid queue, disabled deployment, missing and bad auth tokens are described next to the form; after
    each correction the same form is retried, and with a valid token the chat starts, no restart needed."""
    app = build_app(emu)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_join_form(pilot)
        join = app.screen
        assert isinstance(join, JoinScreen)
        join.query_one("#display_name", Input).value = "Ada"
        join.query_one("#queue", Input).value = "Nope"
        await pilot.press("enter")
        await wait_for_text(pilot, "There is no queue called 'Nope'")
        assert isinstance(app.screen, JoinScreen)

        join.query_one("#deployment_id", Input).value = emu.seed.disabled_deployment_id
        join.query_one("#queue", Input).value = "Support"
        await pilot.press("enter")
        await wait_for_text(pilot, "This deployment is switched off")

        join.query_one("#deployment_id", Input).value = emu.seed.auth_deployment_id
        await pilot.press("enter")
        await wait_for_text(pilot, "only accepts signed-in guests")

        join.query_one("#member_auth_token", Input).value = "not-a-token"
        await pilot.press("enter")
        await wait_for_text(pilot, "member auth token was not accepted")

        join.query_one("#member_auth_token", Input).value = emu.seed.member_auth_token
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        [conversation] = control.conversations()
        assert conversation["deploymentId"] == emu.seed.auth_deployment_id


async def test_network_down_is_explained(emu: Any) -> None:
    """A custom API base URL where nothing listens gives a plain "cannot reach" message."""
    from textual.widgets import Select

    app = build_app(emu)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_join_form(pilot)
        join = app.screen
        join.query_one("#display_name", Input).value = "Ada"
        join.query_one("#environment", Select).value = "custom"
        await pilot.pause()
        join.query_one("#api_base", Input).value = "http://127.0.0.1:9"
        # ids are kept per environment: a backend not used before starts without the emulator's ids
        join.query_one("#organization_id", Input).value = "org-1"
        join.query_one("#deployment_id", Input).value = "dep-1"
        await pilot.pause()
        assert "Join a chat · custom API base URL" in screen_text(app)
        join.query_one("#display_name", Input).focus()
        await pilot.press("enter")
        await wait_for_text(pilot, "Cannot reach http://127.0.0.1:9", timeout=30)
        assert isinstance(app.screen, JoinScreen)
