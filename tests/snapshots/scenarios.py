"""Deterministic screen scenarios shared by the snapshot tests and `make screenshots`.

Every scenario runs against the real emulator (seed 1234, so the seeded ids are always the same) with the
agent driven through the control API (auto agent off), a frozen clock, frozen message times, the dark theme
and no blinking cursors, so the same scenario always draws the same screen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from tests.tui.helpers import FIXED_CLOCK, build_app, conversation_id, fixed_time, wait_until
from tests.tui.screen_text import screen_text
from webchat_tui.config import ChatSettings
from webchat_tui.tui.app import WebchatApp
from webchat_tui.tui.screens.chat import ChatScreen
from webchat_tui.tui.screens.media_request import MediaRequestScreen, security_key_text
from webchat_tui.tui.widgets.composer import MessageInput
from webchat_tui.tui.widgets.member_list import MemberList
from webchat_tui.tui.widgets.message_log import MessageLog

SIZE = (100, 30)

AGENT_LINES = [
    "Hi Ada, I'm Alex. How can I help you today?",
    "Let me check that order for you. It left our warehouse on Monday and the courier lists it as out for "
    "delivery today, so it should reach you before 6 pm. I'll stay on the chat while you check the tracking.",
    "[bold]Markup[/bold] and \\[escapes] from the agent are shown exactly as typed.",
]


async def _settle(pilot: Pilot[Any]) -> None:
    """No blinking cursors, then let pending work finish."""
    for widget in pilot.app.screen.query("Input, TextArea"):
        if isinstance(widget, Input | TextArea):
            widget.cursor_blink = False
    for screen in pilot.app.screen_stack:
        for widget in screen.query("Input, TextArea"):
            if isinstance(widget, Input | TextArea):
                widget.cursor_blink = False
    await pilot.pause()
    await pilot.pause(0.1)


async def _type(pilot: Pilot[Any], text: str) -> None:
    """Put `text` into the message input in one go (key-by-key typing is covered by the Pilot tests)."""
    pilot.app.screen.query_one(MessageInput).insert(text)
    await pilot.pause()


def _members(app: Any) -> dict[str, str]:
    """Member display name -> state as the member list shows them."""
    for screen in app.screen_stack:
        if isinstance(screen, ChatScreen):
            return {m.display_name: m.state for m in screen.query_one(MemberList).members.values()}
    return {}


def _log_text(app: WebchatApp) -> str:
    for screen in app.screen_stack:
        if isinstance(screen, ChatScreen):
            return "\n".join(screen.query_one(MessageLog).plain_lines())
    return ""


async def _start(pilot: Pilot[Any], control: Any) -> str:
    """Press Enter on the prefilled form and wait until the guest waits in the queue."""
    app = pilot.app
    await pilot.pause()
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
    await wait_until(pilot, lambda: "Waiting for an agent in Support" in screen_text(app))
    await wait_until(pilot, lambda: _members(app) == {"Ada": "CONNECTED", "Support": "CONNECTED"})
    return conversation_id(app)  # type: ignore[arg-type]


async def _connected_with_messages(pilot: Pilot[Any], control: Any) -> str:
    cid = await _start(pilot, control)
    app = pilot.app
    control.connect(cid)
    await wait_until(pilot, lambda: "Connected to Alex Rivera" in screen_text(app))
    await wait_until(pilot, lambda: "Alex Rivera joined the chat" in _log_text(app))  # type: ignore[arg-type]
    connected = {"Ada": "CONNECTED", "Support": "DISCONNECTED", "Alex Rivera": "CONNECTED"}
    await wait_until(pilot, lambda: _members(app) == connected)
    control.agent_messages(cid, bodies=AGENT_LINES[:1])
    await wait_until(pilot, lambda: "How can I help" in _log_text(app))  # type: ignore[arg-type]
    await _type(pilot, "My order #42 hasn't arrived yet.")
    await pilot.press("enter")
    await wait_until(pilot, lambda: "hasn't arrived yet" in _log_text(app))  # type: ignore[arg-type]
    control.agent_messages(cid, bodies=AGENT_LINES[1:])
    await wait_until(pilot, lambda: "shown exactly as typed" in _log_text(app))  # type: ignore[arg-type]
    return cid


@dataclass(frozen=True)
class Scenario:
    """One screen to draw: how to build the app and what to do before the picture is taken."""

    name: str
    description: str
    drive: Callable[[Pilot[Any], Any], Awaitable[None]]
    settings: ChatSettings = field(default_factory=ChatSettings)
    size: tuple[int, int] = SIZE
    session_options: dict[str, Any] = field(default_factory=dict)
    theme: str = "textual-dark"

    def app(self, emu: Any) -> WebchatApp:
        """The app for this scenario, pointed at `emu`."""
        return build_app(
            emu,
            settings=self.settings,
            clock=lambda: FIXED_CLOCK,
            format_time=fixed_time,
            theme=self.theme,
            backend_label="local emulator",
            session_options=self.session_options,
        )

    def run_before(self, control: Any) -> Callable[[Pilot[Any]], Awaitable[None]]:
        """The `run_before` for `snap_compare` (agent driven by `control`)."""

        async def run(pilot: Pilot[Any]) -> None:
            control.set_config(autoAgent=False, mediaRequestTimeout=1_000_000.0, idleTimeout=1_000_000.0)
            await self.drive(pilot, control)
            await _settle(pilot)

        return run


async def _join_empty(pilot: Pilot[Any], control: Any) -> None:
    await pilot.pause()


async def _join_invalid(pilot: Pilot[Any], control: Any) -> None:
    await pilot.pause()
    await pilot.press("enter")  # shows the missing name
    await pilot.press("tab", "tab", "tab", *"ada@", "tab", *"call me")
    await wait_until(pilot, lambda: "Not an email address" in screen_text(pilot.app))


async def _join_valid(pilot: Pilot[Any], control: Any) -> None:
    await pilot.pause()
    screen = pilot.app.screen
    for name, value in (("first_name", "Ada"), ("last_name", "Lovelace"), ("email", "ada@example.com")):
        screen.query_one(f"#{name}", Input).value = value
    await pilot.press(*"Ada Lovelace")


async def _join_help(pilot: Pilot[Any], control: Any) -> None:
    await pilot.pause()
    await pilot.press("f1")
    await wait_until(pilot, lambda: "Keys — Join" in screen_text(pilot.app))


async def _chat_waiting(pilot: Pilot[Any], control: Any) -> None:
    await _start(pilot, control)


async def _chat_connected(pilot: Pilot[Any], control: Any) -> None:
    await _connected_with_messages(pilot, control)


async def _chat_typing(pilot: Pilot[Any], control: Any) -> None:
    cid = await _connected_with_messages(pilot, control)
    control.agent_typing(cid)
    await wait_until(pilot, lambda: "Alex Rivera is typing…" in screen_text(pilot.app))
    await _type(pilot, "Thanks, I'll check the tracking")


async def _media_request(pilot: Pilot[Any], control: Any) -> None:
    cid = await _connected_with_messages(pilot, control)
    control.media_request(cid, ["SCREENSHARE"])
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, MediaRequestScreen))
    # The transcript line behind the dialog is written a frame later: wait for it (else the SVG varies).
    await wait_until(pilot, lambda: "asks to start a screen share" in _log_text(pilot.app))
    # The security key is random per request (a secret, never seeded): the picture shows a fixed one in its
    # place, drawn the same way (the Pilot tests check the real key is shown).
    pilot.app.screen.query_one("#security-key", Static).update(security_key_text("123456"))


async def _chat_ended(pilot: Pilot[Any], control: Any) -> None:
    cid = await _connected_with_messages(pilot, control)
    control.end(cid)
    await wait_until(pilot, lambda: "Chat ended — The agent ended the chat" in screen_text(pilot.app))
    await wait_until(pilot, lambda: set(_members(pilot.app).values()) == {"DISCONNECTED"})


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("join_empty", "The join form as it opens: name focused, start disabled.", _join_empty),
        Scenario(
            "join_invalid", "Errors under the name, email and phone fields; start disabled.", _join_invalid
        ),
        Scenario("join_valid", "A complete form; the start button is enabled.", _join_valid),
        Scenario("join_help", "F1 on the join form: every key of the form and of the app.", _join_help),
        Scenario(
            "chat_waiting",
            "Waiting for an agent: spinner and elapsed time.",
            _chat_waiting,
            settings=ChatSettings(display_name="Ada"),
        ),
        Scenario(
            "chat_connected",
            "Connected to Alex Rivera with messages and members.",
            _chat_connected,
            settings=ChatSettings(display_name="Ada"),
        ),
        Scenario(
            "chat_connected_light",
            "The connected chat in the light theme.",
            _chat_connected,
            settings=ChatSettings(display_name="Ada"),
            theme="textual-light",
        ),
        Scenario(
            "chat_typing",
            "The agent is typing; the guest has a draft.",
            _chat_typing,
            settings=ChatSettings(display_name="Ada"),
            session_options={"typing_expiry": 600.0},
        ),
        Scenario(
            "media_request",
            "The screen-share request dialog over the chat.",
            _media_request,
            settings=ChatSettings(display_name="Ada"),
        ),
        Scenario(
            "chat_ended",
            "The agent ended the chat; transcript kept, the message box read-only.",
            _chat_ended,
            settings=ChatSettings(display_name="Ada"),
        ),
        Scenario(
            "chat_ended_light",
            "The ended chat in the light theme: system lines, notices and times legible.",
            _chat_ended,
            settings=ChatSettings(display_name="Ada"),
            theme="textual-light",
        ),
        Scenario(
            "chat_narrow",
            "The connected chat at 60x15: member panel hidden, one-line message box, every key readable.",
            _chat_connected,
            settings=ChatSettings(display_name="Ada"),
            size=(60, 15),
        ),
    )
}
