"""Shared fixtures: one real emulator per test run (`emulator`), reset before each test (`emu`), and the
emulator's control-API client bound to it (`control`). Every test talks to it over real HTTP and websockets.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig
from webchat_tui.emulator.control_client import ControlClient

TEST_TIME_SCALE = 0.02
TEST_DEFAULTS = {
    "timeScale": TEST_TIME_SCALE,
    "autoAgent": True,
    "heartbeatInterval": 30.0,
    "idleTimeout": 900.0,
    "mediaRequestTimeout": 120.0,
    "requireBearer": False,
    "endedRetention": 3600.0,
    "maxEndedConversations": 1000,
}


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmbeddedEmulator]:
    """One emulator for the whole run (time_scale 0.02, seed 1234). Prefer `emu`, which resets it first."""
    with EmbeddedEmulator(EmulatorConfig(time_scale=TEST_TIME_SCALE, seed=1234)) as emu:
        yield emu


Control = ControlClient  # the emulator's own control-API client (sends the X-Emulator-Token)


@pytest.fixture
def emu(emulator: EmbeddedEmulator) -> EmbeddedEmulator:
    """The session emulator after `reset()` with the test defaults (time_scale 0.02, auto agent on,
    heartbeat 30)."""
    emulator.reset()
    with ControlClient.for_emulator(emulator) as control:
        control.set_config(**TEST_DEFAULTS)
    return emulator


@pytest.fixture
def control(emu: EmbeddedEmulator) -> Iterator[ControlClient]:
    """The control-API client (`webchat_tui.emulator.control_client.ControlClient`) of the freshly reset
    `emu`."""
    with ControlClient.for_emulator(emu) as client:
        yield client
