"""Child process of the startup benchmark: `python -m benchmarks._startup_child (trivial|app)`.

Installs a frame hook on `textual.app.App` (so it needs Textual importable, which both variants import
anyway), then starts the variant exactly as a user would: the trivial app with `App.run()`, the real app
through the real CLI entry point (`webchat_tui.cli:main` with no arguments = the app on the embedded
emulator), with Textual's headless driver selected by `TEXTUAL_DRIVER` (set by the parent). At the first frame
in which the variant is interactive (an `Input` has focus; for the app also: the join form's screen is
active), it writes `READY` straight to fd 1 (Textual redirects `sys.stdout` while running) and exits the app.
"""

from __future__ import annotations

import os
import sys
from typing import Any

READY = b"READY\n"


def _install_probe(is_ready: Any) -> None:
    from textual._compositor import CompositorUpdate
    from textual.app import App

    original = App._display
    state = {"done": False}

    def _display(self: Any, screen: Any, renderable: Any) -> None:
        original(self, screen, renderable)
        if state["done"] or renderable is None or self._batch_count:
            return
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(self.console)  # what a real terminal frame costs, minus the write
        if is_ready(self):
            state["done"] = True
            os.write(1, READY)
            self.exit()

    App._display = _display  # type: ignore[method-assign]


def _input_focused(app: Any) -> bool:
    from textual.widgets import Input

    return isinstance(app.focused, Input)


def _join_form_ready(app: Any) -> bool:
    return "join" in type(app.screen).__name__.lower() and _input_focused(app)


def run_trivial() -> None:
    """A trivial Textual app: one label and one focused Input."""
    _install_probe(_input_focused)
    from textual.app import App, ComposeResult
    from textual.widgets import Input, Label

    class Trivial(App[None]):
        def compose(self) -> ComposeResult:
            yield Label("Trivial app")
            yield Input(placeholder="type here")

    Trivial().run()


def run_app() -> None:
    """The real entry point, no arguments: the app on the embedded emulator, join form first."""
    _install_probe(_join_form_ready)
    from webchat_tui.cli import main

    sys.argv = ["webchat-tui"]
    try:
        main(standalone_mode=False)
    finally:
        os._exit(0)  # don't wait for the embedded emulator's daemon thread to wind down (not part of startup)


def run_app_injected() -> None:
    """Informational: the same app and join form, but with an already running emulator injected (as tests do),
    so no embedded emulator is imported or started in the background while the form appears."""
    _install_probe(_join_form_ready)
    from webchat_tui.config import ChatSettings
    from webchat_tui.tui.app import make_app

    app = make_app(ChatSettings(), base_url="http://127.0.0.1:9", organization_id="org", deployment_id="dep")
    try:
        app.run()
    finally:
        os._exit(0)


if __name__ == "__main__":
    {"trivial": run_trivial, "app": run_app, "app_injected": run_app_injected}[sys.argv[1]]()
