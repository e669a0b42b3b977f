"""A Web Messaging guest conversation from Python, against the embedded emulator (no Genesys account needed).

Run: `.venv/bin/python examples/messaging_example.py`. Against a real region, build the client with
`MessagingClient("<deploymentId>", environment="mypurecloud.ie", origin="https://www.example.com")`.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from webchat_tui.chat import ContentChoice, QuickReply, SessionState
from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig
from webchat_tui.messaging import MessagingClient, MessagingSession, TokenStore


async def main() -> None:
    tokens = TokenStore(Path(tempfile.mkdtemp()) / "tokens.json")  # default: the user data dir
    async with EmbeddedEmulator(EmulatorConfig(time_scale=0.1)) as emulator:
        client = MessagingClient(emulator.messaging_deployment_id, base_url=emulator.base_url)
        session = MessagingSession(client, token_store=tokens, custom_attributes={"plan": "gold"})
        await session.start()  # bot first: a welcome with quick replies
        await session.wait_until(lambda s: any(c for m in s.messages for c in m.content), timeout=30)
        offer = next(m for m in session.messages if m.content)
        choice = next(c for c in offer.content if isinstance(c, QuickReply) and c.payload == "agent")
        await session.respond(ContentChoice(offer.id, "QuickReply", choice.text, choice.payload))
        await session.wait_until(lambda s: s.state is SessionState.CONNECTED, timeout=30)
        await session.send("hello")
        await session.wait_until(lambda s: len(s.messages) >= 6, timeout=30)
        await session.close()  # keeps the conversation: the same token resumes it

        again = MessagingSession(
            MessagingClient(emulator.messaging_deployment_id, base_url=emulator.base_url), token_store=tokens
        )
        await again.start()  # resumed (new_session False), history shown once
        for message in again.messages:
            extra = f" (+{len(message.content)} rich items)" if message.content else ""
            print(f"{message.sender_name} [{message.sender_kind}]: {message.body}{extra}")
        await again.leave()


if __name__ == "__main__":
    asyncio.run(main())
