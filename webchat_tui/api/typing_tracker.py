"""Who is typing: an indicator lasts `expiry` seconds after the last one, or until that member's message."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["TypingTracker"]


class TypingTracker:
    """Member ids currently typing, each with an expiry timer; ``on_expired`` runs when one runs out."""

    def __init__(self, expiry: float, on_expired: Callable[[], None]) -> None:
        self.expiry = expiry
        self._on_expired = on_expired
        self._timers: dict[str, asyncio.TimerHandle] = {}

    def __contains__(self, member_id: object) -> bool:
        return member_id in self._timers

    def __bool__(self) -> bool:
        return bool(self._timers)

    @property
    def member_ids(self) -> tuple[str, ...]:
        """Typing member ids, in the order they started."""
        return tuple(self._timers)

    def start(self, member_id: str) -> bool:
        """An indicator from ``member_id`` (re)starts its timer; True when it was not typing before."""
        handle = self._timers.pop(member_id, None)
        if handle is not None:
            handle.cancel()
        loop = asyncio.get_running_loop()
        self._timers[member_id] = loop.call_later(self.expiry, self._expired, member_id)
        return handle is None

    def stop(self, member_id: str) -> bool:
        """``member_id`` stopped typing (its message arrived, or it left); True when it was typing."""
        handle = self._timers.pop(member_id, None)
        if handle is None:
            return False
        handle.cancel()
        return True

    def clear(self) -> bool:
        """Nobody is typing any more (cancels every timer); True when somebody was."""
        if not self._timers:
            return False
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        return True

    def _expired(self, member_id: str) -> None:
        if self._timers.pop(member_id, None) is not None:
            self._on_expired()
