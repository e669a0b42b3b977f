"""The agent console against a Web Messaging guest (`MessagingSession`), both on the real emulator: the guest
waits with custom attributes, the console takes the conversation, both sides exchange messages and typing,
the console sends quick replies (the guest's answer shows), a card, a date picker and a file, transfers to
another queue (where the person takes it again) and ends it."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tests.agent.conftest import AGENT_NAME, until
from webchat_tui import messaging
from webchat_tui.api.transcript import describe_event
from webchat_tui.chat import types
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.emulator.human_agents import MESSAGING
from webchat_tui.tui.agent.app import AgentApp
from webchat_tui.tui.agent.screens.dialogs import ChoiceScreen, FormScreen
from webchat_tui.tui.agent.widgets.chat_pane import ChatPane
from webchat_tui.tui.agent.widgets.waiting_table import entry_key
from webchat_tui.tui.app import local_time
from webchat_tui.tui.widgets.message_log import LogEntry, MessageLog


def _log(pane: ChatPane) -> str:
    if not pane.query("MessageLog"):
        return ""  # not composed yet
    pane.log_view.flush()
    return "\n".join(pane.log_view.plain_lines())


def _has(session: object, kind: type) -> bool:
    return any(isinstance(c, kind) for m in session.messages for c in m.content)  # type: ignore[attr-defined]


async def test_take_chat_quick_replies_rich_content_transfer_end(
    emu: EmbeddedEmulator, human: ControlClient, agent_app: AgentApp, tmp_path: Path
) -> None:
    client = messaging.MessagingClient(emu.messaging_direct_deployment_id, base_url=emu.base_url)
    session = messaging.MessagingSession(
        client,
        token_store=messaging.TokenStore(tmp_path / "tokens.json"),
        guest_name="Mia",
        custom_attributes={"name": "Mia", "plan": "pro"},
        typing_throttle=0.05,
    )
    async with agent_app.run_test(size=(120, 36)) as pilot:
        desk = await until(lambda: agent_app.screen_stack[-1] if len(agent_app.screen_stack) > 1 else None)
        await until(lambda: desk.online, what="feed snapshot")
        try:
            await session.start()
            await session.send("I need help")
            sid = str(human.messaging_session_for(session.token.get())["id"])
            key = entry_key(MESSAGING, sid)
            await until(
                lambda: key in desk.table.entries and desk.table.entries[key]["fields"].get("plan") == "pro",
                what="waiting with its attributes",
            )
            row = [str(cell) for cell in desk.table.get_row(key)]
            assert row[0] == "Messaging" and row[1] == "Mia" and row[2].startswith("Support")
            assert "plan=pro" in row[3]

            desk.table.focus()
            desk.table.move_cursor(row=desk.table.get_row_index(key))
            await pilot.press("enter")
            pane = await until(lambda: desk.panes.get(key), what="tab")
            await until(lambda: "I need help" in _log(pane), what="history shown")

            # Messages and typing both ways.
            await pilot.press(*"Hello Mia")
            await session.wait_until(lambda s: bool(s.typing_members), 30)
            await pilot.press("enter")
            await session.wait_until(lambda s: any(m.body == "Hello Mia" for m in s.messages), 30)
            assert session.agent is not None and session.agent.display_name == AGENT_NAME
            assert await session.typing()
            await until(lambda: pane.query_one("TypingIndicator").names == ("Mia",), what="guest typing")
            await session.send("My card was charged twice")
            await until(lambda: "My card was charged twice" in _log(pane), what="guest message")

            # Quick replies; the guest answers one.
            await pilot.press("ctrl+r")
            await until(lambda: isinstance(agent_app.screen, FormScreen))
            await pilot.press("enter", "enter")  # the default question and buttons (Yes, No)
            await session.wait_until(lambda s: _has(s, types.QuickReply), 30)
            offer = next(
                m for m in session.messages if any(isinstance(c, types.QuickReply) for c in m.content)
            )
            assert offer.body == "Does that answer your question?"
            assert [c.text for c in offer.content] == ["Yes", "No"]
            await session.respond(types.ContentChoice(offer.id, "QuickReply", "Yes", "Yes"))
            await until(lambda: "↩ Yes" in _log(pane), what="the guest's answer")

            # A card, a date picker and a file.
            await pilot.press("f5")
            await session.wait_until(lambda s: _has(s, types.Card), 30)
            await pilot.press("f6")
            await session.wait_until(lambda s: _has(s, types.DatePicker), 30)
            receipt = tmp_path / "receipt.txt"
            receipt.write_text("refund approved\n")
            await pilot.press("ctrl+o")
            await until(lambda: isinstance(agent_app.screen, FormScreen))
            agent_app.screen.query_one(Input).value = str(receipt)
            await pilot.press("enter")
            await session.wait_until(
                lambda s: any(
                    isinstance(c, types.Attachment) and c.filename == "receipt.txt"
                    for m in s.messages
                    for c in m.content
                ),
                30,
            )
            await until(lambda: "▸ Attachment: receipt.txt (text/plain, 16 bytes)" in _log(pane))

            # To the Sales queue: human mode everywhere, so it waits at the desk again; the person retakes it.
            await pilot.press("ctrl+t")
            await until(lambda: isinstance(agent_app.screen, ChoiceScreen))
            await pilot.press("down", "enter")  # below "a simulated agent": Queue Sales
            await until(lambda: pane.over, what="handed over")
            await until(lambda: key in desk.table.entries and desk.table.entries[key]["queue"] == "Sales")
            desk.take(key)
            second = await until(lambda: desk.panes.get(key) if desk.panes.get(key) is not pane else None)
            await until(lambda: not second.over and "You joined" in _log(second))

            # End: the guest's conversation is over (read-only, as the deployment says).
            await pilot.press("ctrl+l")
            await session.wait_until(
                lambda s: s.state in (types.SessionState.READ_ONLY, types.SessionState.WAITING_FOR_AGENT), 30
            )
            await until(lambda: second.over)
            assert human.desk() == []
        finally:
            await session.close()


async def test_history_has_times_and_sent_content_shows_as_the_guest_sees_it(
    emu: EmbeddedEmulator, human: ControlClient, agent_app: AgentApp, tmp_path: Path
) -> None:
    """The history before the take carries each message's own time (`channel.time`, local HH:MM as
    everywhere); a card sent with f5 shows its words and its buttons as the guest's app draws them, the
    buttons inert (no open offer, digits and clicks pick nothing)."""
    client = messaging.MessagingClient(emu.messaging_direct_deployment_id, base_url=emu.base_url)
    session = messaging.MessagingSession(
        client,
        token_store=messaging.TokenStore(tmp_path / "tokens.json"),
        guest_name="Mia",
        custom_attributes={"name": "Mia"},
    )
    seen: list[object] = []
    async with agent_app.run_test(size=(120, 36), message_hook=seen.append) as pilot:
        desk = await until(lambda: agent_app.screen_stack[-1] if len(agent_app.screen_stack) > 1 else None)
        await until(lambda: desk.online, what="feed snapshot")
        try:
            await session.start()
            await session.send("I need help")
            await session.wait_until(lambda s: any(m.body == "I need help" for m in s.messages), 30)
            asked = next(m for m in session.messages if m.body == "I need help")
            sid = str(human.messaging_session_for(session.token.get())["id"])
            key = entry_key(MESSAGING, sid)
            await until(lambda: key in desk.table.entries, what="waiting")
            desk.take(key)
            pane = await until(lambda: desk.panes.get(key), what="tab")
            await until(lambda: "You joined" in _log(pane), what="history shown")
            assert f"{local_time(asked.timestamp)} Mia: I need help" in _log(pane).splitlines()

            pane.composer.value = "Here is our offer"
            await pilot.press("f5")
            await session.wait_until(lambda s: _has(s, types.Card), 30)
            offer = next(m for m in session.messages if any(isinstance(c, types.Card) for c in m.content))
            guest_lines = describe_event(types.MessagesAdded((offer,)), offer.timestamp)
            card_words = next(line.text for line in guest_lines if line.kind == "card")
            assert card_words.startswith("Card: Emulator plan 1 — ")
            at = local_time(offer.timestamp)
            card = LogEntry(at, "", "content", card_words)
            await until(lambda: _log(pane) and card in pane.log_view.entries, what="the card in words")
            shown = _log(pane).splitlines()
            assert f"{at} {AGENT_NAME}: Here is our offer" in shown
            first = next(
                i for i, line in enumerate(shown) if line.startswith(f"{at} ▸ Card: Emulator plan 1")
            )
            rows = shown[first:]
            assert any("offered to the guest (only the guest picks)" in row for row in rows)
            assert any(row.strip() == "[1] Choose plan 1   [2] Read more ↗" for row in rows), rows
            assert "Sent a card." not in shown

            # Inert: nothing to pick, and a digit on the transcript picks nothing.
            log = pane.log_view
            assert log.open_choices() == []
            log.focus()
            await pilot.press("1")
            await pilot.pause()
            assert not [m for m in seen if isinstance(m, MessageLog.ChoicePicked)]
        finally:
            await session.close()
