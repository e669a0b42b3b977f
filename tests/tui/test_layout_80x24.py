"""Issue 11, "layout holds at 80x24" (nothing cut without a sign): on every screen of the guest app, each key
the footer shows is on screen in full ("^t Theme" used to end as "^t Them" under the palette hint). Where a
key shows only at times (Choose, Resend, Cancel start...), every key is forced on at once, so the worst case
is what is measured. The join form's queue hint wraps instead of running past the edge.

One key means one thing on every screen: the join form's and the chat screen's keys do not overlap, and none
of them is a key Textual's Input or TextArea uses for editing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.binding import Binding
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Footer, Input, TextArea
from textual.widgets._footer import FooterKey

from tests.tui.helpers import build_app, chat_screen, log_text, start_chat, wait_for_join_form, wait_until
from tests.tui.screen_text import screen_text
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.tui.app import WebchatApp
from webchat_tui.tui.screens.chat import ChatScreen
from webchat_tui.tui.screens.join import JoinScreen

SIZE = (80, 24)
WAIT = 30.0


def _all_keys_on(screen: Screen[Any]) -> None:
    """Every binding of `screen` counts as available (the footer's worst case)."""
    screen.check_action = lambda action, parameters: True  # type: ignore[method-assign]
    screen.refresh_bindings()


async def _footer_fits(pilot: Pilot[Any], where: str) -> list[str]:
    """Assert every key of the active screen's footer is drawn in full inside 80 columns; returns labels."""
    app = pilot.app
    await pilot.pause()
    await pilot.pause(0.1)
    footer = app.screen.query_one(Footer)
    keys = [k for k in footer.query(FooterKey) if k.display]
    assert keys, f"{where}: the footer shows no key"
    last_line = screen_text(app).splitlines()[-1]
    labels = []
    for key in keys:
        label = f"{key.key_display} {key.description}".strip()
        labels.append(label)
        assert key.region.right <= SIZE[0], f"{where}: {label!r} runs past column 80: {last_line!r}"
        assert label in last_line, f"{where}: {label!r} is cut: {last_line!r}"
    return labels


async def test_every_footer_key_fits_at_80_columns_on_web_chat(emu: Any, control: ControlClient) -> None:
    """Join form, its help, the chat (all its keys at once), the chat's help, the leave dialog and f2."""
    app = build_app(emu)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_join_form(pilot)
        join = await _footer_fits(pilot, "join form")
        assert "^t Theme" not in join  # in help and the palette; the footer keeps room for the form's keys
        _all_keys_on(app.screen)
        await _footer_fits(pilot, "join form, every key on")
        await pilot.press("f1")
        await wait_until(pilot, lambda: "Keys — Join" in screen_text(app))
        await _footer_fits(pilot, "join help")
        await pilot.press("escape")
        await start_chat(pilot, app)
        labels = await _footer_fits(pilot, "chat")
        assert {"^s Save", "^n New", "f8 Leave", "^q Quit", "f1 Help"} <= set(labels)
        _all_keys_on(chat_screen(app))
        labels = await _footer_fits(pilot, "chat, every key on")
        assert "^r Resend" in labels
        await pilot.press("f1")
        await wait_until(pilot, lambda: "Keys — Chat" in screen_text(app))
        await _footer_fits(pilot, "chat help")
        await pilot.press("escape")
        await pilot.press("f8")
        await wait_until(pilot, lambda: "Leave the chat?" in screen_text(app))
        await _footer_fits(pilot, "leave dialog")
        await pilot.press("n")
        await pilot.press("f2")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "InfoScreen")
        await _footer_fits(pilot, "info")


async def test_every_footer_key_fits_at_80_columns_on_web_messaging(
    emu: Any, control: ControlClient, tmp_path: Path
) -> None:
    """Join form, the chat with the bot's quick replies (Choose) and every other key, the file picker, then
    the resume dialog of the next start."""
    tokens = tmp_path / "tokens.json"
    app = build_app(emu, tmp_path, channel="messaging", token_store_path=tokens)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_join_form(pilot)
        await _footer_fits(pilot, "join form (messaging)")
        await pilot.press(*"Ada", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), WAIT)
        await wait_until(pilot, lambda: "[1]" in log_text(app), WAIT)  # the bot's menu: f4 Choose shows
        labels = await _footer_fits(pilot, "chat (messaging)")
        assert "f4 Choose" in labels
        _all_keys_on(chat_screen(app))
        await _footer_fits(pilot, "chat (messaging), every key on")
        await pilot.press("ctrl+u")
        await wait_until(pilot, lambda: "Send a file" in screen_text(app))
        await _footer_fits(pilot, "file picker")
        await pilot.press("escape")
    app = build_app(emu, tmp_path, channel="messaging", token_store_path=tokens)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_join_form(pilot)
        await pilot.press(*"Ada", "enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ResumeScreen", WAIT)
        await _footer_fits(pilot, "resume dialog")


async def test_the_queue_hint_wraps_at_80_columns(emu: Any, control: ControlClient) -> None:
    """The join form's "This emulator's queues: …" hint wraps under the queue field at 80 columns (it ran past
    the right edge: "…, Billing, Night" with "Shift" cut off and no sign of it)."""
    app = build_app(emu)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_join_form(pilot)
        hint = app.screen.query_one("#queue-hint")
        await wait_until(pilot, lambda: "This emulator's queues:" in screen_text(app))
        assert hint.region.right <= SIZE[0] - 2  # inside the form's padding
        assert "Night Shift" in " ".join(screen_text(app).split())


def _keys(cls: type) -> dict[str, str]:
    keys: dict[str, str] = {}
    for binding in cls.__dict__.get("BINDINGS", []):
        if isinstance(binding, Binding):
            for key in binding.key.split(","):
                keys[key] = binding.id or binding.action
    return keys


def test_one_key_one_meaning_across_join_and_chat() -> None:
    """ctrl+f adds a field on the form and nothing in the chat; ctrl+r resends in the chat and nothing on the
    form (it used to reveal the token there, and ctrl+f used to leave the chat). No screen key is an editing
    key of Input or TextArea (they would shadow it while a text field has focus)."""
    join, chat = _keys(JoinScreen), _keys(ChatScreen)
    assert set(join) & set(chat) == set(), set(join) & set(chat)
    assert join["ctrl+f"] == "join.add-field" and chat["ctrl+r"] == "chat.resend"
    assert join["alt+r"] == "join.reveal-token" and chat["f8"] == "chat.leave"
    editing = {
        key
        for widget in (Input, TextArea)
        for b in widget.BINDINGS
        if isinstance(b, Binding)
        for key in b.key.split(",")
    }
    for key in (set(join) | set(chat) | set(_keys(WebchatApp))) - {"escape"}:
        assert key not in editing, key
