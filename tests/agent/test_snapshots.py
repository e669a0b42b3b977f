"""SVG snapshots of the agent console (pytest-textual-snapshot; accept changes with `--snapshot-update`).
The scenes are in `scenes.py` (shared with `make screenshots`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.agent import scenes
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient


@pytest.fixture
def fixed_clocks() -> Iterator[None]:
    with scenes.fixed_clocks():
        yield


def test_waiting_list(
    snap_compare: Any, emu: EmbeddedEmulator, human: ControlClient, fixed_clocks: None
) -> None:
    """Three waiting conversations oldest first (2:05, 1:04, 0:03 waited), Web Chat and Messaging rows with
    their queues and fields; the third guest's name drawn as plain characters (no escape codes, no
    reordering) and its field's [bold] markup literal; status "Trainer Tess · online · 3 waiting · 0 open",
    the trainees' address below it; footer with enter Take, f2, f3, f4, f1 Help, ^q Quit."""
    app = scenes.console(emu)

    async def run_before(pilot: Any) -> None:
        await scenes.waiting_list(app, pilot)

    assert snap_compare(app, terminal_size=scenes.WAITING_SIZE, run_before=run_before)


def test_chat_tab(snap_compare: Any, emu: EmbeddedEmulator, human: ControlClient, fixed_clocks: None) -> None:
    """A taken Web Chat v2 chat: details "Ada · Web Chat v2 · Support · order=A-1042", the guest's first
    message before the take, "You joined as Trainer Tess.", the person's reply, the guest's answer; footer
    with ^s Screen share, ^b Co-browse, ^t Transfer, ^l End, f8 Close tab greyed (no Web Messaging keys)."""
    app = scenes.console(emu)

    async def run_before(pilot: Any) -> None:
        await scenes.chat_tab(app, emu, pilot)

    assert snap_compare(app, terminal_size=scenes.CHAT_SIZE, run_before=run_before)
