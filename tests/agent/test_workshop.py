"""`webchat-tui workshop` processes (the real emulator and browser-mode children) bound to a "LAN" address.

This machine has no LAN interface the tests may use, so 127.0.0.2 (another loopback address, which Linux
routes without configuration) stands for the LAN address: what matters is that the children bind the given
address and that, from the guests' side, the control API needs the token (401) and a foreign Host is
refused (400) while the guest API and the trainees' page answer.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.agent.conftest import until
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.workshop import Workshop, qr_text

LAN = "127.0.0.2"


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, read from /proc (children that started their own sessions included)."""
    below: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        below.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in below.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@contextlib.contextmanager
def reaped(process: subprocess.Popen[Any]) -> Iterator[list[int]]:
    """On the way out, pass or fail, kill `process` and everything below it, each in its whole process
    group: the workshop's children run in sessions of their own, so killing the workshop alone would leave
    them running (and holding ports) after a failed test. Yields a list for the pids of children the test has
    seen: they are killed too even when `process` is gone by then (its orphans lost their link to it)."""
    seen: list[int] = []
    try:
        yield seen
    finally:
        # a child not yet waited for keeps its pid: nothing else can have it
        tree = [process.pid, *descendants(process.pid)] if process.poll() is None else []
        for each in dict.fromkeys([*tree, *seen]):
            if each not in tree and not _ours(each):
                continue  # gone, and its pid may be someone else's by now
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if os.getpgid(each) == each:
                    os.killpg(each, signal.SIGKILL)
                else:
                    os.kill(each, signal.SIGKILL)
        process.wait(30)


def _ours(pid: int) -> bool:
    """`pid` is alive and one of our processes (a `webchat_tui` command line)."""
    try:
        return b"webchat_tui" in Path(f"/proc/{pid}/cmdline").read_bytes() and _alive(pid)
    except OSError:
        return False


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
    # The trainees' app starts on Web Messaging: the command names the deployment without a bot (the desk).
    direct = shop.emulator_info["messaging_direct_deployment_id"]
    assert shop.terminal_command == (
        f"webchat-tui chat --api-base {shop.emulator_info['base_url']} --deployment {direct}"
    )
    webchat = Workshop(channel="webchat", emulator_info=shop.emulator_info)
    assert webchat.terminal_command.startswith(f"webchat-tui chat --channel webchat --api-base http://{LAN}:")
    assert f"--deployment {shop.emulator_info['deployment_id']}" in webchat.terminal_command
    code = qr_text(shop.trainee_url).splitlines()
    assert len({len(line) for line in code}) == 1 and len(code[0]) >= 21 + 4  # square code, quiet zone
    assert set("".join(code)) <= {"█", "▀", "▄", " "}  # plain characters only
    assert qr_text(shop.trainee_url) == "\n".join(code)


def test_cli_prints_the_address_and_stops_its_children() -> None:
    """`webchat-tui workshop --no-console` prints its JSON line and the QR code; SIGTERM stops everything.
    Its children (the emulator, the browser mode) say where they listen but not how to stop: Ctrl+C never
    reaches them (own sessions), so the workshop's own line is the only stop hint."""
    process = subprocess.Popen(
        [sys.executable, "-m", "webchat_tui", "workshop", "--host", LAN, "--port", "0", "--no-console"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with reaped(process) as seen:
        assert process.stdout is not None
        line = json.loads(process.stdout.readline())
        assert line["url"].startswith(f"http://{LAN}:")
        with httpx.Client(timeout=30) as http:
            assert http.get(line["url"]).status_code == 200
        children = descendants(process.pid)
        seen += children
        assert len(children) >= 2, children  # the emulator and the browser mode
        process.terminate()
        _, err = process.communicate(timeout=60)
        assert f"Trainees open:  {line['url']}" in err and "█" in err
        assert "webchat-tui emulator listening on" in err and "webchat-tui serve: trainees open" in err
        hints = [row for row in err.splitlines() if "ctrl+c" in row.lower()]
        assert hints == ["Ctrl+C stops the workshop."], hints
        with httpx.Client(timeout=5) as http, pytest.raises(httpx.ConnectError):
            http.get(line["url"])  # the browser mode is gone
        assert not [pid for pid in children if _alive(pid)], "children left running"


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


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


def test_on_a_terminal_the_start_line_with_its_secrets_is_not_shown(tmp_path: Path) -> None:
    """A workshop's terminal is often on a projector: the JSON start line (control token, client secrets)
    goes out only when stdout is not a terminal; the terminal shows the address for trainees."""
    import time

    from tests.tui.test_process import PtyApp

    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
    }
    shop = PtyApp(["workshop", "--host", LAN, "--port", "0", "--no-console"], env)
    try:
        with reaped(shop.proc):
            deadline = time.monotonic() + 90
            while (
                b"Agent console:" not in shop.output
                and time.monotonic() < deadline
                and shop.proc.poll() is None
            ):
                time.sleep(0.1)
            shown = bytes(shop.output)
            assert b"Trainees open:" in shown and b"Agent console:" in shown, shown[-2000:]
            assert b'"control_token"' not in shown and b"client_secret" not in shown
            os.killpg(shop.proc.pid, signal.SIGTERM)
            shop.wait(60)
    finally:
        shop.close()


@pytest.mark.parametrize("stage", ["prompt", "console"])
def test_closing_the_trainers_terminal_stops_the_children(tmp_path: Path, stage: str) -> None:
    """The trainer's terminal window closes (SIGHUP) at the "Press Enter" prompt or with the console open: the
    workshop stops its emulator and browser mode (in sessions of their own, the hang-up never reaches them)
    instead of leaving them running on the room's port."""
    import time

    from tests.tui.test_process import PtyApp

    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
        "TERM": "xterm-256color",
    }
    shop = PtyApp(["workshop", "--host", LAN, "--port", "0"], env)

    def shown(text: bytes, timeout: float = 90) -> bool:
        deadline = time.monotonic() + timeout
        while text not in shop.output and time.monotonic() < deadline and shop.proc.poll() is None:
            time.sleep(0.1)
        return text in shop.output

    try:
        with reaped(shop.proc) as seen:
            assert shown(b"Press Enter to open the agent console"), bytes(shop.output[-2000:])
            children = descendants(shop.proc.pid)
            seen += children
            assert len(children) >= 2, children
            if stage == "console":
                os.write(shop.master, b"\r")
                assert shown(b"Waiting ("), bytes(shop.output[-2000:])
            os.kill(shop.proc.pid, signal.SIGHUP)
            shop.wait(60)
            deadline = time.monotonic() + 30
            while [pid for pid in children if _alive(pid)] and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not [pid for pid in children if _alive(pid)], "children left running after SIGHUP"
    finally:
        shop.close()
