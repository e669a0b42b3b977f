"""SVG snapshots of the agent console (pytest-textual-snapshot; accept changes with `--snapshot-update`).
The scenes are in `scenes.py` (shared with `make screenshots`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
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
    message before the take (with its time, 10:42), "You joined as Trainer Tess.", the person's reply, the
    guest's answer; footer with ^s Screen, ^b Co-browse, ^t Transfer, ^l End, f2 Waiting, ^q Quit, f1 Help
    and ^p palette, all whole (no Web Messaging keys, no f8 while the chat runs)."""
    app = scenes.console(emu)

    async def run_before(pilot: Any) -> None:
        await scenes.chat_tab(app, emu, pilot)

    assert snap_compare(app, terminal_size=scenes.CHAT_SIZE, run_before=run_before)


def test_messaging_tab_with_a_card_at_80_columns(
    snap_compare: Any, emu: EmbeddedEmulator, human: ControlClient, fixed_clocks: None, tmp_path: Path
) -> None:
    """A taken Web Messaging conversation at 80x24: "10:42 Mia: Which plan suits me?" (the history with its
    time), "You joined as Trainer Tess.", then what the card sent: "10:42 Trainer Tess: This one, I think",
    "▸ Card: Emulator plan 1 — A sample offer … — buttons: Choose plan 1 · Read more <…>", the line "offered
    to the guest (only the guest picks)" and the row "[1] Choose plan 1   [2] Read more ↗"; the compact
    footer ^r Replies, f5 Card, ^t Transfer, ^l End, f2 Waiting, ^q Quit, f1 Help and ^p palette, whole."""
    app = scenes.console(emu)

    async def run_before(pilot: Any) -> None:
        await scenes.messaging_card(app, emu, pilot, tmp_path / "tokens.json")

    assert snap_compare(app, terminal_size=scenes.MESSAGING_SIZE, run_before=run_before)
