"""Helpers for Pilot tests: build the app against the test emulator, wait for conditions, read the screen."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.tui.screen_text import screen_text
from webchat_tui.config import ChatSettings
from webchat_tui.tui.app import WebchatApp, make_app
from webchat_tui.tui.screens.chat import ChatScreen
from webchat_tui.tui.screens.join import JoinScreen
from webchat_tui.tui.widgets.message_log import MessageLog

FIXED_CLOCK = 1000.0


def fixed_time(_: datetime) -> str:
    """Freeze message times for deterministic screens."""
    return "12:00"


def build_app(
    emu: Any,
    tmp_path: Path | None = None,
    settings: ChatSettings | None = None,
    *,
    channel: str = "webchat",
    **kw: Any,
) -> WebchatApp:
    """The app pointed at the test emulator (no embedded emulator of its own), on `channel` (Web Chat v2
    unless told: the form's own default, Web Messaging, is tested by the Web Messaging tests)."""
    settings = replace(settings or ChatSettings(), channel=channel)
    kw.setdefault("format_time", fixed_time)
    kw.setdefault("theme", "textual-dark")
    kw.setdefault("queues", tuple(emu.seed.queues))  # as the embedded emulator reports its own
    kw.setdefault("control_token", emu.control_token)
    return make_app(
        settings,
        base_url=emu.base_url,
        organization_id=emu.seed.organization_id,
        deployment_id=emu.seed.deployment_id,
        messaging_deployment_id=emu.messaging_deployment_id,
        transcript_dir=tmp_path,
        **kw,
    )


async def wait_until(pilot: Pilot[Any], predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Let the app run until `predicate()` is truthy (returned); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; screen:\n{screen_text(pilot.app)}")
        await pilot.pause(0.02)


async def wait_for_join_form(pilot: Pilot[Any], timeout: float = 10.0) -> None:
    """Wait until the join form is whole: all but its first field mount right after the first frame, so a
    test that queries a later field straight after start-up races that mount on a loaded machine."""

    def whole() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, JoinScreen) and screen.complete

    await wait_until(pilot, whole, timeout)


async def wait_for_text(pilot: Pilot[Any], text: str, timeout: float = 10.0) -> None:
    """Wait until `text` is visible on the screen."""
    await wait_until(pilot, lambda: text in screen_text(pilot.app), timeout)


def conversation_id(app: WebchatApp) -> str:
    """The running chat's conversation id."""
    assert app.chat_handle is not None
    cid = app.chat_handle.session.conversation_id
    assert cid
    return cid


async def wait_for_media_dialog(pilot: Pilot[Any], text: str = "") -> Any:
    """Wait until a media-request dialog (showing `text`) is open and takes answers (it ignores keys for a
    moment after opening, so that typing meant for the composer cannot answer it); returns the dialog."""
    from webchat_tui.tui.screens.media_request import MediaRequestScreen

    def ready() -> Any:
        screen = pilot.app.screen
        return screen if isinstance(screen, MediaRequestScreen) and screen.armed else None

    dialog = await wait_until(pilot, ready)
    if text:
        await wait_for_text(pilot, text)
    return dialog


def chat_screen(app: WebchatApp) -> ChatScreen:
    """The chat screen in the app's stack (under any dialog on top of it)."""
    for screen in app.screen_stack:
        if isinstance(screen, ChatScreen):
            return screen
    raise AssertionError("no chat screen")


def log_text(app: WebchatApp) -> str:
    """The message pane's lines as plain text."""
    return "\n".join(chat_screen(app).query_one(MessageLog).plain_lines())


async def start_chat(pilot: Pilot[Any], app: WebchatApp, name: str = "Ada") -> str:
    """Type a name, press Enter, wait for the agent's greeting; returns the conversation id."""
    await pilot.pause()
    await pilot.press(*name, "enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
    await wait_until(pilot, lambda: "Alex Rivera: Hi" in log_text(app))
    return conversation_id(app)
