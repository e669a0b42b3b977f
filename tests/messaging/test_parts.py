"""The session's parts that need no server: token persistence, the error table, pacing, ordering."""

from __future__ import annotations

import asyncio
import os
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from webchat_tui.chat.types import ChatMessage
from webchat_tui.messaging import TokenStore, custom_attributes_size
from webchat_tui.messaging import errors as e
from webchat_tui.messaging.ordering import ReorderBuffer, Transcript
from webchat_tui.messaging.pacing import Pacer

# Every code of protocol.md §12 that can reach a client.
SECTION_12 = [400, 401, 403, 404, 408, 409, 429, 1001, 1002, *range(4000, 4012), 4013, 4017, 4020, 4029, 5000]


def test_token_store_persists_per_deployment_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "tokens.json"
    store = TokenStore(path)
    store.put("dep-a", "token-a")
    assert store.get("dep-a") == "token-a"
    assert TokenStore(path).get("dep-a") == "token-a"  # a new process reads it back
    store.put("dep-b", "token-b")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    store.forget("dep-a")
    assert TokenStore(path).get("dep-a") is None and TokenStore(path).get("dep-b") is not None


def test_token_store_survives_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("{not json")
    assert TokenStore(path).get("d") is None
    TokenStore(path).put("d", "t-1")
    assert TokenStore(path).get("d") == "t-1"


def test_memory_store_writes_nothing(tmp_path: Path) -> None:
    store = TokenStore(None)
    store.put("d", "t-1")
    assert store.get("d") == "t-1" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("code", SECTION_12)
def test_every_error_code_has_a_typed_error_with_plain_words(code: int) -> None:
    error = e.error_for(code, "service text")
    assert isinstance(error, e.MessagingError) and error.code == code
    assert type(error) is not e.MessagingError
    assert str(error).endswith("(service text)") and len(error.plain) > 10
    if code in (429, 4029):
        assert isinstance(error, e.RateLimited) and error.retry_after == 3.0


def test_unknown_codes_fall_back() -> None:
    assert type(e.error_for(418)) is e.BadRequest
    assert type(e.error_for(4999)) is e.UnexpectedServerError
    assert e.error_for(4029, retry_after=7).retry_after == 7  # type: ignore[attr-defined]


def test_custom_attribute_size_counts_utf8_bytes_of_keys_and_values() -> None:
    assert custom_attributes_size({"a": "bc", "é": "€"}) == 1 + 2 + 2 + 3


async def test_pacer_spaces_slots_in_fifo_order() -> None:
    pacer = Pacer(0.05)
    order: list[int] = []
    stamps: list[float] = []

    async def take(i: int) -> None:
        await pacer.slot()
        order.append(i)
        stamps.append(time.monotonic())

    await asyncio.gather(*(take(i) for i in range(6)))
    assert order == list(range(6))
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert min(gaps) >= 0.045  # never faster than the interval (a lower bound only: slow machines are fine)
    pacer.back_off(10)
    assert pacer.busy and not pacer.try_slot()


def _msg(i: int, seconds: float, mid: str | None = None) -> ChatMessage:
    t = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    return ChatMessage(mid or f"m{i}", "agent:a", "A", "AGENT", f"text {i}", "standard", t)


def test_transcript_keeps_time_order_and_drops_duplicates() -> None:
    transcript = Transcript()
    for i, s in [(1, 1), (3, 3), (2, 2), (3, 3), (0, 0)]:
        transcript.insert(_msg(i, s))
    assert [m.id for m in transcript.messages] == ["m0", "m1", "m2", "m3"]
    same_time = [_msg(10, 5, "x"), _msg(11, 5, "y")]
    for m in same_time:
        transcript.insert(m)
    assert [m.id for m in transcript.messages][-2:] == ["x", "y"]  # equal times keep arrival order


def test_reorder_buffer_drains_sorted() -> None:
    buffer = ReorderBuffer()
    for i, s in [(2, 2), (1, 1), (2, 2), (0, 0)]:
        buffer.add(_msg(i, s))
    assert [m.id for m in buffer.drain()] == ["m0", "m1", "m2"]
    assert len(buffer) == 0
