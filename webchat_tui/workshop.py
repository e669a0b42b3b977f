"""`webchat-tui workshop`: the emulator in human-agent mode, the browser mode for trainees and the agent
console for the trainer, started by one command.

The emulator and `webchat-tui serve` run as child processes (their own interpreters: 40 guests' traffic never
competes with the console for the GIL); the console runs in the foreground. With `lan=True` both children
bind the machine's LAN address: trainees' browsers reach the guest app and trainees' terminals the guest
API, while the control API stays behind the emulator's random control token (401 without it) and its Host
allow-list (400 for a name it does not serve). Nothing here imports Textual.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import IO, Any

__all__ = ["Workshop", "lan_address", "qr_text"]

START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0  # serve asks every browser guest's app to leave its chat first


def lan_address() -> str:
    """This machine's address on its LAN: the source address of a route to a public address (a UDP
    `connect` sends no packet). Falls back to 127.0.0.1 without a network."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never contacted, only routed
            address = str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"
    return address if address != "0.0.0.0" else "127.0.0.1"


def qr_text(data: str, *, border: int = 2) -> str:
    """A QR code of `data` as text (half blocks, two module rows per line), light modules drawn: it scans on
    a dark terminal background. Plain characters only, no escape sequences."""
    import segno

    code = segno.make(data, error="m")
    rows = [list(row) for row in code.matrix_iter(scale=1, border=border)]
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        chars = []
        for up, down in zip(top, bottom, strict=True):
            light_up, light_down = not up, not down
            chars.append("█" if light_up and light_down else "▀" if light_up else "▄" if light_down else " ")
        lines.append("".join(chars))
    return "\n".join(lines)


def _read_json_line(process: subprocess.Popen[str], what: str, timeout: float) -> dict[str, Any]:
    """The first stdout line of a child (its JSON start line), or RuntimeError with its stderr."""
    result: dict[str, Any] = {}

    def read() -> None:
        assert process.stdout is not None
        line = process.stdout.readline()
        if line:
            result["line"] = line

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if "line" not in result:
        process.kill()
        _, err = process.communicate(timeout=5)
        raise RuntimeError(f"{what} did not start: {(err or '').strip()[-2000:]}")
    data = json.loads(result["line"])
    if not isinstance(data, dict):
        raise RuntimeError(f"{what} printed an unexpected start line")
    return data


@dataclass
class Workshop:
    """The workshop's processes. `start()` then use `trainee_url`, `emulator_info`; `stop()` at the end."""

    lan: bool = False
    host: str | None = None
    """Address to bind (default: the LAN address with `lan`, else 127.0.0.1)."""
    port: int = 8000
    """Port of the trainees' page (0 = any free one)."""
    emulator_port: int = 0
    agents: str = "human"
    human_first_timeout: float = 60.0
    theme: str | None = None
    max_sessions: int = 60
    channel: str = "messaging"
    """The channel the trainees' join form starts on. Web Messaging uses the emulator's deployment without a
    bot, so a trainee waits at the trainer's desk at once."""
    time_scale: float = 1.0
    stderr: IO[str] | None = None
    """Where the children's log lines go (default: this process's stderr)."""
    emulator_info: dict[str, Any] = field(default_factory=dict)
    trainee_url: str = ""
    _children: list[subprocess.Popen[str]] = field(default_factory=list)

    @property
    def bind_host(self) -> str:
        """The address both children bind."""
        return self.host or (lan_address() if self.lan else "127.0.0.1")

    def _spawn(self, args: list[str]) -> subprocess.Popen[str]:
        # Ctrl+C would not reach the children (own sessions): only the workshop's own line says how to stop
        process = subprocess.Popen(
            [sys.executable, "-m", "webchat_tui", *args, "--no-stop-hint"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.stderr if self.stderr is not None else None,
            text=True,
            start_new_session=True,  # Ctrl+C in the console's terminal is the console's, not the children's
        )
        self._children.append(process)
        return process

    def start(self) -> None:
        """Start the emulator, then the browser mode on it (each prints its start line)."""
        host = self.bind_host
        try:
            emulator = self._spawn(
                [
                    "emulator",
                    "--host",
                    host,
                    "--port",
                    str(self.emulator_port),
                    "--agents",
                    self.agents,
                    "--human-first-timeout",
                    str(self.human_first_timeout),
                    "--time-scale",
                    str(self.time_scale),
                ]
            )
            self.emulator_info = _read_json_line(emulator, "the emulator", START_TIMEOUT)
            serve_args = ["serve", "--host", host, "--port", str(self.port)]
            serve_args += ["--api-base", str(self.emulator_info["base_url"])]
            serve_args += ["--org", str(self.emulator_info["organization_id"])]
            serve_args += ["--deployment", str(self.emulator_info["deployment_id"])]
            serve_args += [
                "--messaging-deployment",
                str(self.emulator_info["messaging_direct_deployment_id"]),
            ]
            serve_args += ["--channel", self.channel, "--max-sessions", str(self.max_sessions)]
            if self.theme in ("dark", "light"):
                serve_args += ["--theme", self.theme]
            serve = self._spawn(serve_args)
            self.trainee_url = str(_read_json_line(serve, "the browser mode", START_TIMEOUT)["url"])
        except BaseException:
            self.stop()
            raise

    @property
    def terminal_command(self) -> str:
        """What a trainee with webchat-tui installed types instead of using the browser."""
        info = self.emulator_info
        if self.channel == "messaging":  # the app's default channel: its deployment is all it needs
            return (
                f"webchat-tui chat --api-base {info.get('base_url')} "
                f"--deployment {info.get('messaging_direct_deployment_id')}"
            )
        return (
            f"webchat-tui chat --channel webchat --api-base {info.get('base_url')} "
            f"--org {info.get('organization_id')} --deployment {info.get('deployment_id')}"
        )

    def stop(self) -> None:
        """Stop the children: the browser mode first (its apps leave their chats), then the emulator."""
        for process in reversed(self._children):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
            if process.stdout is not None:
                process.stdout.close()
        self._children.clear()
