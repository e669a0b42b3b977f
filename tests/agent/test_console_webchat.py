"""The agent console against a Web Chat v2 guest (`ChatSession`), both on the real emulator: the guest waits,
the console takes the chat, both sides exchange messages and typing, a screen-share request is answered,
the chat is transferred to a simulated agent; a second chat is ended from the console."""

from __future__ import annotations

from tests.agent.conftest import AGENT_NAME, until
from tests.api.conftest import FAST_STREAM
from webchat_tui.api import ChatSession, GuestMemberInfo, SessionState, WebChatClient
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.emulator.human_agents import WEBCHAT
from webchat_tui.tui.agent.app import AgentApp
from webchat_tui.tui.agent.screens.dialogs import ChoiceScreen
from webchat_tui.tui.agent.widgets.chat_pane import ChatPane
from webchat_tui.tui.agent.widgets.waiting_table import entry_key
from webchat_tui.tui.screens.help import HelpScreen


async def _guest(client: WebChatClient, emu: EmbeddedEmulator, name: str, **fields: str) -> ChatSession:
    session = ChatSession(client, stream_options=FAST_STREAM)
    await session.start(
        organization_id=emu.seed.organization_id,
        deployment_id=emu.seed.deployment_id,
        queue="Support",
        member_info=GuestMemberInfo(display_name=name, custom_fields=fields or None),
    )
    return session


def _log(pane: ChatPane) -> str:
    if not pane.query("MessageLog"):
        return ""  # not composed yet
    pane.log_view.flush()
    return "\n".join(pane.log_view.plain_lines())


async def test_take_chat_typing_screen_share_transfer(
    emu: EmbeddedEmulator, human: ControlClient, agent_app: AgentApp, client: WebChatClient
) -> None:
    async with agent_app.run_test(size=(120, 36)) as pilot:
        desk = await until(lambda: agent_app.screen_stack[-1] if len(agent_app.screen_stack) > 1 else None)
        await until(lambda: desk.online, what="feed snapshot")
        guest = await _guest(client, emu, "Ada", order="A-1042")
        try:
            cid = guest.conversation_id
            assert cid is not None
            key = entry_key(WEBCHAT, cid)
            # The guest waits: the console lists it with name, queue and custom field; nobody answers.
            await until(lambda: key in desk.table.entries, what="chat in the waiting list")
            row = [str(cell) for cell in desk.table.get_row(key)]
            assert row[:4] == ["Web Chat", "Ada", "Support", "order=A-1042"]
            assert guest.state is SessionState.WAITING_FOR_AGENT and guest.agent is None

            desk.table.focus()
            desk.table.move_cursor(row=desk.table.get_row_index(key))
            await pilot.press("enter")
            pane = await until(lambda: desk.panes.get(key), what="chat tab opened")
            await until(
                lambda: guest.agent is not None and guest.agent.display_name == AGENT_NAME, what="agent"
            )
            assert guest.state is SessionState.CONNECTED
            assert key not in desk.table.entries

            # The person types: the guest sees the agent typing, then the message.
            await pilot.press(*"Hello Ada")
            await guest.wait_until(lambda s: any(m.display_name == AGENT_NAME for m in s.typing_members), 30)
            await pilot.press("enter")
            await guest.wait_until(lambda s: any(m.body == "Hello Ada" for m in s.messages), 30)
            await until(lambda: "Hello Ada" in _log(pane), what="own line")

            # The guest types and writes: the console shows both.
            assert await guest.typing()
            await until(lambda: pane.query_one("TypingIndicator").names == ("Ada",), what="guest typing")
            await guest.send("My order is late")
            await until(lambda: "My order is late" in _log(pane), what="guest message")

            # Screen share: the guest accepts, the console shows the answer.
            await pilot.press("ctrl+s")
            await guest.wait_until(lambda s: bool(s.pending_media_requests), 30)
            request = guest.pending_media_requests[0]
            assert tuple(request.types) == ("SCREENSHARE",)
            await guest.accept(request.id)
            await until(lambda: "Screen share request: ACCEPTED" in _log(pane), what="media answer")

            # Transfer to a simulated agent: the console's agent leaves, a simulated one greets the guest.
            await pilot.press("ctrl+t")
            await until(lambda: isinstance(agent_app.screen, ChoiceScreen), what="transfer dialog")
            await pilot.press("enter")  # the first choice: a simulated agent
            await until(lambda: pane.over, what="pane finished")
            await guest.wait_until(
                lambda s: s.agent is not None and s.agent.display_name not in (AGENT_NAME,), 30
            )
            await guest.wait_until(
                lambda s: any(m.body.startswith("Hi Ada") and m.sender_role == "AGENT" for m in s.messages),
                30,
            )
            assert "Transferred to a simulated agent" in _log(pane)
            assert human.desk() == []
            # The simulated agent answers from now on (it did not while the person had the chat).
            await guest.send("thanks")
            await guest.wait_until(lambda s: any("Let me check" in m.body for m in s.messages), 30)
        finally:
            await guest.close()


async def test_end_chat_from_console(
    emu: EmbeddedEmulator, human: ControlClient, agent_app: AgentApp, client: WebChatClient
) -> None:
    async with agent_app.run_test(size=(100, 30)) as pilot:
        desk = await until(lambda: agent_app.screen_stack[-1] if len(agent_app.screen_stack) > 1 else None)
        await until(lambda: desk.online, what="feed snapshot")
        guest = await _guest(client, emu, "Bob")
        try:
            key = entry_key(WEBCHAT, str(guest.conversation_id))
            await until(lambda: key in desk.table.entries)
            desk.take(key)
            pane = await until(lambda: desk.panes.get(key))
            await guest.wait_until(lambda s: s.state is SessionState.CONNECTED, 30)
            # Help lists the keys of the tab in front: this channel's, not Web Messaging's.
            await until(lambda: pane.composer.has_focus, what="the tab's composer focused")
            await pilot.press("f1")
            help_screen = await until(
                lambda: agent_app.screen if isinstance(agent_app.screen, HelpScreen) else None
            )
            words = {str(w.render()) for w in help_screen.query(".help-words")}
            assert {"Screen-share request", "Co-browse request", "Transfer (agent or queue)"} <= words
            assert (
                "End the conversation" in words
                and "Quick replies" not in words
                and "Send a card" not in words
            )
            await pilot.press("escape")
            await until(lambda: not isinstance(agent_app.screen, HelpScreen))
            await pilot.press("ctrl+l")
            await guest.wait_until(lambda s: s.state is SessionState.ENDED, 30)
            await until(lambda: pane.over and pane.composer.disabled)
            assert "You ended the conversation." in _log(pane)
            await pilot.press("f8")  # close the tab of the ended chat
            await until(lambda: key not in desk.panes)
        finally:
            await guest.close()
