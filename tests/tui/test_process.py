"""The app as a real process in a pseudo-terminal: SIGTERM and SIGHUP leave the chat (as ctrl+q does) and
restore the terminal; a crash report shows no local variables."""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path
from typing import Any

import pytest

ALT_SCREEN_OFF = b"\x1b[?1049l"
MOUSE_OFF = b"\x1b[?1000l"


class PtyApp:
    """`webchat-tui chat …` on the slave side of a pty; everything it writes is collected."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.master = master
        self.output = bytearray()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "webchat_tui", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output.extend(chunk)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._reader.join(5)
        try:
            os.close(self.master)
        except OSError:
            pass


def app_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEBCHAT_TUI_")}
    env.update(
        {
            "TERM": "xterm-256color",
            "COLUMNS": "100",
            "LINES": "30",
            "WEBCHAT_TUI_CONFIG": str(tmp_path / "config.toml"),
            "TEXTUAL": "",
        }
    )
    return env


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_leave_the_chat_and_restore_the_terminal(
    emu: Any, control: Any, tmp_path: Path, signum: signal.Signals
) -> None:
    """The guest is in a chat with an agent; the terminal sends the signal: the app leaves the chat (the
    agent sees the guest go), exits within the ctrl+q bound, and turns off the alternate screen and mouse."""
    args = [
        "chat",
        "--start",
        "--name",
        "Signal Sam",
        "--api-base",
        emu.base_url,
        "--org",
        emu.seed.organization_id,
        "--deployment",
        emu.seed.deployment_id,
        "--transcripts-dir",
        str(tmp_path / "t"),
        "--channel",
        "webchat",
    ]
    app = PtyApp(args, app_env(tmp_path))
    try:

        def guest_connected() -> Any:
            for conversation in control.conversations():
                for member in conversation["members"]:
                    if member.get("displayName") == "Signal Sam" and member.get("state") == "CONNECTED":
                        return conversation["id"]
            return None

        cid = wait_for(guest_connected, 60, "the guest joined a chat")
        wait_for(lambda: b"Connected to" in app.output, 60, "the chat screen shows the agent")
        mark = len(app.output)
        os.kill(app.proc.pid, signum)
        code = app.wait(30)
        assert code == 128 + int(signum)
        members = control.conversation(cid)["members"]
        guest = next(m for m in members if m.get("displayName") == "Signal Sam")
        assert guest["state"] == "DISCONNECTED", members
        tail = bytes(app.output[mark:])
        assert ALT_SCREEN_OFF in tail and MOUSE_OFF in tail
    finally:
        app.close()


def test_crash_report_shows_no_local_variables(tmp_path: Path) -> None:
    """An unexpected exception ends the app with a traceback that has no local variables in it (they can
    hold transcript text and tokens)."""
    script = tmp_path / "crash.py"
    script.write_text(
        "from webchat_tui.config import ChatSettings\n"
        "from webchat_tui.tui.app import WebchatApp\n"
        "from webchat_tui.tui.backend import LocalEmulator\n"
        "import pathlib, webchat_tui.tui.app as base\n"
        "class Crashing(WebchatApp):\n"
        "    CSS_PATH = str(pathlib.Path(base.__file__).with_name('app.tcss'))\n"
        "    def on_ready(self) -> None:\n"
        "        self.set_timer(0.2, self.boom)\n"
        "    def boom(self) -> None:\n"
        "        transcript_secret = 'SENTINEL-' + 'transcript-text'\n"
        "        raise RuntimeError('deliberate crash ' + str(len(transcript_secret)))\n"
        "local = LocalEmulator(base_url='http://127.0.0.1:9', organization_id='o', deployment_id='d')\n"
        "Crashing(ChatSettings(), local=local).run(headless=True, size=(80, 24))\n",
        encoding="utf-8",
    )
    env = app_env(tmp_path)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path
    )
    report = done.stdout + done.stderr
    assert "deliberate crash" in report, report
    assert "SENTINEL-transcript-text" not in report
    assert "transcript_secret" in report or "RuntimeError" in report
