"""Fixtures for the agent console and the emulator's agent desk: the session emulator in human-agent mode,
the console app on it, and a wait-for-condition helper for Pilot tests (never a timing assertion)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from textual.css.query import NoMatches

from tests.api.conftest import client  # noqa: F401 - the WebChatClient fixture for the guests
from tests.emulator_messaging.conftest import guest  # noqa: F401 - raw Web Messaging guest sockets
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.tui.agent.app import AgentApp
from webchat_tui.tui.agent.backend import DeskBackend

WAIT = 30.0  # generous: the machine is shared
AGENT_NAME = "Trainer Tess"


@pytest.fixture
def human(control: ControlClient) -> Iterator[ControlClient]:
    """The reset emulator with every chat answered by a person (restored to simulated after the test)."""
    control.set_agents(mode="human")
    yield control
    control.set_agents(
        mode="simulated", queues={q: None for q in ("Support", "Sales", "Billing", "Night Shift")}
    )


@pytest.fixture
def agent_app(emu: EmbeddedEmulator, human: ControlClient) -> AgentApp:
    """The console on the emulator, as `AGENT_NAME` (its own control client)."""
    return AgentApp(DeskBackend(ControlClient.for_emulator(emu), AGENT_NAME))


async def until(predicate: Callable[[], Any], timeout: float = WAIT, what: str = "") -> Any:
    """Wait (on the running loop, so the app and the sessions keep working) until `predicate()` is truthy. A
    widget not composed yet (`NoMatches`, e.g. a new tab's composer under load) counts as not yet."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            value = predicate()
        except NoMatches:
            value = None
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"not met within {timeout} s: {what or predicate}")
        await asyncio.sleep(0.02)


class FeedReader:
    """The agent feed as a test sees it: every event collected by a reader task; `wait_for` a matching one."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.events: list[dict[str, Any]] = []
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        import json

        import websockets

        try:
            async for raw in self.connection:
                self.events.append(json.loads(raw))
        except websockets.ConnectionClosed:
            pass

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool], start: int = 0) -> dict[str, Any]:
        """The first event from index `start` matching `predicate` (fails after WAIT seconds)."""
        found: list[dict[str, Any]] = []

        def seen() -> bool:
            found[:] = [e for e in self.events[start:] if predicate(e)]
            return bool(found)

        await until(seen, what=f"feed event; last events: {self.events[-5:]}")
        return found[0]

    async def close(self) -> None:
        """Close the feed socket."""
        await self.connection.close()
        await asyncio.wait_for(self._task, WAIT)


@pytest.fixture
async def feed(emu: EmbeddedEmulator) -> Any:
    """A reader of the emulator's agent feed (its first event is the snapshot)."""
    control = ControlClient.for_emulator(emu)
    reader = FeedReader(await control.open_feed())
    yield reader
    await reader.close()
    control.close()
