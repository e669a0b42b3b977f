"""`AgentApp`: the agent console. A person plays the agent on the emulator: the waiting conversations of
Web Chat v2 and Web Messaging, one tab per conversation taken (see `screens/desk.py`, `widgets/chat_pane.py`).

| key     | action                               |
|---------|--------------------------------------|
| f1      | keys of the screen in front          |
| ctrl+p  | command palette (the console's actions, themes) |
| ctrl+q  | quit                                 |

`make_agent_app` builds it on an embedded emulator in human-agent mode, or on a running emulator
(`api_base` + `control_token`).
"""

from __future__ import annotations

import signal
from collections.abc import Iterable
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.tui.agent.backend import DeskBackend
from webchat_tui.tui.agent.screens.desk import DeskScreen
from webchat_tui.tui.screens.help import HelpScreen, help_rows
from webchat_tui.tui.signals import install_quit_signals, remove_quit_signals

__all__ = ["AgentApp", "make_agent_app"]


class AgentApp(App[None]):
    """The agent console on one emulator."""

    TITLE = "webchat-tui agent"
    CSS_PATH = "agent.tcss"
    BINDINGS = [
        Binding("f1", "help", "Help", id="agent.help", tooltip="Every key of this screen"),
        Binding("ctrl+q", "quit", "Quit", id="agent.quit", priority=True, tooltip="Quit the console"),
    ]

    def __init__(
        self, backend: DeskBackend, *, theme: str | None = None, banner: str = "", on_exit: Any = None
    ) -> None:
        """`banner`: a line for the status bar (where guests join); `on_exit` runs when the app ends."""
        super().__init__()
        self.backend = backend
        self.banner = banner
        self._on_exit = on_exit
        self._signals: list[signal.Signals] = []
        if theme:
            self.theme = theme

    @property
    def desk(self) -> DeskScreen:
        """The desk screen (always at the bottom of the stack)."""
        screen = self.screen_stack[1] if len(self.screen_stack) > 1 else self.screen
        assert isinstance(screen, DeskScreen)
        return screen

    def on_mount(self) -> None:
        self.push_screen(DeskScreen(self.backend, banner=self.banner))
        self.follow_feed()
        if not self.is_headless:  # a headless test shares the runner's process and its signals
            # the trainer's terminal closed (or a SIGTERM): quit as ctrl+q does, so whoever started this
            # console (the workshop) stops what it runs after it
            self._signals = install_quit_signals(lambda number: self.exit(return_code=128 + int(number)))

    @work(group="feed", exclusive=True)
    async def follow_feed(self) -> None:
        """Apply the live feed to the desk for as long as the app runs."""
        async for event in self.backend.feed():
            self.desk.apply(event)

    def action_help(self) -> None:
        """Show every key of the screen in front."""
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(help_rows(self.screen), "Agent console"))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's commands (its key panel replaced by our help), then the console's own (the desk's)."""
        for command in super().get_system_commands(screen):
            if command.title == "Keys":
                continue  # Textual's key panel lists text-editing keys; the help screen replaces it
            yield command
        yield SystemCommand("Help: keys", "Every key of this screen (f1)", self.action_help)
        commands = getattr(screen, "palette_commands", None)
        if callable(commands):
            yield from commands()

    async def on_unmount(self) -> None:
        remove_quit_signals(self._signals)
        self.backend.client.close()
        if self._on_exit is not None:
            self._on_exit()


def make_agent_app(
    *,
    api_base: str | None = None,
    control_token: str | None = None,
    agent_name: str = "Workshop Agent",
    theme: str | None = None,
    banner: str = "",
    emulator_options: dict[str, Any] | None = None,
) -> AgentApp:
    """The console on `api_base` (a running emulator, its control token), or on an embedded emulator in
    human-agent mode (stopped when the app exits)."""
    if api_base:
        client = ControlClient(api_base, control_token)
        return AgentApp(DeskBackend(client, agent_name), theme=theme, banner=banner)
    from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig

    emulator = EmbeddedEmulator(EmulatorConfig(**{"agents": "human", **(emulator_options or {})}))
    emulator.start()
    emulator.wait_ready()
    client = ControlClient.for_emulator(emulator)
    banner = banner or f"Guests: webchat-tui chat --api-base {emulator.base_url}"
    return AgentApp(DeskBackend(client, agent_name), theme=theme, banner=banner, on_exit=emulator.stop)
