"""Saving the agent's file asks the service for a fresh download URL every time (getAttachment; the URL in the
message expires after about 10 minutes, protocol.md §3.7), checked in the emulator's record."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from tests.messaging.conftest import WAIT, SessionFactory
from webchat_tui.chat.types import Attachment
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.messaging import errors as e


async def test_each_save_of_an_agent_file_asks_for_a_fresh_url(
    new_session: SessionFactory, control: ControlClient, tmp_path: Path
) -> None:
    session = await new_session()
    sid = str(control.messaging_session_for(session.token.get())["id"])
    control.messaging_agent(sid, "attachment", {"fileName": "report.txt", "text": "numbers\n"})
    await session.wait_until(
        lambda s: any(isinstance(c, Attachment) and not m.is_own for m in s.messages for c in m.content), WAIT
    )
    theirs = next(c for m in session.messages if not m.is_own for c in m.content if isinstance(c, Attachment))
    first = await session.download_attachment(theirs, tmp_path)
    second = await session.download_attachment(theirs, tmp_path)
    assert first != second and first.read_bytes() == second.read_bytes() == b"numbers\n"
    asks = [
        ev
        for ev in control.messaging_record(sid)
        if ev["action"] == "getAttachment" and (ev.get("request") or {}).get("attachmentId") == theirs.id
    ]
    assert [ev["code"] for ev in asks] == [200, 200]


async def test_an_oversize_file_is_refused_without_being_read(
    new_session: SessionFactory, control: ControlClient, tmp_path: Path
) -> None:
    """A file over the deployment's limit is refused from its size on disk: it is never loaded into memory
    (a 200 MB sparse file; the old code read it whole before checking)."""
    session = await new_session()
    big = tmp_path / "huge.txt"
    with big.open("wb") as f:
        f.truncate(200_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(e.FileSizeInvalid):
            await session.send_attachment(big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000, peak
    sid = str(control.messaging_session_for(session.token.get())["id"])
    assert not [ev for ev in control.messaging_record(sid) if ev["action"] == "onAttachment"]
