"""SIGTERM and SIGHUP (the terminal window closed) quit a Textual app the way its quit key does, so its
`on_unmount` clean-up runs (leave the chat, stop what the app started) and the terminal is restored."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

__all__ = ["QUIT_SIGNALS", "install_quit_signals", "remove_quit_signals"]

QUIT_SIGNALS = tuple(s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


def install_quit_signals(on_signal: Callable[[signal.Signals], None]) -> list[signal.Signals]:
    """Call `on_signal(number)` on the running loop for each of `QUIT_SIGNALS`; returns those installed (none
    where the loop cannot take them: not the main thread, Windows)."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for number in QUIT_SIGNALS:
        try:
            loop.add_signal_handler(number, on_signal, number)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append(number)
    return installed


def remove_quit_signals(installed: list[signal.Signals]) -> None:
    """Undo `install_quit_signals`."""
    loop = asyncio.get_running_loop()
    for number in installed:
        loop.remove_signal_handler(number)
