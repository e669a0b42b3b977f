"""Edges of `MessagingSession` on the real emulator: remote text stays inert end to end, the session works
over the emulator's `--tls` (wss with its self-signed PEM), and an ended session's event iterator ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.messaging.conftest import WAIT, SessionFactory
from webchat_tui.chat.types import SessionState
from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.messaging import MessagingClient, MessagingSession, TokenStore
from webchat_tui.messaging import errors as e


async def test_agent_text_with_terminal_controls_arrives_inert(
    new_session: SessionFactory, control: ControlClient
) -> None:
    session = await new_session()
    sid = str(control.messaging_session_for(session.token.get())["id"])
    hostile = "clear\x1b[2J screen \x1b]8;;http://evil.example\x07link\x1b]8;;\x07 \u202eevil\u202c \x9b31m"
    control.messaging_agent(sid, "messages", {"text": hostile})
    await session.wait_until(lambda s: any("screen" in m.body for m in s.messages), WAIT)
    body = next(m.body for m in session.messages if "screen" in m.body)
    for bad in ("\x1b", "\x07", "\u202e", "\u202c", "\x9b"):
        assert bad not in body
    assert body.startswith("clear[2J screen")


@pytest.fixture(scope="module")
def tls_emu() -> Iterator[EmbeddedEmulator]:
    """A second emulator, with `--tls`."""
    with EmbeddedEmulator(EmulatorConfig(time_scale=0.02, seed=77, tls=True)) as emu:
        yield emu


async def test_session_over_wss_trusting_the_emulator_certificate(
    tls_emu: EmbeddedEmulator, tmp_path: Path
) -> None:
    cert = tls_emu.info["tls_cert"]
    client = MessagingClient(tls_emu.messaging_direct_deployment_id, base_url=tls_emu.base_url, verify=cert)
    assert client.ws_url.startswith("wss://")
    session = MessagingSession(client, token_store=TokenStore(tmp_path / "t.json"))
    try:
        await session.start()
        message = await session.send("over TLS")
        assert message.body == "over TLS"
    finally:
        await session.close()
    untrusting = MessagingSession(
        MessagingClient(tls_emu.messaging_direct_deployment_id, base_url=tls_emu.base_url),
        token_store=TokenStore(None),
    )
    try:
        with pytest.raises(e.MessagingError):  # the self-signed certificate is not trusted by default
            await untrusting.start()
    finally:
        await untrusting.close()


async def test_events_of_an_ended_session_end(new_session: SessionFactory, control: ControlClient) -> None:
    session = await new_session()
    control.messaging_session_action(str(control.messaging_session_for(session.token.get())["id"]), "expire")
    await session.wait_until(lambda s: s.state is SessionState.ENDED, WAIT)
    seen = [event async for event in session.events()]  # must not hang
    assert seen == []
