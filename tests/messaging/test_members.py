"""Who is in the conversation (real emulator). The protocol sends no leave events, so a transfer (a new agent
writes) and the bot's hand-over (the first agent writes) take the earlier agent or bot out of the list, as
Web Chat v2 shows them leaving."""

from __future__ import annotations

from tests.messaging.conftest import WAIT, SessionFactory
from webchat_tui.chat.types import MemberChanged, MemberRole, MemberState
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.messaging import MessagingSession


def _states(session: MessagingSession) -> dict[str, tuple[str, str]]:
    return {m.display_name: (m.role, m.state) for m in session.members if not m.is_self}


async def test_a_transfer_takes_the_first_agent_out_and_the_bot_leaves_at_the_hand_over(
    new_session: SessionFactory, emu: EmbeddedEmulator
) -> None:
    session = await new_session(emu.messaging_deployment_id, start=False)
    changes: list[MemberChanged] = []
    session.subscribe(lambda ev: changes.append(ev) if isinstance(ev, MemberChanged) else None)
    await session.start()
    await session.wait_until(lambda s: any(m.role == MemberRole.BOT for m in s.members), WAIT)
    await session.send("agent please")
    await session.wait_until(lambda s: s.agent is not None, WAIT)
    first = session.agent
    assert first is not None
    bot = next(m for m in session.members if m.role == MemberRole.BOT)
    assert bot.state == MemberState.DISCONNECTED  # it handed over
    await session.send("please transfer me")
    await session.wait_until(lambda s: s.agent is not None and s.agent.id != first.id, WAIT)
    second = session.agent
    assert second is not None
    states = _states(session)
    assert states[first.display_name] == (MemberRole.AGENT, MemberState.DISCONNECTED)
    assert states[second.display_name] == (MemberRole.AGENT, MemberState.CONNECTED)
    left = [c.member.display_name for c in changes if c.member.state == MemberState.DISCONNECTED]
    assert left == [bot.display_name, first.display_name]
