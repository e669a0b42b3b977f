"""The join form: prefilled values, the background emulator start, custom fields, and import hygiene."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from textual import events
from textual.widgets import Button, Input, Select

from tests.tui.helpers import build_app, wait_for_join_form, wait_until
from tests.tui.screen_text import screen_text
from webchat_tui.config import ChatSettings
from webchat_tui.tui.app import WebchatApp, make_app
from webchat_tui.tui.backend import LocalEmulator
from webchat_tui.tui.screens.chat import ChatScreen
from webchat_tui.tui.screens.join import CustomFieldRow, JoinScreen


def test_ui_modules_do_not_import_the_network_or_emulator_stack() -> None:
    """Importing the app (what the first frame needs) pulls in neither httpx, websockets nor FastAPI."""
    code = (
        "import sys, webchat_tui.cli, webchat_tui.tui.app\n"
        "bad = [m for m in ('httpx', 'websockets', 'fastapi', 'uvicorn') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


async def test_form_shows_before_the_embedded_emulator_is_ready() -> None:
    """With no backend given, the form is up (name focused, start disabled, "Starting the local emulator…")
    while the emulator starts in the background; then the seeded ids fill in and Enter starts the chat."""
    app = make_app(
        ChatSettings(display_name="Ada", channel="webchat"), emulator_time_scale=0.02
    )  # random seed
    async with app.run_test(size=(100, 30)) as pilot:
        join = app.screen
        assert isinstance(join, JoinScreen)
        assert app.focused is not None and app.focused.id == "display_name"
        await pilot.pause()
        assert "Join a chat · local emulator (embedded)" in screen_text(app)
        if not app.local.ready:
            assert join.query_one("#start", Button).disabled
            assert "Starting the local emulator" in screen_text(app)
        await wait_until(pilot, lambda: app.local.ready, timeout=30)
        await wait_until(pilot, lambda: join.query_one("#organization_id", Input).value)
        assert join.query_one("#deployment_id", Input).value == app.local.deployment_id
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), timeout=20)


async def test_profile_values_and_custom_fields_are_shown_and_sent(emu: Any, control: Any) -> None:
    """Values from settings (profile + flags) fill the form; a custom field row can be added by keyboard and
    is read back with the others; the chat starts with them."""
    settings = ChatSettings(
        display_name="Ada",
        email="ada@example.com",
        custom_fields=(("orderId", "42"),),
        skills=("English",),
        priority=2,
    )
    app = build_app(emu, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_join_form(pilot)
        join = app.screen
        assert isinstance(join, JoinScreen)
        assert join.query_one("#email", Input).value == "ada@example.com"
        assert join.query_one("#skills", Input).value == "English"
        assert join.query_one("#priority", Input).value == "2"
        assert str(join.query_one("#environment", Select).value) == "local"
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: len(join.query(CustomFieldRow)) == 2)
        await pilot.press(*"tier", "tab", *"gold")
        read, _ = join.read_settings()
        assert read.custom_fields == (("orderId", "42"), ("tier", "gold"))
        # The mouse works too: add a row, then remove it with its ✕ button.
        assert await pilot.click("#add-field")
        await wait_until(pilot, lambda: len(join.query(CustomFieldRow)) == 3)
        last = join.query(CustomFieldRow).last()
        last.scroll_visible(animate=False)
        await pilot.pause()
        assert await pilot.click(last.query_one(".remove-field"))
        await wait_until(pilot, lambda: len(join.query(CustomFieldRow)) == 2)
        join.query_one("#display_name", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        cid = app.chat_handle.session.conversation_id  # type: ignore[union-attr]
        members = control.conversation(cid)["members"]
        assert any(m["displayName"] == "Ada" for m in members)


async def test_custom_field_without_name_is_reported(emu: Any) -> None:
    """A custom field value with no name blocks the start with an inline message."""
    app = build_app(emu, settings=ChatSettings(display_name="Ada", custom_fields=(("", "orphan"),)))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_join_form(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Every custom field needs a name." in screen_text(app))
        assert isinstance(app.screen, JoinScreen)


class GatedEmulator(LocalEmulator):
    """The real embedded emulator, held back until the test opens the gate (so the test decides whether the
    user is faster than the emulator start, instead of racing it)."""

    def __init__(self) -> None:
        super().__init__(time_scale=0.02)
        self.gate = threading.Event()

    def start_blocking(self, timeout: float = 30.0) -> None:
        self.gate.wait(timeout)
        super().start_blocking(timeout)


class RecordingEmulator(LocalEmulator):
    """The real embedded emulator, recording whether the join form was whole when its start began."""

    def __init__(self) -> None:
        super().__init__(time_scale=0.02)
        self.app: WebchatApp | None = None
        self.form_complete_at_start: list[bool] = []

    def start_blocking(self, timeout: float = 30.0) -> None:
        assert self.app is not None
        join = self.app.screen_stack[0]
        self.form_complete_at_start.append(isinstance(join, JoinScreen) and join.complete)
        super().start_blocking(timeout)


async def test_embedded_emulator_starts_after_the_join_form_is_whole() -> None:
    """The join form is the app's first screen, and the embedded emulator (whose imports would compete with
    the first frame) starts only once the whole form is mounted, and only once."""
    local = RecordingEmulator()
    app = WebchatApp(ChatSettings(channel="webchat", display_name="Ada"), local=local, theme="textual-dark")
    local.app = app
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, JoinScreen) and len(app.screen_stack) == 1
        await wait_for_join_form(pilot)
        await wait_until(pilot, lambda: local.ready, timeout=30)
        assert local.form_complete_at_start == [True]


async def test_name_and_enter_before_the_emulator_is_ready_starts_the_chat_once_it_is() -> None:
    """A newcomer types a name and presses Enter while the embedded emulator is still starting (ids not yet
    known): the form says it will start, and the chat opens by itself as soon as the emulator is ready."""
    local = GatedEmulator()
    app = WebchatApp(ChatSettings(channel="webchat"), local=local, theme="textual-dark")
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for_join_form(pilot)
            await pilot.press(*"Quick", "enter")
            await wait_until(pilot, lambda: "chat starts as soon as" in screen_text(app))
            assert "Enter the organization id" not in screen_text(app)
            local.gate.set()
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), timeout=30)
            await wait_until(pilot, lambda: "Chat on the local emulator" in screen_text(app))
    finally:
        local.gate.set()


async def test_switching_to_the_local_emulator_uses_its_ids_and_back(emu: Any) -> None:
    """Ids from a Genesys Cloud profile mean nothing to the local emulator: picking "Local emulator" puts the
    emulator's ids in (the chat then starts), and picking the region again brings the profile's ids back."""
    settings = ChatSettings(
        display_name="Ada", environment="mypurecloud.ie", organization_id="org-1", deployment_id="dep-1"
    )
    app = build_app(emu, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_join_form(pilot)
        join = app.screen
        assert isinstance(join, JoinScreen)
        org, dep = join.query_one("#organization_id", Input), join.query_one("#deployment_id", Input)
        select = join.query_one("#environment", Select)
        select.value = "local"
        await wait_until(pilot, lambda: org.value == emu.seed.organization_id)
        assert dep.value == emu.seed.deployment_id
        select.value = "mypurecloud.ie"
        await wait_until(pilot, lambda: org.value == "org-1")
        assert dep.value == "dep-1"
        select.value = "local"
        await wait_until(pilot, lambda: org.value == emu.seed.organization_id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_until(pilot, lambda: "Chat on the local emulator" in screen_text(app))


async def test_embedded_emulator_tokens_stay_in_memory(tmp_path: Path) -> None:
    """A Web Messaging chat on the embedded emulator (which ends with the app, new ids every run) keeps its
    token for this run only: the token file gets no entry that could never be resumed."""
    tokens = tmp_path / "tokens.json"
    local = LocalEmulator(time_scale=0.02)
    app = WebchatApp(
        ChatSettings(channel="messaging", display_name="Ada"),
        local=local,
        theme="textual-dark",
        token_store_path=tokens,
        transcript_dir=tmp_path,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_join_form(pilot)
        await wait_until(pilot, lambda: local.ready, timeout=30)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), timeout=30)
        assert app.chat_handle is not None
        token = app.chat_handle.session.token.get()
        assert app.token_store_for("local").get(local.messaging_deployment_id) == token
    assert not tokens.exists() or local.messaging_deployment_id not in tokens.read_text()


async def test_focus_regained_with_nothing_focused_focuses_the_first_field(emu: Any) -> None:
    """A browser tab can tell the app it lost the focus before the join form was composed (Textual then skips
    its AUTO_FOCUS) and that it has it again: the name field gets the focus, so the first keys are typed."""
    app = build_app(emu, settings=ChatSettings(channel="messaging"))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_join_form(pilot)
        app.screen.set_focus(None)
        app.post_message(events.AppBlur())
        await pilot.pause()
        app.post_message(events.AppFocus())
        await wait_until(pilot, lambda: app.focused is not None)
        assert app.focused is not None and app.focused.id == "display_name"
        await pilot.press(*"Ada")
        assert app.screen.query_one("#display_name", Input).value == "Ada"
