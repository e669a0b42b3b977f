"""SVG snapshots of the agent console (pytest-textual-snapshot; accept changes with `--snapshot-update`).

The waiting list is drawn from feed events the test applies (fixed times, a hostile guest name); the chat
tab is a real Web Chat v2 guest taken on the emulator. Clocks are fixed so the pictures stay the same.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.agent.conftest import until
from tests.api.conftest import FAST_STREAM
from webchat_tui.api import ChatSession, GuestMemberInfo, WebChatClient
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.tui.agent import widgets
from webchat_tui.tui.agent.app import AgentApp
from webchat_tui.tui.agent.backend import DeskBackend
from webchat_tui.tui.agent.widgets import chat_pane
from webchat_tui.tui.agent.widgets.waiting_table import WaitingTable

NOW = 1_800_000_125.0
WAITING = [
    ("webchat", "c1", "Ada Lovelace", "Support", {"order": "A-1042", "email": "ada@example.com"}, 125),
    ("messaging", "m2", "Mia", "Support", {"name": "Mia", "plan": "pro"}, 64),
    ("webchat", "c3", "\x1b[2J\x1b]0;pwned\x07Eve\u202egro.live", "Billing", {"note": "[bold]x[/]"}, 3),
]

assert widgets  # the package the snapshots cover


@pytest.fixture
def fixed_clocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(WaitingTable, "clock", staticmethod(lambda: NOW))
    monkeypatch.setattr(chat_pane, "_now", lambda: "10:42")


def _app(emu: EmbeddedEmulator) -> AgentApp:
    return AgentApp(
        DeskBackend(ControlClient.for_emulator(emu), "Trainer Tess"),
        banner="Trainees: http://192.0.2.10:8000/",
    )


async def _online(app: AgentApp) -> Any:
    desk = await until(lambda: app.screen_stack[-1] if len(app.screen_stack) > 1 else None)
    await until(lambda: desk.online)
    return desk


def test_waiting_list(
    snap_compare: Any, emu: EmbeddedEmulator, human: ControlClient, fixed_clocks: None
) -> None:
    """Three waiting conversations oldest first (2:05, 1:04, 0:03 waited), Web Chat and Messaging rows with
    their queues and fields; the third guest's name drawn as plain characters (no escape codes, no
    reordering) and its field's [bold] markup literal; status "Trainer Tess · online · 3 waiting · 0 open",
    the trainees' address below it; footer with enter Take, f2, f3, f4, f1 Help, ^q Quit."""
    app = _app(emu)

    async def run_before(pilot: Any) -> None:
        desk = await _online(app)
        for channel, cid, guest, queue, fields, age in WAITING:
            entry = {"channel": channel, "id": cid, "state": "waiting", "guest": guest, "queue": queue}
            entry |= {"deploymentId": "8c6f1d2e-0000", "fields": fields, "since": NOW - age, "agent": None}
            desk.apply({"type": "waiting", "conversation": entry})
        desk.table.focus()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(110, 20), run_before=run_before)


def test_chat_tab(
    snap_compare: Any,
    emu: EmbeddedEmulator,
    human: ControlClient,
    fixed_clocks: None,
) -> None:
    """A taken Web Chat v2 chat: details "Ada · Web Chat v2 · Support · order=A-1042", the guest's first
    message before the take, "You joined as Trainer Tess.", the person's reply, the guest's answer; footer
    with ^s Screen share, ^b Co-browse, ^t Transfer, ^l End, f8 Close tab greyed (no Web Messaging keys)."""
    app = _app(emu)

    async def run_before(pilot: Any) -> None:
        desk = await _online(app)
        # The guest lives on the app's loop (snap_compare runs its own); it is left open on purpose: leaving
        # would end the chat in the picture. The next test's emulator reset forgets it.
        guest = ChatSession(WebChatClient(base_url=emu.base_url), stream_options=FAST_STREAM)
        await guest.start(
            organization_id=emu.seed.organization_id,
            deployment_id=emu.seed.deployment_id,
            queue="Support",
            member_info=GuestMemberInfo(display_name="Ada", custom_fields={"order": "A-1042"}),
        )
        await guest.send("Hello, is anyone there?")
        key = f"webchat:{guest.conversation_id}"
        await until(lambda: key in desk.table.entries)
        desk.take(key)
        pane = await until(lambda: desk.panes.get(key))
        await until(
            lambda: pane.query("MessageLog") and any("You joined" in e.body for e in pane.log_view.entries)
        )
        await pilot.press(*"Hi Ada, how can I help?", "enter")
        await guest.wait_until(lambda s: any(m.body == "Hi Ada, how can I help?" for m in s.messages), 30)
        await guest.send("My order is late")
        await until(lambda: any(e.body == "My order is late" for e in pane.log_view.entries))
        pane.query_one("TypingIndicator").names = ()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(110, 24), run_before=run_before)
