"""`WebchatApp`: the Textual app (join form → chat screen) and `make_app`, the factory the CLI and
tests share.

| key     | action                          |
|---------|---------------------------------|
| ctrl+t  | switch between light and dark   |
| ctrl+p  | command palette                 |
| ctrl+q  | quit                            |
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from webchat_tui.config import ChatSettings
from webchat_tui.tui.backend import LocalEmulator
from webchat_tui.tui.chat_handle import ChatHandle
from webchat_tui.tui.messages import LocalBackendFailed, LocalBackendReady
from webchat_tui.tui.screens.join import JoinScreen

__all__ = ["WebchatApp", "make_app", "DARK_THEME", "LIGHT_THEME"]

DARK_THEME = "textual-dark"
LIGHT_THEME = "textual-light"


def local_time(moment: datetime) -> str:
    """Default message time format: local HH:MM."""
    return moment.astimezone().strftime("%H:%M")


class WebchatApp(App[None]):
    """The guest chat client. Holds the backend and the settings; the screens do the work."""

    TITLE = "webchat-tui"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("ctrl+t", "toggle_theme", "Theme", id="app.toggle-theme", tooltip="Switch light/dark theme"),
    ]

    def __init__(
        self,
        settings: ChatSettings | None = None,
        *,
        local: LocalEmulator | None = None,
        backend_label: str | None = None,
        theme: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        format_time: Callable[[datetime], str] = local_time,
        transcript_dir: Path | None = None,
        session_options: dict[str, Any] | None = None,
    ) -> None:
        """Build the app.

        Args:
            settings: initial form values.
            local: the "Local emulator" backend (default: an embedded one started after the first frame).
            backend_label: what the header says about the backend (default derived from the settings).
            theme: Textual theme name (default dark).
            clock: monotonic seconds, for elapsed times and the spinner (tests freeze it).
            format_time: how message times are shown (tests freeze it).
            transcript_dir: where saved transcripts go (default: the current directory).
            session_options: extra `ChatSession` keyword arguments.
        """
        super().__init__()
        self.settings = settings or ChatSettings()
        self.local = local or LocalEmulator()
        """The local emulator backend."""
        self.local_error: str = ""
        self.backend_label = backend_label
        self.clock = clock
        self.format_time = format_time
        self.transcript_dir = transcript_dir or Path.cwd()
        self.session_options = session_options or {}
        self._requested_theme = theme or DARK_THEME
        self.theme = self._requested_theme if self._requested_theme in self.available_themes else DARK_THEME
        self.chat_handle: ChatHandle | None = None
        self._local_starting = False

    def on_mount(self) -> None:
        self.sub_title = self.backend_label or self._default_label()
        if self.theme != self._requested_theme:
            self.notify(f"Unknown theme {self._requested_theme!r}; using {self.theme}.", markup=False)
        self.push_screen(JoinScreen(self.settings))
        # Start the embedded emulator only after the first frame is shown: the first refresh happens in the
        # app's start-up batch and is not shown, so wait for the next one (its imports compete for the GIL).
        self.call_after_refresh(self.call_after_refresh, self._start_local_backend)

    def _default_label(self) -> str:
        if self.settings.api_base:
            return f"API {self.settings.api_base}"
        if self.settings.environment:
            return f"Genesys Cloud {self.settings.environment}"
        return "local emulator (embedded)" if self.local.embedded else "local emulator"

    def _start_local_backend(self) -> None:
        if self.local.ready:
            self.post_message(
                LocalBackendReady(
                    self.local.base_url or "", self.local.organization_id, self.local.deployment_id
                )
            )
            return
        if self._local_starting:
            return  # the user already picked "Local emulator" and it is starting
        remote = bool(self.settings.api_base or self.settings.environment)
        self._local_starting = not remote
        self._run_local_backend(start_emulator=not remote)

    def ensure_local_backend(self) -> None:
        """Start the embedded emulator now if it is not running (the user picked "Local emulator")."""
        if self.local.embedded and not self.local.ready and not self._local_starting:
            self._local_starting = True
            self.local_error = ""
            self._run_local_backend(start_emulator=True)

    @work(thread=True, group="local-emulator", exit_on_error=False)
    def _run_local_backend(self, start_emulator: bool) -> None:
        """Off the UI thread: import the api layer and, if asked, start the embedded emulator."""
        try:
            import webchat_tui.api  # noqa: F401

            if not start_emulator:
                return
            self.local.start_blocking()
        except Exception as exc:  # the form says so; remote targets still work
            self.post_message(LocalBackendFailed(f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(
            LocalBackendReady(self.local.base_url or "", self.local.organization_id, self.local.deployment_id)
        )

    @on(LocalBackendReady)
    def _local_ready(self) -> None:
        self._local_starting = False
        self._tell_join_screens()

    @on(LocalBackendFailed)
    def _local_failed(self, message: LocalBackendFailed) -> None:
        self._local_starting = False
        self.local_error = message.reason
        self._tell_join_screens()

    def _tell_join_screens(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, JoinScreen):
                screen.local_backend_changed()

    # ------------------------------------------------------------------ chat lifecycle

    def open_chat_screen(self, handle: ChatHandle) -> None:
        """Show the chat screen for a chat that has just started."""
        from webchat_tui.tui.screens.chat import ChatScreen

        self.chat_handle = handle
        self.push_screen(ChatScreen(handle))

    @work(group="return-to-form", exclusive=True, exit_on_error=False)
    async def return_to_form(self) -> None:
        """Close the current chat (without leaving it) and go back to the join form, values kept.

        An app-level worker, so removing the chat screen does not cancel it half way.
        """
        handle, self.chat_handle = self.chat_handle, None
        if handle is not None:
            try:
                await handle.close()
            except Exception as exc:  # the chat is over for us either way
                self.log.warning(f"closing the chat failed: {exc!r}")
        while len(self.screen_stack) > 1 and not isinstance(self.screen, JoinScreen):
            await self.pop_screen()

    async def on_unmount(self) -> None:
        handle, self.chat_handle = self.chat_handle, None
        if handle is not None:
            try:
                await handle.close(leave=True)  # quitting mid-chat leaves it: the agent sees the guest go
            except Exception:  # shutting down; nothing useful to report
                pass
        self.local.stop()

    # ------------------------------------------------------------------ theme and palette

    def action_toggle_theme(self) -> None:
        """Switch between the light and dark themes."""
        self.theme = LIGHT_THEME if self.current_theme.dark else DARK_THEME

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Toggle light/dark", "Switch between the light and dark themes", self.action_toggle_theme
        )
        commands = getattr(screen, "palette_commands", None)
        if callable(commands):
            yield from commands()


def make_app(
    settings: ChatSettings | None = None,
    *,
    base_url: str | None = None,
    organization_id: str = "",
    deployment_id: str = "",
    emulator_time_scale: float = 1.0,
    emulator_seed: int | None = None,
    **options: Any,
) -> WebchatApp:
    """Build the app. With `base_url` the "Local emulator" is that already running emulator (tests, scripts);
    without it the app starts an embedded emulator in the background.

    Extra keyword arguments go to `WebchatApp` (theme, clock, format_time, transcript_dir, backend_label...).
    """
    local = LocalEmulator(
        base_url=base_url,
        organization_id=organization_id,
        deployment_id=deployment_id,
        time_scale=emulator_time_scale,
        seed=emulator_seed,
    )
    return WebchatApp(settings, local=local, **options)
