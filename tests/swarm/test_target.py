"""Targets: every swarm guest shares one TLS context (loading the CA bundle per guest cost ~28 ms of CPU),
and a client given an `ssl.SSLContext` uses it for its websocket and its REST calls (against the emulator's
`--tls`, whose self-signed certificate only that context trusts)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest

from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig
from webchat_tui.messaging import MessagingClient, MessagingSession, TokenStore
from webchat_tui.swarm.target import Guest, endpoint_for_emulator, open_session, shared_tls


@pytest.fixture(scope="module")
def tls_emu() -> Iterator[EmbeddedEmulator]:
    """An emulator with `--tls`."""
    with EmbeddedEmulator(EmulatorConfig(time_scale=0.02, seed=78, tls=True)) as emu:
        yield emu


async def test_a_context_given_as_verify_is_used_for_wss_and_rest(tls_emu: EmbeddedEmulator) -> None:
    context = ssl.create_default_context(cafile=tls_emu.info["tls_cert"])
    client = MessagingClient(
        tls_emu.messaging_direct_deployment_id, base_url=tls_emu.base_url, verify=context
    )
    session = MessagingSession(client, token_store=TokenStore(None))  # fetches config.json over https first
    try:
        await session.start()
        assert client.ws_url.startswith("wss://")
        assert (await session.send("over TLS with a shared context")).body == "over TLS with a shared context"
    finally:
        await session.close()


async def test_guests_share_one_tls_context(emu: EmbeddedEmulator) -> None:
    opened = []
    try:
        for channel in ("messaging", "messaging", "webchat"):
            endpoint = endpoint_for_emulator(emu.info, channel, "direct" if channel == "messaging" else None)
            opened.append(await open_session(endpoint, Guest("Ada Lovelace")))
        messaging = [o.session.client for o in opened if o.channel == "messaging"]  # type: ignore[attr-defined]
        assert all(c.verify is shared_tls() for c in messaging)
    finally:
        for o in opened:
            await o.close()
