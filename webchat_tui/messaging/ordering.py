"""Conversation order for Web Messaging, which promises none (protocol.md §6): messages are held for a short
reorder window, then released sorted by `channel.time`; a message that arrives after its window is still
placed at its time in the transcript (`Transcript.insert`), and duplicates (same id) are dropped."""

from __future__ import annotations

import bisect
from datetime import datetime

from webchat_tui.chat.types import ChatMessage

__all__ = ["Transcript", "ReorderBuffer"]


def _key(message: ChatMessage, seq: int) -> tuple[datetime, int]:
    return (message.timestamp, seq)


class Transcript:
    """Every message once, kept sorted by (timestamp, arrival)."""

    def __init__(self) -> None:
        self._keys: list[tuple[datetime, int]] = []
        self._messages: list[ChatMessage] = []
        self._ids: set[str] = set()
        self._seq = 0

    def __len__(self) -> int:
        return len(self._messages)

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._ids

    @property
    def messages(self) -> list[ChatMessage]:
        """The messages in order (a copy)."""
        return list(self._messages)

    @property
    def last_time(self) -> datetime | None:
        """The newest timestamp held."""
        return self._messages[-1].timestamp if self._messages else None

    def insert(self, message: ChatMessage) -> bool:
        """Add a message at its place; False (nothing changed) when its id is already held."""
        if message.id in self._ids:
            return False
        self._ids.add(message.id)
        self._seq += 1
        key = _key(message, self._seq)
        index = bisect.bisect_right(self._keys, key)
        self._keys.insert(index, key)
        self._messages.insert(index, message)
        return True

    def clear(self) -> None:
        """Forget everything (a cleared or new conversation)."""
        self._keys.clear()
        self._messages.clear()
        self._ids.clear()


class ReorderBuffer:
    """Messages waiting for their reorder window; `drain()` returns them sorted by time."""

    def __init__(self) -> None:
        self._held: list[tuple[tuple[datetime, int], ChatMessage]] = []
        self._ids: set[str] = set()
        self._seq = 0

    def __len__(self) -> int:
        return len(self._held)

    def add(self, message: ChatMessage) -> bool:
        """Hold a message; False when one with the same id is already held."""
        if message.id in self._ids:
            return False
        self._ids.add(message.id)
        self._seq += 1
        self._held.append((_key(message, self._seq), message))
        return True

    def peek(self) -> list[ChatMessage]:
        """Everything held, sorted by (time, arrival), left in the buffer."""
        return [message for _, message in sorted(self._held, key=lambda item: item[0])]

    def drain(self) -> list[ChatMessage]:
        """Everything held, sorted by (time, arrival), and empty the buffer."""
        held = sorted(self._held, key=lambda item: item[0])
        self._held.clear()
        self._ids.clear()
        return [message for _, message in held]
