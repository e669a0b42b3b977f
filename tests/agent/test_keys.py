"""The agent console's keys as a person meets them: every key the footer shows is there whole at 120x30 and at
80x24 (waiting list, a Web Messaging tab, a Web Chat v2 tab, an ended tab), and the command palette offers
the console's own actions (those of the tab in front), which run like their keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.agent.conftest import until
from tests.api.conftest import FAST_STREAM
from tests.tui.screen_text import screen_text
from webchat_tui import messaging
from webchat_tui.api import ChatSession, GuestMemberInfo, WebChatClient
from webchat_tui.chat import types
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.emulator.human_agents import MESSAGING, WEBCHAT
from webchat_tui.tui.agent.app import AgentApp
from webchat_tui.tui.agent.screens.desk import DeskScreen, tab_id
from webchat_tui.tui.agent.widgets.waiting_table import entry_key

SIZES = ((120, 30), (80, 24))


def _footer_problems(app: AgentApp) -> list[str]:
    """Every footer key (with its full label) missing from the bottom row as drawn; empty when all fit."""
    footer = screen_text(app).splitlines()[-1]
    wanted = [
        f"{app.get_key_display(active.binding)} {active.binding.description}"
        for active in app.screen.active_bindings.values()
        if active.binding.show and active.binding.description
    ]
    assert "Quit" in " ".join(wanted) and "Help" in " ".join(wanted)
    return [label for label in [*wanted, "^p palette"] if label not in footer] + (
        [] if footer.rstrip().endswith("^p palette") else [f"cut: {footer!r}"]
    )


async def _show(app: AgentApp, pilot: Any, desk: DeskScreen, target: str) -> None:
    """Bring tab `target` to the front with the keyboard in it, as f2/f3/f4 do."""
    while desk.query_one("TabbedContent").active != target:  # type: ignore[attr-defined]
        await pilot.press("f4")
    await pilot.pause()


async def _desk(app: AgentApp) -> DeskScreen:
    desk = await until(lambda: app.screen_stack[-1] if len(app.screen_stack) > 1 else None)
    await until(lambda: desk.online, what="feed snapshot")
    assert isinstance(desk, DeskScreen)
    return desk


async def _messaging_guest(emu: EmbeddedEmulator, tmp_path: Path) -> messaging.MessagingSession:
    client = messaging.MessagingClient(emu.messaging_direct_deployment_id, base_url=emu.base_url)
    session = messaging.MessagingSession(
        client,
        token_store=messaging.TokenStore(tmp_path / "tokens.json"),
        guest_name="Mia",
        custom_attributes={"name": "Mia"},
    )
    await session.start()
    await session.send("Hello")
    return session


async def _webchat_guest(emu: EmbeddedEmulator) -> ChatSession:
    guest = ChatSession(WebChatClient(base_url=emu.base_url), stream_options=FAST_STREAM)
    await guest.start(
        organization_id=emu.seed.organization_id,
        deployment_id=emu.seed.deployment_id,
        queue="Support",
        member_info=GuestMemberInfo(display_name="Ada"),
    )
    return guest


async def test_every_footer_key_fits_at_120_and_80_columns(
    emu: EmbeddedEmulator, human: ControlClient, agent_app: AgentApp, tmp_path: Path
) -> None:
    async with agent_app.run_test(size=SIZES[0]) as pilot:
        desk = await _desk(agent_app)
        mia = await _messaging_guest(emu, tmp_path)
        ada = await _webchat_guest(emu)
        try:
            sid = str(human.messaging_session_for(mia.token.get())["id"])
            assert ada.conversation_id is not None
            keys = [entry_key(MESSAGING, sid), entry_key(WEBCHAT, ada.conversation_id)]
            await until(lambda: all(k in desk.table.entries for k in keys), what="both waiting")
            tabs = ["waiting"]
            for key in keys:
                desk.take(key)
                await until(lambda key=key: key in desk.panes, what="tab")  # type: ignore[misc]
                tabs.append(tab_id(key))
            problems: dict[str, list[str]] = {}
            for size in SIZES:
                await pilot.resize_terminal(*size)
                for target in tabs:
                    await _show(agent_app, pilot, desk, target)
                    if found := _footer_problems(agent_app):
                        problems[f"{size} {target}"] = found
            # An ended tab: its footer offers f8 to close it instead of the keys it can no longer use.
            pane = desk.panes[keys[0]]
            pane.finish("The conversation ended.")
            for size in SIZES:
                await pilot.resize_terminal(*size)
                await _show(agent_app, pilot, desk, tabs[1])
                assert "f8 Close tab" in screen_text(agent_app).splitlines()[-1]
                if found := _footer_problems(agent_app):
                    problems[f"{size} ended"] = found
            assert problems == {}
        finally:
            await mia.close()
            await ada.close()


async def test_palette_offers_the_consoles_actions(
    emu: EmbeddedEmulator, human: ControlClient, agent_app: AgentApp, tmp_path: Path
) -> None:
    """The palette lists the actions of the tab in front (a Web Messaging tab: quick replies, card, date
    picker, file, transfer, end; no Web Chat requests) and the desk's (waiting list, tabs); "Send a card"
    chosen there sends the card."""
    async with agent_app.run_test(size=(120, 30)) as pilot:
        desk = await _desk(agent_app)
        mia = await _messaging_guest(emu, tmp_path)
        try:
            waiting = {c.title for c in agent_app.get_system_commands(desk)}
            assert {"The waiting list", "Previous tab", "Next tab", "Help: keys", "Quit"} <= waiting

            sid = str(human.messaging_session_for(mia.token.get())["id"])
            key = entry_key(MESSAGING, sid)
            await until(lambda: key in desk.table.entries, what="waiting")
            assert "Take conversation" in {c.title for c in agent_app.get_system_commands(desk)}
            desk.take(key)
            pane = await until(lambda: desk.panes.get(key), what="tab")
            await pilot.pause()
            titles = {c.title for c in agent_app.get_system_commands(desk)}
            wanted = {"Quick replies", "Send a card", "Send a date picker", "Send a file"}
            wanted |= {"Transfer (agent or queue)", "End the conversation"}
            assert wanted <= titles, titles
            assert not {"Screen-share request", "Co-browse request", "Close this tab"} & titles

            await pilot.press("ctrl+p")
            await until(lambda: agent_app.screen is not desk, what="palette open")
            await pilot.press(*"Send a card")
            await pilot.pause()
            await pilot.press("enter")
            await mia.wait_until(
                lambda s: any(isinstance(c, types.Card) for m in s.messages for c in m.content), 30
            )
            await until(lambda: any(e.role == "content" for e in pane.log_view.entries), what="card shown")
        finally:
            await mia.close()
