"""Chat with the embedded emulator from Python: `python examples/client_example.py`.

Starts the local emulator on an ephemeral port, opens a guest chat in the "Support" queue, waits for the
simulated agent, says hello, prints the transcript, and leaves. Point `WebChatClient` at
`environment="mypurecloud.ie"` (and real organization/deployment ids) to talk to a Genesys Cloud region.
"""

from __future__ import annotations

import asyncio

from webchat_tui.api import (
    ChatSession,
    GuestMemberInfo,
    MessagesAdded,
    SessionEvent,
    SessionState,
    StateChanged,
    WebChatClient,
)
from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig


def show(event: SessionEvent) -> None:
    """Print what happens, as it happens."""
    if isinstance(event, StateChanged):
        print(f"-- {event.state.value}" + (f" ({event.reason})" if event.reason else ""))
    elif isinstance(event, MessagesAdded):
        for message in event.messages:
            if message.body_type == "standard":
                print(f"{message.sender_name}: {message.body}")


def agent_lines(session: ChatSession) -> int:
    """How many ordinary chat lines the agent has written so far."""
    return sum(m.sender_role == "AGENT" and m.body_type == "standard" for m in session.messages)


async def main() -> None:
    """Run one short chat against a fresh emulator."""
    # time_scale 0.1: the simulated agent answers ten times faster than a person would.
    async with EmbeddedEmulator(EmulatorConfig(time_scale=0.1)) as emulator:
        seed = emulator.seed
        async with WebChatClient(base_url=emulator.base_url) as client:
            session = ChatSession(client)
            session.subscribe(show)
            await session.start(
                organization_id=seed.organization_id,
                deployment_id=seed.deployment_id,
                queue="Support",
                member_info=GuestMemberInfo(display_name="Ada", email="ada@example.com"),
            )
            # Connected, and the agent has said hello.
            await session.wait_until(
                lambda s: s.state is SessionState.CONNECTED and agent_lines(s) >= 1, timeout=30
            )
            await session.typing()
            before = agent_lines(session)
            await session.send("Hello! Where is my order #42?")
            await session.wait_until(lambda s: agent_lines(s) > before, timeout=30)  # the agent's answer
            await session.leave()
            print()
            print(session.export_markdown())


if __name__ == "__main__":
    asyncio.run(main())
