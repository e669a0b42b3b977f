"""Every message exactly once, in `channel.time` order, through 20+ socket drops plus reordered and duplicated
frames while the agent sends 500 messages (real emulator, its socket fault plan)."""

from __future__ import annotations

import asyncio

from tests.messaging.conftest import SessionFactory, shown_ids
from webchat_tui.chat.types import MemberRole
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.messaging import MessagingSession

CHUNKS, PER_CHUNK = 25, 20  # 500 agent messages
WAIT = 60.0


async def _until(session: MessagingSession, predicate: object, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not predicate(session):  # type: ignore[operator]
        assert loop.time() < deadline, f"{what}: {session.client.stats}"
        await asyncio.sleep(0.05)


async def test_500_agent_messages_through_drops_reorders_and_duplicates(
    new_session: SessionFactory, control: ControlClient
) -> None:
    session = await new_session()
    sid = str(control.messaging_session_for(session.token.get())["id"])
    await session.wait_until(lambda s: s.agent is not None, WAIT)  # the direct deployment's greeting
    # Every socket opened from now on is dropped after 15 frames; every 7th pushed frame comes twice and every
    # 5th is held back behind the next one.
    control.set_messaging_faults(dropAfterFrames=15, duplicateEveryFrames=7, reorderEveryFrames=5)
    control.messaging_session_action(sid, "drop")
    sent = 0
    for chunk in range(CHUNKS):
        control.messaging_agent(sid, "messages", {"text": f"c{chunk}", "count": PER_CHUNK})
        sent += PER_CHUNK

        def caught_up(s: MessagingSession, n: int = sent) -> bool:
            return sum(1 for m in s.messages if m.sender_role == MemberRole.AGENT and " #" in m.body) >= n

        await _until(session, caught_up, f"chunk {chunk}")
    control.clear_messaging_faults()

    def same(s: MessagingSession) -> bool:
        held = [m.id for m in s.messages]
        return sorted(held) == sorted(shown_ids(control, sid)) and len(held) == len(set(held))

    await _until(session, same, "final transcript")  # exactly the emulator's messages, each once
    messages = session.messages
    times = [m.timestamp for m in messages]
    assert times == sorted(times)  # channel.time order (a burst shares milliseconds: ties in arrival order)
    bodies = [m.body for m in messages if m.sender_role == MemberRole.AGENT and " #" in m.body]
    expected = [f"c{c} #{i}" for c in range(CHUNKS) for i in range(1, PER_CHUNK + 1)]
    assert sorted(bodies) == sorted(expected) and len(bodies) == CHUNKS * PER_CHUNK
    assert session.client.stats.drops >= 20, session.client.stats
