"""The full app, headless, joined to a chat on an emulator process (for ingest, responsiveness, memory).

`joined_app(info)` builds the app the way the CLI does (`make_app` with the emulator as its "Local emulator"),
runs it with `run_test(size=(120, 40))`, fills in the join form (display name typed, Enter pressed, as a user
would), waits for the chat screen, routes the chat to an agent through the control API and waits until the
agent's join line is on screen. Every frame is observed by a `FrameProbe` (ANSI encoding included).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from benchmarks import _harness as h
from benchmarks._tui_probe import FrameProbe, Typist, text_on_screen

SIZE = (120, 40)


@dataclass
class Chat:
    """Handles to the running app and its chat."""

    app: Any
    pilot: Any
    probe: FrameProbe
    session: Any
    conversation_id: str
    log: Any
    """The chat screen's `MessageLog`."""
    composer_input: Any
    """The composer's text area (what the user types into)."""

    def last_body(self) -> str:
        """Body of the newest entry written to the pane (flushed, not pending)."""
        entries = self.log.entries
        return str(entries[-1].body) if entries else ""

    def pane_has(self, marker: str) -> bool:
        """Whether the newest pane entry is one of the burst's messages."""
        return self.last_body().startswith(marker)

    def pane_has_last(self, n: int) -> bool:
        """Whether the newest pane entry is the burst's message #n."""
        return self.last_body().endswith(f" #{n}")

    def session_count(self, marker: str) -> int:
        """How many burst messages the session holds (counting from the end; cheap once the burst is in)."""
        count = 0
        for message in reversed(self.session.messages):
            if not message.body.startswith(marker):
                break
            count += 1
        return count

    def on_screen(self, pattern: str) -> bool:
        """Whether `pattern` (regex) is on the rendered screen right now."""
        return text_on_screen(self.app, pattern)

    def typist(self, rng: random.Random) -> Typist:
        """A `Typist` on the message input (focus it first)."""
        box = self.composer_input

        def clear() -> None:
            box.text = ""

        return Typist(self.app, self.probe, lambda: str(box.text), clear, rng)


def last_message_pattern(marker: str, n: int) -> str:
    """Regex for the burst's last message as it appears on screen (the body ends with ` #<n>`)."""
    del marker  # the body may wrap; its unique tail is enough once the pane's newest entry is checked too
    return rf"#{n}(?!\d)"


async def _join(app: Any, pilot: Any, display_name: str) -> None:
    """Fill in the join form as a user would (name typed, Enter) and wait for the chat screen."""
    from webchat_tui.tui.screens.chat import ChatScreen
    from webchat_tui.tui.screens.join import JoinScreen

    await h.until(lambda: isinstance(app.screen, JoinScreen), 15, "the join form")
    await h.until(lambda: app.local.ready, 15, "the local backend")
    await pilot.pause()
    await pilot.press(*display_name)
    await pilot.press("enter")
    await h.until(lambda: isinstance(app.screen, ChatScreen), 30, "the chat screen")


@asynccontextmanager
async def joined_app(info: dict[str, Any], *, display_name: str = "Bench Guest") -> AsyncIterator[Chat]:
    """Run the app headless, join a chat through the form, connect an agent; yield `Chat`."""
    from webchat_tui.config import ChatSettings
    from webchat_tui.tui.app import make_app
    from webchat_tui.tui.widgets.composer import Composer
    from webchat_tui.tui.widgets.message_log import MessageLog

    app = make_app(
        ChatSettings(queue="Support", channel="webchat"),
        base_url=info["base_url"],
        organization_id=info["organization_id"],
        deployment_id=info["deployment_id"],
    )
    probe = FrameProbe(app)
    control = h.control_for(info)
    async with app.run_test(size=SIZE) as pilot:
        await _join(app, pilot, display_name)
        handle = app.chat_handle
        session = handle.session
        cid = session.conversation_id
        await asyncio.to_thread(h.connect_agent, control, cid)
        screen = app.screen
        log = screen.query_one(MessageLog)
        composer = screen.query_one(Composer)
        chat = Chat(
            app=app,
            pilot=pilot,
            probe=probe,
            session=session,
            conversation_id=cid,
            log=log,
            composer_input=composer.input,
        )
        await h.until(lambda: session.agent is not None, 15, "the agent")
        await h.until(lambda: len(log.entries) > 0 and session.messages, 15, "the agent's join line")
        await pilot.pause()
        await probe.next_frame()
        yield chat


@asynccontextmanager
async def joined_messaging_app(info: dict[str, Any], tokens: Any) -> AsyncIterator[Chat]:
    """Run the app headless on Web Messaging (the direct-to-agent deployment), join through the form (name
    typed, Enter), wait for the agent's greeting; yield `Chat` (its `conversation_id` is the session token).
    `tokens`: the token file (a fresh one per run, so every run starts a new conversation)."""
    from webchat_tui.config import ChatSettings
    from webchat_tui.tui.app import make_app
    from webchat_tui.tui.widgets.composer import Composer
    from webchat_tui.tui.widgets.message_log import MessageLog

    app = make_app(
        ChatSettings(channel="messaging", deployment_id=info["messaging_direct_deployment_id"]),
        base_url=info["base_url"],
        organization_id=info["organization_id"],
        deployment_id=info["deployment_id"],
        messaging_deployment_id=info["messaging_direct_deployment_id"],
        token_store_path=tokens,
    )
    probe = FrameProbe(app)
    async with app.run_test(size=SIZE) as pilot:
        await _join(app, pilot, "Bench Guest")
        session = app.chat_handle.session
        screen = app.screen
        log = screen.query_one(MessageLog)
        await h.until(lambda: session.agent is not None and len(log.entries) > 0, 30, "the agent's greeting")
        await pilot.pause()
        await probe.next_frame()
        yield Chat(
            app=app,
            pilot=pilot,
            probe=probe,
            session=session,
            conversation_id=session.token.get(),
            log=log,
            composer_input=screen.query_one(Composer).input,
        )
