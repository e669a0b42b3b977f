"""`EmbeddedEmulator` entry points: async context manager, non-blocking start/wait_ready/stop, and the seed
being available before start."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig
from webchat_tui.emulator.control_client import ControlClient


async def test_async_context_manager() -> None:
    async with EmbeddedEmulator(EmulatorConfig(seed=42, time_scale=0.01)) as emu:
        assert emu.base_url.startswith("http://127.0.0.1:") and not emu.base_url.endswith("/")
        assert emu.ws_url == emu.base_url.replace("http://", "ws://")
        with ControlClient.for_emulator(emu) as control:
            info = await asyncio.to_thread(control.info)
        assert info["organization_id"] == emu.seed.organization_id


def test_start_wait_ready_stop_and_seed_before_start() -> None:
    emu = EmbeddedEmulator(EmulatorConfig(seed=42, auto_agent=False))
    assert emu.seed.deployment_id == EmbeddedEmulator(EmulatorConfig(seed=42)).seed.deployment_id
    assert emu.seed.member_auth_token
    emu.start()
    try:
        emu.wait_ready(timeout=10)
        with httpx.Client(base_url=emu.base_url) as http, ControlClient.for_emulator(emu) as control:
            assert control.config()["autoAgent"] is False
            http.post(
                "/api/v2/webchat/guest/conversations",
                json={
                    "organizationId": emu.seed.organization_id,
                    "deploymentId": emu.seed.deployment_id,
                    "routingTarget": {"targetType": "QUEUE", "targetAddress": "Support"},
                    "memberInfo": {"displayName": "x"},
                },
            )
            emu.reset()
            assert control.conversations() == []
    finally:
        emu.stop()
    try:
        httpx.get(f"{emu.base_url}/emulator/v1/info", timeout=2)
    except httpx.ConnectError:
        pass
    else:
        raise AssertionError("emulator still serving after stop()")


def test_wait_ready_raises_when_the_server_never_starts(monkeypatch) -> None:
    """A server that gives up before serving (here: uvicorn's serve() returning at once) is an error from
    wait_ready(), never a silent "ready" for an emulator that is not there."""
    from webchat_tui.emulator import server

    real = server._uvicorn_server

    def never_serving(app, config):  # type: ignore[no-untyped-def]
        uv = real(app, config)

        async def serve(sockets=None) -> None:  # type: ignore[no-untyped-def]
            return None

        uv.serve = serve  # type: ignore[method-assign]
        return uv

    monkeypatch.setattr(server, "_uvicorn_server", never_serving)
    emu = EmbeddedEmulator(EmulatorConfig())
    emu.start()
    try:
        with pytest.raises(RuntimeError, match="failed to start"):
            emu.wait_ready(timeout=10)
    finally:
        emu.stop()


async def test_stop_with_open_sockets_and_agent_timers_ends_the_thread() -> None:
    """Stopping while a guest socket is attached and agent timers run: the server thread ends, and the socket
    is closed by the server (1012, service restart)."""
    import websockets

    emu = EmbeddedEmulator(EmulatorConfig(seed=5, time_scale=0.01))
    await asyncio.to_thread(emu.start)
    await asyncio.to_thread(emu.wait_ready)
    thread = emu._thread
    async with httpx.AsyncClient(base_url=emu.base_url) as http:
        created = (
            await http.post(
                "/api/v2/webchat/guest/conversations",
                json={
                    "organizationId": emu.seed.organization_id,
                    "deploymentId": emu.seed.deployment_id,
                    "routingTarget": {"targetType": "QUEUE", "targetAddress": "Support"},
                    "memberInfo": {"displayName": "x"},
                },
            )
        ).json()
    async with websockets.connect(created["eventStreamUri"]) as ws:
        await ws.recv()  # attached: routing has started
        await asyncio.to_thread(emu.stop)
        assert thread is not None and not thread.is_alive()
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 1012


def test_two_emulators_built_from_one_config_do_not_share_runtime_changes() -> None:
    config = EmulatorConfig(seed=9, time_scale=0.5)
    with EmbeddedEmulator(config) as first, EmbeddedEmulator(config) as second:
        assert first.control_token != second.control_token  # one random token per emulator
        with ControlClient.for_emulator(first) as one, ControlClient.for_emulator(second) as two:
            assert one.set_config(timeScale=0.01)["timeScale"] == 0.01
            assert two.config()["timeScale"] == 0.5
    assert config.time_scale == 0.5
