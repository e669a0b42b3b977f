"""The agent console's pictures, shared by the snapshot tests and `make screenshots`: the waiting list
(drawn from feed events with fixed times and a hostile guest name) and a taken Web Chat v2 chat (a real
guest on the emulator). Clocks are fixed so the pictures stay the same."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.agent.conftest import until
from tests.api.conftest import FAST_STREAM
from webchat_tui import messaging
from webchat_tui.api import ChatSession, GuestMemberInfo, WebChatClient
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient
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
WAITING_SIZE = (110, 20)
CHAT_SIZE = (110, 24)


@contextmanager
def fixed_clocks() -> Iterator[None]:
    """The waiting list's clock and the transcript's times fixed (restored afterwards)."""
    clock, at = WaitingTable.clock, chat_pane._at
    WaitingTable.clock = staticmethod(lambda: NOW)  # type: ignore[assignment]
    chat_pane._at = lambda moment: "10:42"  # every time shown: now, and the history's own times
    try:
        yield
    finally:
        WaitingTable.clock = clock  # type: ignore[method-assign]
        chat_pane._at = at


def console(emu: EmbeddedEmulator) -> AgentApp:
    """The console as "Trainer Tess", with a workshop banner."""
    return AgentApp(
        DeskBackend(ControlClient.for_emulator(emu), "Trainer Tess"),
        banner="Trainees: http://192.0.2.10:8000/",
    )


async def _online(app: AgentApp) -> Any:
    desk = await until(lambda: app.screen_stack[-1] if len(app.screen_stack) > 1 else None)
    await until(lambda: desk.online)
    return desk


async def waiting_list(app: AgentApp, pilot: Any) -> None:
    """Three waiting conversations, oldest first."""
    desk = await _online(app)
    for channel, cid, guest, queue, fields, age in WAITING:
        entry = {"channel": channel, "id": cid, "state": "waiting", "guest": guest, "queue": queue}
        entry |= {"deploymentId": "8c6f1d2e-0000", "fields": fields, "since": NOW - age, "agent": None}
        desk.apply({"type": "waiting", "conversation": entry})
    assert desk.table.has_focus  # from the start (AUTO_FOCUS)
    # Rows put in one go here are drawn before DataTable measures their widths on idle, and its render cache
    # keeps that frame; a focus change drops the cache. (The live console, tried on a real feed, drew full
    # widths; this scene used to get the refresh from its own focus() call.)
    desk.table.blur()
    await pilot.pause()
    desk.table.focus()
    await pilot.pause()


async def chat_tab(app: AgentApp, emu: EmbeddedEmulator, pilot: Any) -> None:
    """A guest waits, the console takes the chat, they exchange a message each. The guest lives on the app's
    loop and is left open on purpose (leaving would end the chat in the picture); an emulator reset forgets
    it."""
    desk = await _online(app)
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
    await until(lambda: pane.composer.has_focus)
    await pilot.press(*"Hi Ada, how can I help?", "enter")
    await guest.wait_until(lambda s: any(m.body == "Hi Ada, how can I help?" for m in s.messages), 30)
    await guest.send("My order is late")
    await until(lambda: any(e.body == "My order is late" for e in pane.log_view.entries))
    pane.query_one("TypingIndicator").names = ()
    await pilot.pause()


MESSAGING_SIZE = (80, 24)


async def messaging_card(app: AgentApp, emu: EmbeddedEmulator, pilot: Any, tokens: Path) -> None:
    """A Web Messaging guest says hello, the console takes the conversation and sends the sample card with a
    line of text: what the guest got, drawn as the guest's app draws it. The guest lives on the app's loop and
    is left open, as in `chat_tab`."""
    desk = await _online(app)
    client = messaging.MessagingClient(emu.messaging_direct_deployment_id, base_url=emu.base_url)
    session = messaging.MessagingSession(
        client, token_store=messaging.TokenStore(tokens), guest_name="Mia", custom_attributes={"name": "Mia"}
    )
    await session.start()
    await session.send("Which plan suits me?")
    control = ControlClient.for_emulator(emu)
    key = f"messaging:{control.messaging_session_for(session.token.get())['id']}"
    control.close()
    await until(lambda: key in desk.table.entries)
    desk.take(key)
    pane = await until(lambda: desk.panes.get(key))
    await until(
        lambda: pane.query("MessageLog") and any("You joined" in e.body for e in pane.log_view.entries)
    )
    await until(lambda: pane.composer.has_focus)
    await pilot.press(*"This one, I think")
    await pilot.press("f5")
    await until(lambda: any(e.role == "choices" for e in pane.log_view.entries))
    pane.query_one("TypingIndicator").names = ()
    await pilot.pause()
