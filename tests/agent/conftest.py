"""Fixtures for the agent console and the emulator's agent desk: the session emulator in human-agent mode,
the console app on it, and a wait-for-condition helper for Pilot tests (never a timing assertion)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api.conftest import client  # noqa: F401 - the WebChatClient fixture for the guests
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
    """Wait (on the running loop, so the app and the sessions keep working) until `predicate()` is truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"not met within {timeout} s: {what or predicate}")
        await asyncio.sleep(0.02)
