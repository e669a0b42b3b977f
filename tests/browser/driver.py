"""Drive `webchat-tui serve` with a real headless Chromium: shared by the browser test and `make screenshots`.

The browser is Debian's `chromium` package, driven by the Playwright Python package through
`executable_path` (Playwright never downloads a browser here). `serve` runs as a real process on an
ephemeral port; its first stdout line (JSON) gives the page URL and its emulator.

The page draws the terminal on a canvas, so there is no text in the DOM to wait for. `TAP_SCRIPT` copies
what the app sends to the page (the bytes on the page's websocket) into `window.__appOutput`, and
`output_text` strips the escape sequences: enough to wait for a word to be drawn.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webchat_tui.emulator.control_client import ControlClient

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

TAP_SCRIPT = """
(() => {
  window.__appOutput = "";
  const decoder = new TextDecoder();
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (event.data instanceof ArrayBuffer) {
          window.__appOutput += decoder.decode(new Uint8Array(event.data), { stream: true });
        }
      });
    }
  };
})();
"""

_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")


CHROMIUM_ENV = "WEBCHAT_TUI_CHROMIUM"
"""Set to another Chromium/Chrome executable to use it instead of Debian's."""


def chromium_path() -> str | None:
    """The browser to drive: `$WEBCHAT_TUI_CHROMIUM`, else Debian's Chromium (`apt-get install chromium`)."""
    chosen = os.environ.get(CHROMIUM_ENV)
    if chosen:
        return chosen if os.path.isfile(chosen) else None
    return shutil.which("chromium") or ("/usr/bin/chromium" if os.path.isfile("/usr/bin/chromium") else None)


def why_no_browser() -> str | None:
    """None when the browser test can run, else the reason it cannot (for `pytest.skip`)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if chromium_path() is None:
        if os.environ.get(CHROMIUM_ENV):
            return f"{CHROMIUM_ENV}={os.environ[CHROMIUM_ENV]} is not a file"
        return "Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it as root)"
    return None


@dataclass
class Serve:
    """A running `webchat-tui serve` process and what it announced."""

    process: subprocess.Popen[str]
    url: str
    emulator: dict[str, Any]
    log: list[str]
    """Its stderr lines so far (for failure messages)."""


@contextmanager
def serve_process(*extra: str, timeout: float = 60.0) -> Iterator[Serve]:
    """Start `webchat-tui serve --port 0` (a real process) and stop it with SIGINT when done."""
    process = subprocess.Popen(
        [sys.executable, "-m", "webchat_tui", "serve", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    log: list[str] = []
    assert process.stderr is not None and process.stdout is not None
    stderr = process.stderr
    threading.Thread(target=lambda: log.extend(iter(stderr.readline, "")), daemon=True).start()
    try:
        line = _read_line(process, timeout)
        if not line:
            raise RuntimeError(f"serve printed nothing; stderr: {''.join(log)}")
        announced = json.loads(line)
        yield Serve(process, announced["url"], announced["emulator"], log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    result: list[str] = []
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else ""


@contextmanager
def chromium_page(width: int = 1200, height: int = 720) -> Iterator[Any]:
    """A fresh page in headless Debian Chromium, with the output tap installed and downloads accepted."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    assert path is not None, why_no_browser()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
            context.add_init_script(TAP_SCRIPT)
            page = context.new_page()
            yield page
            context.close()
        finally:
            browser.close()


def output_text(page: Any) -> str:
    """Everything the app has drawn so far, escape sequences removed."""
    return _ESCAPES.sub("", str(page.evaluate("window.__appOutput || ''")))


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 60.0, interval: float = 0.1) -> Any:
    """Poll `predicate` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def wait_for_output(page: Any, text: str, timeout: float = 60.0) -> None:
    """Wait until the app has drawn `text` (in one piece)."""
    wait_for(lambda: text in output_text(page), f"{text!r} on the page", timeout)


def terminal_has_keyboard(page: Any) -> bool:
    """Whether keys typed now reach the app (xterm.js's input has the focus)."""
    script = "!!document.activeElement && document.activeElement.classList.contains('xterm-helper-textarea')"
    return bool(page.evaluate(script))


def open_app(page: Any, url: str) -> None:
    """Open the page and wait for the app's join form to be drawn, with the keyboard on the terminal. Nothing
    is clicked or focused here: the page gives the terminal the keyboard itself, as a trainee who just types
    needs."""
    page.goto(url)
    wait_for_output(page, "Display name")
    wait_for_output(page, "Start chat")  # the rest of the form follows the first frame: all of it is in
    wait_for(lambda: terminal_has_keyboard(page), "the terminal to have the keyboard", timeout=30)


def control_for(serve: Serve) -> ControlClient:
    """The control-API client of the emulator `serve` started (its start line has the URL and the token)."""
    return ControlClient.from_info(serve.emulator)


def guest_conversation(control: ControlClient, display_name: str) -> dict[str, Any] | None:
    """The emulator's conversation whose customer is `display_name` (None until it exists)."""
    for conversation in control.conversations():
        for member in conversation["members"]:
            if member["role"] == "CUSTOMER" and member.get("displayName") == display_name:
                return dict(conversation)
    return None
