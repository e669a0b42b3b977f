"""`webchat-tui workshop` processes (the real emulator and browser-mode children) bound to a "LAN" address.

This machine has no LAN interface the tests may use, so 127.0.0.2 (another loopback address, which Linux
routes without configuration) stands for the LAN address: what matters is that the children bind the given
address and that, from the guests' side, the control API needs the token (401) and a foreign Host is
refused (400) while the guest API and the trainees' page answer.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.agent.conftest import until
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.workshop import Workshop, qr_text

LAN = "127.0.0.2"


@pytest.fixture(scope="module")
def shop() -> Iterator[Workshop]:
    """A workshop on the stand-in LAN address (stopped after the module)."""
    workshop = Workshop(host=LAN, port=0, lan=True, stderr=subprocess.DEVNULL)
    workshop.start()
    try:
        yield workshop
    finally:
        workshop.stop()


def test_guest_side_cannot_reach_the_control_api(shop: Workshop) -> None:
    base = str(shop.emulator_info["base_url"])
    assert base.startswith(f"http://{LAN}:") and shop.trainee_url.startswith(f"http://{LAN}:")
    with httpx.Client(timeout=30) as http:
        # The guest API and the trainees' page answer on the LAN address...
        dep = shop.emulator_info["messaging_deployment_id"]
        assert http.get(f"{base}/webdeployments/v1/deployments/{dep}/config.json").status_code == 200
        page = http.get(shop.trainee_url)
        assert page.status_code == 200 and "<html" in page.text.lower()
        # ...the control API does not without the token, and a foreign Host gets nowhere.
        assert http.get(f"{base}/emulator/v1/info").status_code == 401
        assert (
            http.get(f"{base}/emulator/v1/agents", headers={"X-Emulator-Token": "guessed-token"}).status_code
            == 401
        )
        foreign = http.get(f"{base}/emulator/v1/info", headers={"Host": "evil.example"})
        assert foreign.status_code == 400
        assert (
            http.get(
                f"{base}/webdeployments/v1/deployments/{dep}/config.json", headers={"Host": "evil.example"}
            ).status_code
            == 400
        )
    # The trainer's console (with the token) drives it: human-agent mode.
    with ControlClient.from_info(shop.emulator_info) as control:
        assert control.agents()["mode"] == "human"


def test_terminal_command_and_qr(shop: Workshop) -> None:
    assert shop.terminal_command.startswith(f"webchat-tui chat --api-base http://{LAN}:")
    code = qr_text(shop.trainee_url).splitlines()
    assert len({len(line) for line in code}) == 1 and len(code[0]) >= 21 + 4  # square code, quiet zone
    assert set("".join(code)) <= {"█", "▀", "▄", " "}  # plain characters only
    assert qr_text(shop.trainee_url) == "\n".join(code)


def test_cli_prints_the_address_and_stops_its_children() -> None:
    """`webchat-tui workshop --no-console` prints its JSON line and the QR code; SIGTERM stops everything."""
    process = subprocess.Popen(
        [sys.executable, "-m", "webchat_tui", "workshop", "--host", LAN, "--port", "0", "--no-console"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = json.loads(process.stdout.readline())
        assert line["url"].startswith(f"http://{LAN}:")
        with httpx.Client(timeout=30) as http:
            assert http.get(line["url"]).status_code == 200
        process.terminate()
        _, err = process.communicate(timeout=60)
        assert f"Trainees open:  {line['url']}" in err and "█" in err
        with httpx.Client(timeout=5) as http, pytest.raises(httpx.ConnectError):
            http.get(line["url"])  # the browser mode is gone
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_agent_command_checks_its_options() -> None:
    """`--control-token` alone is refused (it belongs to `--api-base`); `--help` lists the console options."""
    from click.testing import CliRunner

    from webchat_tui.cli import main

    runner = CliRunner()
    refused = runner.invoke(main, ["agent", "--control-token", "abcdefgh12"])
    assert refused.exit_code == 2 and "needs --api-base" in refused.output
    shown = runner.invoke(main, ["agent", "--help"])
    assert shown.exit_code == 0 and "--api-base" in shown.output and "--name" in shown.output
    workshop = runner.invoke(main, ["workshop", "--help"])
    assert workshop.exit_code == 0 and "--lan" in workshop.output and "--no-console" in workshop.output


async def test_agent_console_on_its_own_emulator() -> None:
    """`webchat-tui agent` without --api-base: an embedded emulator in human-agent mode, its address for
    guests in the status bar, stopped when the console quits."""
    from webchat_tui.tui.agent.app import make_agent_app

    app = make_agent_app(agent_name="Solo", emulator_options={"time_scale": 0.02})
    base = app.backend.client.base_url
    async with app.run_test(size=(100, 20)):
        desk = await until(lambda: app.screen_stack[-1] if len(app.screen_stack) > 1 else None)
        await until(lambda: desk.online)
        assert desk.banner == f"Guests: webchat-tui chat --api-base {base}"
        assert app.backend.client.agents()["mode"] == "human"
    with httpx.Client(timeout=5) as http, pytest.raises(httpx.ConnectError):
        http.get(f"{base}/emulator/v1/info")  # stopped with the console


async def test_console_reconnects_its_feed() -> None:
    """The emulator goes away and comes back on the same address: the console says it is offline, then
    reconnects on its own and shows the new emulator's desk (a fresh snapshot)."""
    from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig
    from webchat_tui.tui.agent.app import AgentApp
    from webchat_tui.tui.agent.backend import DeskBackend

    first = EmbeddedEmulator(EmulatorConfig(agents="human", time_scale=0.02))
    await first.__aenter__()
    port, token = first.port, first.control_token
    app = AgentApp(DeskBackend(ControlClient(first.base_url, token), "Solo"))
    second = None
    try:
        async with app.run_test(size=(100, 20)):
            desk = await until(lambda: app.screen_stack[-1] if len(app.screen_stack) > 1 else None)
            await until(lambda: desk.online)
            await first.__aexit__(None, None, None)
            await until(lambda: not desk.online, what="offline shown")
            status = str(desk.query_one("#desk-status").render())
            assert "feed offline, reconnecting" in status
            second = EmbeddedEmulator(EmulatorConfig(agents="human", port=port, control_token=token))
            await second.__aenter__()
            await until(lambda: desk.online, what="reconnected")
    finally:
        if second is not None:
            await second.__aexit__(None, None, None)
