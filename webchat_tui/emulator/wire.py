"""Wire helpers: timestamps, ids, and the prebuilt JSON of websocket frames.

Frames are built as plain dicts and serialised with `json.dumps` (no pydantic), because a burst of
thousands of
messages goes through `message_frame` one by one.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

HEARTBEAT_FRAME = _dumps({"topicName": "channel.metadata", "eventBody": {"message": "WebSocket Heartbeat"}})
PONG_FRAME = _dumps({"topicName": "channel.metadata", "eventBody": {"message": "pong"}})


_second_cache: list[Any] = [-1, ""]


def now_iso() -> str:
    """Current UTC time as ISO-8601 with milliseconds and `Z` (e.g. `2019-06-18T16:59:22.277Z`).

    The `YYYY-MM-DDTHH:MM:SS` prefix is cached per second: this runs once per message of a burst.
    """
    now = time.time()
    second = int(now)
    cache = _second_cache
    if cache[0] != second:
        cache[0] = second
        cache[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    return f"{cache[1]}.{int((now - second) * 1000):03d}Z"


_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


class Ids:
    """Seeded UUID source: deterministic per seeded process, never reset (ids stay unique across resets)."""

    def __init__(self, seed: int | None) -> None:
        self._rng = random.Random(None if seed is None else seed * 7919 + 1)

    def new(self) -> str:
        """A fresh UUID4 string (same value as `str(uuid.UUID(int=bits, version=4))`, without the object)."""
        bits = self._rng.getrandbits(128)
        bits = (bits & _UUID_CLEAR) | _UUID_SET
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def token(self, nbits: int = 64) -> str:
        """A hex token (correlation ids inside frames, security keys)."""
        return f"{self._rng.getrandbits(nbits):0{nbits // 4}x}"


def dumps(data: Any) -> str:
    """Compact JSON text."""
    return _dumps(data)


def envelope(topic: str, kind: str, body: dict[str, Any], correlation_id: str) -> str:
    """One event frame exactly as protocol.md §6.2 (`version` "2", `metadata.CorrelationId`,
    `metadata.type`)."""
    return _dumps(
        {
            "topicName": topic,
            "version": "2",
            "eventBody": body,
            "metadata": {"CorrelationId": correlation_id, "type": kind},
        }
    )


def message_frame(
    topic: str,
    msg_id: str,
    conversation_id: str,
    sender_id: str,
    body: str,
    body_type: str,
    timestamp: str,
    correlation_id: str,
) -> str:
    """A `message` frame (the hot path of a burst)."""
    return _dumps(
        {
            "topicName": topic,
            "version": "2",
            "eventBody": {
                "id": msg_id,
                "conversation": {"id": conversation_id},
                "sender": {"id": sender_id},
                "body": body,
                "bodyType": body_type,
                "timestamp": timestamp,
            },
            "metadata": {"CorrelationId": correlation_id, "type": "message"},
        }
    )
