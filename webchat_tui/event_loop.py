"""Running a coroutine on the event loop we own: uvloop when it is installed, asyncio's otherwise.

For headless commands and tools (benchmarks, scripted runs, a swarm) that start their own loop. Textual
starts its own asyncio loop for the app; this module is not used there. uvloop is a default dependency on
Linux and macOS (it lowers the CPU of every HTTP call and websocket frame, see `benchmarks/PROFILES.md`);
where it is missing (Windows, a minimal install) or `WEBCHAT_UVLOOP=0` is set, asyncio's loop runs the same
code.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["loop_factory", "run", "uvloop_available"]

T = TypeVar("T")


def uvloop_available() -> bool:
    """True when uvloop can be imported."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def loop_factory(use_uvloop: bool | None = None) -> Callable[[], asyncio.AbstractEventLoop]:
    """The factory of the loop `run` uses. `use_uvloop=None` means: uvloop when available, unless the
    environment says `WEBCHAT_UVLOOP=0`; True insists on it (ImportError when missing); False: asyncio."""
    if use_uvloop is None:
        use_uvloop = os.environ.get("WEBCHAT_UVLOOP", "1") != "0" and uvloop_available()
    if use_uvloop:
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def run(main: Coroutine[Any, Any, T], *, use_uvloop: bool | None = None) -> T:
    """`asyncio.run(main)` on the loop `loop_factory(use_uvloop)` makes."""
    with asyncio.Runner(loop_factory=loop_factory(use_uvloop)) as runner:
        return runner.run(main)
