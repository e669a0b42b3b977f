"""The real app, in a pseudo-terminal, against a hostile server: the bytes it writes to the terminal hold
none of the server's terminal controls (issue 8, item 2).

The server answers the chat creation with an ErrorBody whose every field, and whose correlation-id header,
carry ESC sequences (CSI, OSC 52 clipboard write, OSC 8 hyperlink), 8-bit C1 CSI/OSC/ST, BEL and bidi
overrides. The app shows the error under the join form; the test reads everything the app wrote.
"""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from tests.api.hostile import NASTY, HostileRequest, HostileServer, hostile_error_body, json_response

# What must never reach the terminal: the sequences themselves, and the C1/bidi characters in UTF-8.
FORBIDDEN = {
    "CSI 7777m": b"\x1b[7777m",
    "OSC 52": b"\x1b]52",
    "OSC 8": b"\x1b]8;",
    "C1 CSI": "\x9b".encode(),
    "C1 OSC": "\x9d".encode(),
    "C1 ST": "\x9c".encode(),
    "RLO": "\u202e".encode(),
    "LRI": "\u2066".encode(),
    "RLM": "\u200f".encode(),
}


def _read_until(fd: int, needle: bytes, out: bytearray, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in out:
            return True
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            time.sleep(0.05)
            continue
        except OSError:  # the app exited (EIO on the pty)
            return needle in out
        if not chunk:
            return needle in out
        out += chunk
    return needle in out


def test_the_app_writes_no_remote_terminal_control(tmp_path: Path) -> None:
    def handler(request: HostileRequest) -> bytes:
        return json_response(
            400,
            hostile_error_body(),
            [(b"inin-correlation-id", NASTY.encode()), (b"x-evil", NASTY.encode())],
        )

    with HostileServer(handler) as server:
        main, secondary = pty.openpty()
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "COLUMNS": "160",
            "LINES": "50",
        }
        env.pop("TEXTUAL", None)
        command = [
            sys.executable, "-m", "webchat_tui", "chat", "--api-base", server.base_url, "--org", "org-1",
            "--deployment", "dep-1", "--queue", "Support", "--name", "Ada", "--channel", "webchat",
        ]  # fmt: skip
        process = subprocess.Popen(
            command, stdin=secondary, stdout=secondary, stderr=secondary, env=env, start_new_session=True
        )
        os.close(secondary)
        os.set_blocking(main, False)
        out = bytearray()
        try:
            assert _read_until(main, b"Ada", out, 60), "the join form never appeared"
            # Enter in the focused field starts the chat (the form waits until it is complete).
            deadline = time.monotonic() + 60
            while not server.requests and time.monotonic() < deadline:
                os.write(main, b"\r")
                _read_until(main, b"\x00never", out, 1.0)
            assert server.requests, "the app never asked the server"
            assert _read_until(main, b"withParams", out, 60), "the error was never shown"
            _read_until(main, b"\x00never", out, 1.0)  # whatever else it draws
            os.write(main, b"\x11")  # ctrl+q
            _read_until(main, b"\x00never", out, 3.0)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
            os.close(main)
    found = [name for name, raw in FORBIDDEN.items() if raw in out]
    assert found == [], f"remote terminal controls reached the terminal: {found}"
    assert b"evil.code" in out  # the server's words are shown, as literal text
