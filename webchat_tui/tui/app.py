"""`WebchatApp`: the Textual app (join form → chat screen) and `make_app`, the factory the CLI and
tests share.

| key       | action                                             |
|-----------|----------------------------------------------------|
| f1 / ?    | keys of the screen in front (? where no text field has focus) |
| f2        | ids and URLs of the backend and chat, copyable     |
| ctrl+t    | switch between light and dark (help and palette; not in the footer) |
| ctrl+p    | command palette                                    |
| ctrl+q    | quit (leaves a running chat first, bounded)        |

SIGTERM and SIGHUP (the terminal window closed) quit the same way as ctrl+q: the chat is left and the
terminal restored. Keys can be moved with a `[keymap]` table in config.toml (binding id = keys).
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.theme import Theme

from webchat_tui.config import ChatSettings
from webchat_tui.tui.backend import LocalEmulator
from webchat_tui.tui.form_model import LOCAL
from webchat_tui.tui.messages import JoinFormShown, LocalBackendFailed, LocalBackendReady
from webchat_tui.tui.screens.join import JoinScreen
from webchat_tui.tui.signals import install_quit_signals, remove_quit_signals
from webchat_tui.tui.widgets.contrast import UNOFFERED_THEMES

if TYPE_CHECKING:  # the chat modules load when a chat starts, not before the first frame
    from webchat_tui.messaging.token_store import TokenStore
    from webchat_tui.tui.chat_handle import ChatHandle

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
        Binding("f1", "help", "Help", id="app.help", tooltip="Every key of this screen"),
        Binding("question_mark", "help", "Help", show=False, id="app.help-question-mark"),
        Binding("f2", "info", "Info", show=False, id="app.info", tooltip="Ids and URLs, copyable"),
        Binding(
            "ctrl+t",
            "toggle_theme",
            "Theme",
            show=False,  # in help and the palette: the footer keeps 80 columns for the screen's own keys
            id="app.toggle-theme",
            tooltip="Switch light/dark theme",
        ),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, tooltip="Quit (leaves the chat)"),
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
        client_options: dict[str, Any] | None = None,
        token_store_path: Path | None = None,
        messaging_options: dict[str, Any] | None = None,
        leave_messaging_on_quit: bool = False,
        messaging_name_attribute: str = "",
        keymap: dict[str, str] | None = None,
        config_file: Path | None = None,
        autostart: bool = False,
        log_file: Path | None = None,
        warnings: tuple[str, ...] = (),
    ) -> None:
        """Build the app.

        Args:
            settings: initial form values.
            local: the "Local emulator" backend (default: an embedded one started after the first frame).
            backend_label: what the header says about the backend (default derived from the settings).
            theme: Textual theme name (default dark).
            clock: monotonic seconds, for elapsed times and the spinner (tests freeze it).
            format_time: how message times are shown (tests freeze it).
            transcript_dir: where saved transcripts go (default: `transcripts` in the user data directory).
            session_options: extra `ChatSession` keyword arguments.
            client_options: extra `WebChatClient` keyword arguments (e.g. `timeout`).
            token_store_path: where Web Messaging session tokens are kept (default: the user data dir).
            messaging_options: extra `MessagingSession` keyword arguments.
            leave_messaging_on_quit: quitting ends a Web Messaging conversation too (browser mode: each tab's
                token store is thrown away with its app, so the conversation could never be resumed).
            messaging_name_attribute: also send the display name as this Web Messaging custom attribute
                (browser mode: the workshop's trainer sees the trainee's name at the desk).
            keymap: binding id → keys (the config file's `[keymap]`); unknown ids are reported.
            config_file: the config file profiles and the chosen theme are saved to (None: not saved).
            autostart: start the chat at once when the form is valid (`chat --start`).
            log_file: where the log goes (shown in the info panel), if anywhere.
            warnings: things the user should know at start (e.g. a config file others can read).
        """
        super().__init__()
        for name in UNOFFERED_THEMES:  # the terminal's own palette: nobody can vouch for its contrast
            self.unregister_theme(name)
        self.settings = settings or ChatSettings()
        self.local = local or LocalEmulator()
        """The local emulator backend."""
        self.local_error: str = ""
        self.backend_label = backend_label
        self.clock = clock
        self.format_time = format_time
        if transcript_dir is None:
            from webchat_tui.tui.transcript_files import default_transcripts_dir

            transcript_dir = default_transcripts_dir()
        self.transcript_dir = transcript_dir
        """Where the chat screen saves transcripts (`tui/transcript_files.save_transcript`)."""
        self.session_options = session_options or {}
        self.client_options = client_options or {}
        self.token_store_path = token_store_path
        """Where Web Messaging session tokens persist (None: the user data dir's default file)."""
        self.messaging_options = messaging_options or {}
        self.leave_messaging_on_quit = leave_messaging_on_quit
        """Quitting ends a Web Messaging conversation too (its token is not kept)."""
        self.messaging_name_attribute = messaging_name_attribute
        """The custom attribute that also carries the display name (empty: none)."""
        self.config_file = config_file
        self.autostart = autostart
        self.log_file = log_file
        self.startup_warnings = warnings
        self.requested_keymap = dict(keymap or {})
        self._requested_theme = theme or DARK_THEME
        self.theme = self._requested_theme if self._requested_theme in self.available_themes else DARK_THEME
        self.chat_handle: ChatHandle | None = None
        self._local_starting = False
        self._background_started = False
        self._embedded_tokens: TokenStore | None = None
        self._signals: list[signal.Signals] = []

    def get_default_screen(self) -> Screen[Any]:
        """The join form is the bottom of the screen stack (no empty default screen to compose first)."""
        return JoinScreen(self.settings, autostart=self.autostart)

    def on_app_focus(self, _event: events.AppFocus) -> None:
        """Focus what the screen in front would have when the app gets the focus with nothing focused.

        In a browser tab (textual-serve) the app can be told it lost the focus before its first screen was
        composed: Textual then skips the screen's `AUTO_FOCUS`, and on focus regained it restores only what
        was focused before, which was nothing. The trainee's first keys went nowhere (2 tabs in 5 here)."""
        screen = self.screen
        if screen.focused is not None or not screen.AUTO_FOCUS:
            return
        for widget in screen.query(screen.AUTO_FOCUS):
            if widget.focusable:
                widget.focus(scroll_visible=False)
                break

    def on_mount(self) -> None:
        self.sub_title = self.backend_label or self._default_label()
        if self.requested_keymap:
            self.set_keymap(self.requested_keymap)
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self._install_signal_handlers()
        self.call_after_refresh(self._startup_notices)  # on the join screen, where the toasts are shown

    @on(JoinFormShown)
    def _start_background_work(self) -> None:
        """The join form is whole and its first frame was shown: start the embedded emulator (and the keymap
        check) now, in threads whose imports can no longer delay that frame."""
        if self._background_started:
            return
        self._background_started = True
        self._start_local_backend()
        if self.requested_keymap:
            self._check_keymap_in_thread()

    def _startup_notices(self) -> None:
        if self.theme != self._requested_theme:
            self.notify(f"Unknown theme {self._requested_theme!r}; using {self.theme}.", markup=False)
        for warning in self.startup_warnings:
            self.notify(warning, title="Warning", severity="warning", timeout=20, markup=False)

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
            # `webchat_tui.api` loads lazily, so name the modules whose imports are slow (httpx, aiohttp,
            # pydantic, websockets): paid here, in the background, not when the user presses Start.
            import webchat_tui.api.client  # noqa: F401
            import webchat_tui.api.session  # noqa: F401

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
        if not self.is_running:
            return  # shutting down: the screens' widgets may already be gone
        for screen in self.screen_stack:
            if isinstance(screen, JoinScreen):
                screen.local_backend_changed()

    def token_store_for(self, environment: str) -> TokenStore:
        """Where Web Messaging tokens for chats on `environment` are kept: the token file for real services
        and a standalone emulator; for the embedded emulator, which ends with the app, memory for this run
        only (a stored token could never be resumed, and its new ids every run would pile up in the file)."""
        from webchat_tui.messaging.token_store import TokenStore, default_token_path

        if environment == LOCAL and self.local.embedded:
            if self._embedded_tokens is None:
                self._embedded_tokens = TokenStore(None)
            return self._embedded_tokens
        return TokenStore(self.token_store_path or default_token_path())

    def replace_join_form(self, form: JoinScreen) -> None:
        """Show `form` in place of the join form in front. The first form is the app's default screen, which
        cannot be switched away, so a replacement goes on top of it; later ones replace each other."""
        if len(self.screen_stack) > 1:
            self.switch_screen(form)
        else:
            self.push_screen(form)

    # ------------------------------------------------------------------ chat lifecycle

    def open_chat_screen(self, handle: ChatHandle) -> None:
        """Show the chat screen for a chat that has just started."""
        from webchat_tui.tui.screens.chat import ChatScreen

        self.chat_handle = handle
        logging.getLogger("webchat_tui.tui").info(
            "chat started on %s: conversation %s", handle.description, handle.conversation_id
        )
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
        self._remove_signal_handlers()
        handle, self.chat_handle = self.chat_handle, None
        if handle is not None:
            try:
                await handle.close(leave=True)  # quitting mid-chat leaves it: the agent sees the guest go
            except Exception:  # shutting down; nothing useful to report
                pass
        self.local.stop()

    # ------------------------------------------------------------------ signals

    def _install_signal_handlers(self) -> None:
        """SIGTERM and SIGHUP quit like ctrl+q (leave the chat, bounded; restore the terminal).

        Not under a headless test run, which shares the test runner's process and its signal handlers."""
        if self.is_headless:
            return
        self._signals = install_quit_signals(self._signalled)

    def _remove_signal_handlers(self) -> None:
        remove_quit_signals(self._signals)
        self._signals = []

    def _signalled(self, number: signal.Signals) -> None:
        logging.getLogger("webchat_tui").warning("%s received: leaving the chat and quitting", number.name)
        self.exit(return_code=128 + int(number))

    # ------------------------------------------------------------------ crash report

    def _fatal_error(self) -> None:
        """Textual's crash report, without local variables: they can hold transcript text and tokens."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()

    # ------------------------------------------------------------------ keymap, help and info

    @work(thread=True, group="keymap-check", exit_on_error=False)
    def _check_keymap_in_thread(self) -> None:
        """Import every screen (the chat screen's module pulls in the api layer: off the UI thread), then
        check the keymap on the UI thread."""
        import webchat_tui.tui.screens.chat  # noqa: F401 - its binding ids count as known

        self.call_from_thread(self.check_keymap)

    def check_keymap(self) -> None:
        """Report `[keymap]` entries whose binding id no screen or widget of the app has."""
        from webchat_tui.tui.keymap import known_binding_ids

        known = known_binding_ids()
        unknown = sorted(set(self.requested_keymap) - known)
        if unknown:
            self.notify(
                f"[keymap] in the config file: unknown binding id(s) {', '.join(unknown)}; "
                f"known ids: {', '.join(sorted(known))}",
                title="Keymap",
                severity="warning",
                timeout=20,
                markup=False,
            )

    def action_help(self) -> None:
        """Show every key of the screen in front (F1; ? where no text field has focus)."""
        from webchat_tui.tui.screens.help import HelpScreen, help_rows

        screen = self.screen
        if isinstance(screen, HelpScreen):
            screen.dismiss(None)
            return
        title = type(screen).__name__.removesuffix("Screen") or "screen"
        self.push_screen(HelpScreen(help_rows(screen), title))

    def info_rows(self) -> list[tuple[str, str]]:
        """What the info panel shows: backend URL and seeded ids, the chat's ids, where files go."""
        local = self.local
        rows: list[tuple[str, str]] = []
        handle = self.chat_handle
        if handle is not None:
            session = handle.session
            me = session.me
            rows += [("Chat runs on", handle.description)]
            if handle.channel == "messaging":
                rows += [("Channel", "Web Messaging"), ("Deployment id", handle.settings.deployment_id)]
            else:
                rows += [
                    ("Conversation id", handle.conversation_id or ""),
                    ("Member id", me.id if me is not None else ""),
                    ("Queue", handle.settings.queue),
                ]
        if local.ready:
            label = "Embedded emulator" if local.embedded else "Local emulator"
            rows += [
                (label, local.base_url or ""),
                ("Organization id", local.organization_id),
                ("Deployment id", local.deployment_id),
                ("Web Messaging deployment id", local.messaging_deployment_id),
                ("Queues", ", ".join(local.queues)),
                ("Control token", local.control_token or ""),
            ]
        elif local.embedded:
            rows.append(("Embedded emulator", self.local_error or "starting…"))
        rows += [
            ("Transcripts", str(self.transcript_dir)),
            ("Config file", str(self.config_file) if self.config_file else ""),
            ("Log file", str(self.log_file) if self.log_file else ""),
        ]
        return rows

    def action_info(self) -> None:
        """Show the info panel (ids and URLs, each copyable)."""
        from webchat_tui.tui.screens.info import InfoScreen

        if isinstance(self.screen, InfoScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(InfoScreen(self.info_rows()))

    # ------------------------------------------------------------------ theme and palette

    def action_toggle_theme(self) -> None:
        """Switch between the light and dark themes."""
        self.theme = LIGHT_THEME if self.current_theme.dark else DARK_THEME

    def _remember_theme(self, theme: Theme) -> None:
        """Write a theme the user chose to the config file, so the next start uses it."""
        if self.config_file is None:
            return
        from webchat_tui.config import ConfigError, set_theme

        try:
            set_theme(theme.name, self.config_file)
        except ConfigError as exc:
            self.notify(f"The theme was not remembered: {exc}", severity="warning", markup=False)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title == "Keys":
                continue  # Textual's key panel lists ~40 text-editing keys; our help screen replaces it
            yield command
        yield SystemCommand("Help: keys", "Every key of this screen (F1)", self.action_help)
        yield SystemCommand(
            "Show ids and URLs",
            "Backend URL, seeded ids, conversation and member id; copyable (F2)",
            self.action_info,
        )
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
    queues: tuple[str, ...] = (),
    control_token: str | None = None,
    messaging_deployment_id: str = "",
    **options: Any,
) -> WebchatApp:
    """Build the app. With `base_url` the "Local emulator" is that already running emulator (tests, scripts);
    without it the app starts an embedded emulator in the background.

    Extra keyword arguments go to `WebchatApp` (theme, clock, format_time, transcript_dir, backend_label...).
    `queues` and `control_token` are those of the emulator at `base_url` (the embedded one reports its own).
    """
    local = LocalEmulator(
        base_url=base_url,
        organization_id=organization_id,
        deployment_id=deployment_id,
        queues=queues,
        control_token=control_token,
        messaging_deployment_id=messaging_deployment_id,
        time_scale=emulator_time_scale,
        seed=emulator_seed,
    )
    return WebchatApp(settings, local=local, **options)
