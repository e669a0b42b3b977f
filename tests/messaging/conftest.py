"""Fixtures for the Web Messaging client tests: sessions on the real emulator (ephemeral port, real
websockets and HTTP), each with its own token file, closed after the test; the one control
client (`control`, from tests/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.emulator_messaging.helpers import check_frame
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.messaging import MessagingClient, MessagingSession, TokenStore
from webchat_tui.messaging import client as client_module
from webchat_tui.messaging.frames import ServerFrame, parse_frame

_SHOWN_PRESENCE = {"Disconnect", "SignIn", "SessionExpired"}


def shown_ids(control: ControlClient, sid: str) -> list[str]:
    """The ids of the emulator's transcript entries a guest is shown: text and rich messages, and the presence
    events that become system lines."""
    ids = []
    for m in control.messaging_messages(sid):
        if m.get("type") in ("Text", "Structured"):
            ids.append(m["id"])
        elif any((ev.get("presence") or {}).get("type") in _SHOWN_PRESENCE for ev in m.get("events") or []):
            ids.append(m["id"])
    return ids


SessionFactory = Callable[..., Awaitable[MessagingSession]]
WAIT = 30.0  # generous: the machine is shared; never a timing assertion


@pytest.fixture
def schema_checked_frames(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every frame a client receives in the test is checked against schema.json (the emulator suite's
    relaxed schema); the test fails at teardown on the first violation, even in a frame it never looked at."""
    problems: list[str] = []

    def checked(raw: str | bytes) -> ServerFrame:
        try:
            data = json.loads(raw)
            check_frame(data)
        except (ValueError, AssertionError) as exc:
            problems.append(str(exc))
        return parse_frame(raw)

    monkeypatch.setattr(client_module, "parse_frame", checked)
    yield problems
    assert not problems, problems[0]


@pytest.fixture
async def new_session(
    emu: EmbeddedEmulator, tmp_path: Path, schema_checked_frames: list[str]
) -> AsyncIterator[SessionFactory]:
    """`await new_session(deployment_id=None, start=True, store=None, origin=None, **session_kwargs)`: a
    `MessagingSession` on the emulator (direct-to-agent deployment by default), started unless told not to.
    Every frame its client receives is schema-checked (`schema_checked_frames`)."""
    made: list[MessagingSession] = []

    async def make(
        deployment_id: str | None = None,
        *,
        start: bool = True,
        store: TokenStore | None = None,
        origin: str | None = None,
        start_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> MessagingSession:
        client = MessagingClient(
            deployment_id or emu.messaging_direct_deployment_id, base_url=emu.base_url, origin=origin
        )
        session = MessagingSession(
            client, token_store=store or TokenStore(tmp_path / "tokens.json"), **kwargs
        )
        made.append(session)
        if start:
            await session.start(**(start_kwargs or {}))
        return session

    yield make
    for session in made:
        await session.close()
