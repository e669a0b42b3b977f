"""Command line entry point: `webchat-tui` (the app on the embedded emulator) and its subcommands.

Heavy imports (Textual, FastAPI, httpx) are deferred into the command that needs them, so `--help` and the
emulator never pay for the UI and the app's first frame never waits for the emulator.

    webchat-tui [app flags]                      the app on the embedded emulator
    webchat-tui chat [--profile P] [flags]       the app with the form prefilled (any backend)
    webchat-tui profiles save|list|delete        manage saved form values
    webchat-tui emulator [...]                   the emulator alone, in the foreground
    webchat-tui agent [--api-base URL ...]       the agent console (a person plays the agent)
    webchat-tui workshop [--lan]                 emulator + browser guests + agent console, one command
    webchat-tui serve [--host H] [--port P]      the app in web browsers (one app per tab)
    webchat-tui run SCENARIO.yaml [...]          scripted conversations (exit 0 passed, 1 failed, 2 invalid)
    webchat-tui swarm [--guests N] [...]         many simulated guests at once (load)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from webchat_tui import __version__
from webchat_tui.config import ChatSettings, ConfigError

if TYPE_CHECKING:
    from webchat_tui.config import ConfigFile

__all__ = ["main", "make_app", "THEMES"]

THEMES = {"dark": "textual-dark", "light": "textual-light"}
"""Short names for `--theme` and the config file's `theme` key (any Textual theme name works too)."""

CONTEXT = {"help_option_names": ["-h", "--help"]}


def make_app(settings: ChatSettings, **options: Any) -> Any:
    """Build the Textual app (imported here, lazily). Tests replace this function to avoid starting a UI."""
    from webchat_tui.tui.app import make_app as build

    return build(settings, **options)


def theme_names() -> list[str]:
    """Every theme the app offers: the short names plus Textual's built-in themes."""
    from textual.theme import BUILTIN_THEMES

    return sorted(set(THEMES) | set(BUILTIN_THEMES))


def _check_theme(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and value not in theme_names():
        raise click.BadParameter(f"unknown theme {value!r}; choose one of: {', '.join(theme_names())}")
    return value


def app_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Flags of the app itself (shared by the bare command and `chat`)."""
    options = [
        click.option(
            "--theme",
            callback=_check_theme,
            metavar="NAME",
            help="Colour theme: dark, light or any Textual theme (e.g. nord, gruvbox, catppuccin-latte).",
        ),
        click.option(
            "--transcripts-dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Folder for saved transcripts (default: transcripts in the user data directory).",
        ),
        click.option(
            "--log",
            "log_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Append a log to FILE (secrets are redacted).",
        ),
        click.option(
            "--debug", is_flag=True, help="Log at debug level (to --log FILE, else the default log file)."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _load(path: Path | None = None) -> ConfigFile:
    """Load the config file, warning on stderr when it exposes a token to other users."""
    from webchat_tui.config import config_path, exposure_warning, load_config

    try:
        config = load_config(path or config_path())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    warning = exposure_warning(config)
    if warning:
        click.echo(f"Warning: {warning}", err=True)
    return config


def default_log_file() -> Path:
    """Where `--debug` logs without `--log`: the platform's user log directory."""
    import platformdirs

    return Path(platformdirs.user_log_path("webchat-tui")) / "webchat-tui.log"


def setup_logging(log_file: Path | None, debug: bool) -> Path | None:
    """Send the app's and the client's log records to `log_file` through the redacting filter; returns the
    file used (None when logging is off)."""
    if log_file is None and not debug:
        return None
    import logging

    from webchat_tui.api import RedactingFilter  # deferred: only logging runs pay for the api import

    path = (log_file or default_log_file()).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write the log file {path}: {exc.strerror or exc}") from exc
    handler.addFilter(RedactingFilter())  # on the handler: it sees records from every logger, children too
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    level = logging.DEBUG if debug else logging.INFO
    root.setLevel(level)
    for name in ("webchat_tui", "httpx", "httpcore", "websockets"):
        logging.getLogger(name).setLevel(level if name == "webchat_tui" or debug else logging.WARNING)
    return path


def _run_app(
    settings: ChatSettings,
    config: ConfigFile,
    *,
    theme: str | None = None,
    transcripts_dir: Path | None = None,
    log_file: Path | None = None,
    debug: bool = False,
    start: bool = False,
) -> None:
    chosen = theme or config.theme or ""
    used_log = setup_logging(log_file, debug)
    options: dict[str, Any] = {
        "theme": THEMES.get(chosen, chosen or None),
        "keymap": config.keymap,
        "config_file": config.path,
        "autostart": start,
        "log_file": used_log,
    }
    from webchat_tui.config import exposure_warning

    warning = exposure_warning(config)
    if warning:
        options["warnings"] = (warning,)
    directory = transcripts_dir or config.transcripts_dir
    if directory is not None:
        options["transcript_dir"] = directory.expanduser()
    app = make_app(settings, **options)
    app.run()
    if used_log is not None:
        click.echo(f"Log written to {used_log}", err=True)
    code = getattr(app, "return_code", 0) or 0
    if code:
        raise SystemExit(code)


def _parse_custom_field(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> Any:
    pairs = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}")
        pairs.append((key.strip(), value))
    return tuple(pairs) or None


def form_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add one flag per join-form field (shared by `chat` and `profiles save`)."""
    options = [
        click.option("--display-name", "--name", "display_name", help="Display name the agent sees."),
        click.option("--first-name", help="Guest first name."),
        click.option("--last-name", help="Guest last name."),
        click.option("--email", help="Guest email."),
        click.option("--phone", help="Guest phone number."),
        click.option("--avatar-url", help="Guest avatar image URL."),
        click.option(
            "--custom-field",
            "--custom-attribute",
            "custom_fields",
            multiple=True,
            callback=_parse_custom_field,
            metavar="NAME=VALUE",
            help="Custom field (Web Chat v2) or custom attribute (Web Messaging) (repeatable).",
        ),
        click.option("--queue", help="Queue name to route to (default Support)."),
        click.option("--skill", "skills", multiple=True, help="Routing skill name (repeatable)."),
        click.option("--language", help="Routing language name."),
        click.option("--priority", type=int, help="Routing priority."),
        click.option(
            "--environment",
            "--env",
            "environment",
            metavar="HOST",
            help="Genesys Cloud region host, e.g. mypurecloud.ie.",
        ),
        click.option("--api-base", metavar="URL", help="API base URL, e.g. a standalone emulator."),
        click.option("--org", "--organization-id", "organization_id", help="Organization id."),
        click.option(
            "--deployment",
            "--deployment-id",
            "deployment_id",
            help="Deployment id (Web Chat v2 or Messenger).",
        ),
        click.option("--member-auth-token", help="Member auth token for authenticated deployments."),
        click.option(
            "--channel",
            type=click.Choice(["messaging", "webchat"]),
            help="Web Messaging (default) or Web Chat v2.",
        ),
        click.option("--origin", metavar="URL", help="Web Messaging: the Origin header sent to the service."),
        click.option("--auth-code", help="Web Messaging: sign-in code of an authenticated deployment."),
        click.option(
            "--new",
            "new_conversation",
            is_flag=True,
            flag_value=True,
            default=None,
            help="Web Messaging: start a new conversation instead of resuming the stored one.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _flags(values: dict[str, Any]) -> dict[str, Any]:
    """Keep only the flags actually given (click passes None or () for the rest)."""
    return {k: v for k, v in values.items() if v is not None and v != ()}


@click.group(invoke_without_command=True, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="webchat-tui")
@app_options
@click.pass_context
def main(
    ctx: click.Context, theme: str | None, transcripts_dir: Path | None, log_file: Path | None, debug: bool
) -> None:
    """A terminal guest chat for Genesys Cloud Web Chat v2, with a built-in local emulator.

    With no command, opens the app on the embedded emulator.
    """
    if ctx.invoked_subcommand is None:
        _run_app(
            ChatSettings(),
            _load(),
            theme=theme,
            transcripts_dir=transcripts_dir,
            log_file=log_file,
            debug=debug,
        )


@main.command()
@click.option("--profile", "-P", "profile", help="Load form values from this saved profile.")
@click.option("--start", is_flag=True, help="Start the chat at once when the form is valid (scripted demos).")
@app_options
@form_options
def chat(
    profile: str | None,
    start: bool,
    theme: str | None,
    transcripts_dir: Path | None,
    log_file: Path | None,
    debug: bool,
    **values: Any,
) -> None:
    """Open the app with the join form filled from a profile and flags (flags win).

    Without --environment or --api-base the chat runs on the embedded emulator.
    """
    from webchat_tui.config import resolve_settings

    config = _load()
    try:
        settings = resolve_settings(_flags(values), profile=profile, config=config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    _run_app(
        settings,
        config,
        theme=theme,
        transcripts_dir=transcripts_dir,
        log_file=log_file,
        debug=debug,
        start=start,
    )


@main.group()
def profiles() -> None:
    """Save, list and delete named sets of form values (stored in the config file)."""


@profiles.command("save")
@click.argument("name")
@click.option("--from-profile", help="Start from an existing profile's values.")
@click.option("--default", "make_default", is_flag=True, help="Also make it the default profile.")
@form_options
def profiles_save(name: str, from_profile: str | None, make_default: bool, **values: Any) -> None:
    """Save the given flags as profile NAME (replacing a profile of that name).

    Values are checked with the join form's rules; fields left out are fine (the form asks for them).
    """
    from webchat_tui.config import convert_values, save_profile, set_default_profile
    from webchat_tui.tui.form_model import profile_problems

    config = _load()
    try:
        base = ChatSettings()
        if from_profile:
            if from_profile not in config.profiles:
                raise ConfigError(config.path, f"no profile named {from_profile!r}")
            base = config.profiles[from_profile]
        settings = base.merged(convert_values(_flags(values), source="command line"))
        problems = profile_problems(settings)
        if problems:
            lines = "\n".join(f"  {field}: {problem}" for field, problem in problems.items())
            raise click.ClickException(f"not saved; the form would refuse these values:\n{lines}")
        path = save_profile(name, settings, config.path)
        if make_default:
            set_default_profile(name, path)
    except (ConfigError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Saved profile {name!r} to {path}")


@profiles.command("list")
def profiles_list() -> None:
    """List saved profiles (secrets are not shown)."""
    config = _load()
    if not config.profiles:
        click.echo(f"No profiles saved in {config.path}")
        return
    click.echo(f"Profiles in {config.path}:")
    for name, settings in sorted(config.profiles.items()):
        mark = " (default)" if name == config.default_profile else ""
        click.echo(f"  {name}{mark}: {settings.summary()}")


@profiles.command("delete")
@click.argument("name")
def profiles_delete(name: str) -> None:
    """Delete profile NAME."""
    from webchat_tui.config import delete_profile

    try:
        path = delete_profile(name)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Deleted profile {name!r} from {path}")


@main.command(context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port (0 = any free)."
)
@click.option(
    "--heartbeat",
    "heartbeat_interval",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.05),
    help="Seconds between websocket heartbeats.",
)
@click.option(
    "--time-scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.0001),
    help="Multiplier for simulated agent delays and timeouts (0.01 = 100x faster).",
)
@click.option(
    "--seed", default=None, type=int, help="Seed for generated ids (never secrets; default: random)."
)
@click.option(
    "--control-token",
    metavar="VALUE",
    default=None,
    help="X-Emulator-Token the control API requires (default: random, printed in the JSON line).",
)
@click.option(
    "--no-control-auth", is_flag=True, help="Let the control API run without a token (warns on stderr)."
)
@click.option(
    "--public-host",
    "public_hosts",
    metavar="NAME",
    multiple=True,
    help="Also answer requests whose Host is NAME (repeatable); by default only the bound address and "
    "localhost.",
)
@click.option(
    "--request-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1, max=3600),
    help="Seconds a client may take to send a whole request; slower or silent connections are closed.",
)
@click.option(
    "--max-connections",
    default=4096,
    show_default=True,
    type=click.IntRange(min=16, max=1_000_000),
    help="Open connections served at once (lowered to fit the open-files limit); more get 503.",
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"], case_sensitive=False),
    help="How much the server logs on stderr.",
)
@click.option("--access-log", is_flag=True, help="Log every request on stderr (method, path, status).")
@click.option(
    "--tls", is_flag=True, help='Serve https/wss with a self-signed certificate (its PEM: "tls_cert").'
)
@click.option(
    "--agents",
    type=click.Choice(["simulated", "human", "human-first"]),
    default="simulated",
    show_default=True,
    help="Who answers chats: simulated agents, a person at `webchat-tui agent`, or a person first.",
)
@click.option(
    "--human-first-timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.001, max=86_400),
    help="With --agents human-first: seconds a chat waits for a person before a simulated agent takes it.",
)
@click.option(
    "--no-stop-hint",
    is_flag=True,
    hidden=True,
    help="Leave how to stop out of the start line (a supervisor such as `workshop` runs this process).",
)
def emulator(
    host: str,
    port: int,
    heartbeat_interval: float,
    time_scale: float,
    seed: int | None,
    control_token: str | None,
    no_control_auth: bool,
    public_hosts: tuple[str, ...],
    request_timeout: float,
    max_connections: int,
    log_level: str,
    access_log: bool,
    tls: bool,
    agents: str,
    human_first_timeout: float,
    no_stop_hint: bool,
) -> None:
    """Run the local Genesys Cloud emulator (Web Chat v2 and Web Messaging) in the foreground (Ctrl+C stops
    it).

    Prints one JSON line (base URL, seeded ids, control token) on stdout once listening, then a line for
    humans on stderr.
    """
    from webchat_tui.emulator.server import run_standalone

    if control_token is not None:
        from webchat_tui.emulator.config import check_control_token

        try:
            check_control_token(control_token)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--control-token") from None
    run_standalone(
        host=host,
        port=port,
        heartbeat_interval=heartbeat_interval,
        time_scale=time_scale,
        seed=seed,
        control_token=control_token,
        control_auth=not no_control_auth,
        public_hosts=public_hosts,
        request_read_timeout=request_timeout,
        max_connections=max_connections,
        log_level=log_level.lower(),
        access_log=access_log,
        tls=tls,
        agents=agents,
        human_first_timeout=human_first_timeout,
        stop_hint=not no_stop_hint,
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (0 = any free)."
)
@click.option("--api-base", metavar="URL", help="Use this running emulator instead of starting one.")
@click.option("--org", "--organization-id", "organization_id", help="Organization id (with --api-base).")
@click.option("--deployment", "--deployment-id", "deployment_id", help="Deployment id (with --api-base).")
@click.option(
    "--messaging-deployment",
    "messaging_deployment_id",
    metavar="ID",
    help="Web Messaging deployment id (with --api-base and --channel messaging).",
)
@click.option(
    "--channel",
    type=click.Choice(["messaging", "webchat"]),
    default="messaging",
    show_default=True,
    help="The channel the trainees' join form starts on (they can switch).",
)
@click.option("--theme", type=click.Choice(["dark", "light"]), help="Colour theme of the app in the browser.")
@click.option(
    "--max-sessions", default=60, show_default=True, type=click.IntRange(1), help="Browser tabs at once."
)
@click.option(
    "--public-host",
    "public_hosts",
    multiple=True,
    metavar="NAME",
    help="A host name trainees may use for the page (IP addresses and localhost always work); repeatable.",
)
@click.option(
    "--no-stop-hint",
    is_flag=True,
    hidden=True,
    help="Leave how to stop out of the start line (a supervisor such as `workshop` runs this process).",
)
def serve(
    host: str,
    port: int,
    api_base: str | None,
    organization_id: str | None,
    deployment_id: str | None,
    messaging_deployment_id: str | None,
    channel: str,
    theme: str | None,
    max_sessions: int,
    public_hosts: tuple[str, ...],
    no_stop_hint: bool,
) -> None:
    """Serve the guest app to web browsers (one app per tab, all on one emulator); Ctrl+C stops."""
    from webchat_tui.web.server import run_serve

    run_serve(
        host=host,
        port=port,
        api_base=api_base,
        organization_id=organization_id,
        deployment_id=deployment_id,
        theme=THEMES.get(theme or "", theme),
        max_sessions=max_sessions,
        public_hosts=public_hosts,
        stop_hint=not no_stop_hint,
        channel=channel,
        messaging_deployment_id=messaging_deployment_id,
    )


@main.command()
@click.option(
    "--api-base", metavar="URL", help="A running emulator (else one is started here, human agents)."
)
@click.option("--control-token", metavar="TOKEN", help="The emulator's control token (with --api-base).")
@click.option(
    "--name", "agent_name", default="Workshop Agent", show_default=True, help="Name the guests see."
)
@click.option(
    "--theme", callback=_check_theme, metavar="NAME", help="Colour theme (dark, light or any Textual)."
)
def agent(api_base: str | None, control_token: str | None, agent_name: str, theme: str | None) -> None:
    """Play the agent: the waiting chats of both protocols, one tab per chat taken.

    Without --api-base an emulator in human-agent mode starts here; its address is in the status line.
    """
    from webchat_tui.tui.agent.app import make_agent_app

    if control_token is not None and api_base is None:
        raise click.BadParameter("needs --api-base", param_hint="--control-token")
    app = make_agent_app(
        api_base=api_base,
        control_token=control_token,
        agent_name=agent_name,
        theme=THEMES.get(theme or "", theme),
    )
    app.run()


@main.command()
@click.option("--lan", is_flag=True, help="Bind this machine's LAN address so trainees in the room can join.")
@click.option(
    "--host", metavar="ADDR", help="Bind ADDR instead (default: the LAN address with --lan, else 127.0.0.1)."
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port of the trainees' page.",
)
@click.option(
    "--emulator-port",
    default=0,
    type=click.IntRange(0, 65535),
    help="Port of the emulator (default: any free).",
)
@click.option(
    "--agents",
    type=click.Choice(["human", "human-first"]),
    default="human",
    show_default=True,
    help="human: only you answer; human-first: a simulated agent takes chats you leave waiting.",
)
@click.option(
    "--human-first-timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=1, max=86_400),
    help="Seconds a chat waits for you (with --agents human-first).",
)
@click.option(
    "--name", "agent_name", default="Workshop Agent", show_default=True, help="Name the guests see."
)
@click.option(
    "--theme", type=click.Choice(["dark", "light"]), help="Colour theme of the console and the page."
)
@click.option(
    "--max-sessions", default=60, show_default=True, type=click.IntRange(1), help="Browser tabs at once."
)
@click.option(
    "--no-console", is_flag=True, help="Run without the console (start one with the printed command)."
)
@click.option(
    "--channel",
    type=click.Choice(["messaging", "webchat"]),
    default="messaging",
    show_default=True,
    help="The channel the trainees' join form starts on (Web Messaging or Web Chat v2).",
)
def workshop(
    lan: bool,
    host: str | None,
    port: int,
    emulator_port: int,
    agents: str,
    human_first_timeout: float,
    agent_name: str,
    theme: str | None,
    max_sessions: int,
    no_console: bool,
    channel: str,
) -> None:
    """Run a workshop: the emulator with you as the agent, the guest app for trainees' browsers, and the
    agent console. Prints the address trainees type (and its QR code); Ctrl+Q in the console ends it all.
    """
    import json
    import signal
    import sys
    import threading

    from webchat_tui.workshop import Workshop, qr_text

    shop = Workshop(
        lan=lan,
        host=host,
        port=port,
        emulator_port=emulator_port,
        agents=agents,
        human_first_timeout=human_first_timeout,
        theme=theme,
        max_sessions=max_sessions,
        channel=channel,
    )

    stop = threading.Event()
    at_prompt = threading.Event()

    def stopped(*_: object) -> None:
        stop.set()
        if at_prompt.is_set():
            raise KeyboardInterrupt  # out of the prompt (click's "Aborted!"), to `shop.stop()` below

    # Before the start line (a script may stop us at once); SIGHUP: the trainer's terminal closed. The
    # children run in sessions of their own: without this they would outlive us, holding the room's port.
    # While the console runs, it quits on both (see `AgentApp`), and the same `finally` stops them.
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, stopped)
    try:
        shop.start()
    except (RuntimeError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    try:
        info = shop.emulator_info
        console = f"webchat-tui agent --api-base {info['base_url']} --control-token {info['control_token']}"
        if not sys.stdout.isatty():
            # For scripts only: the line holds the control token and client secrets, which a terminal (often
            # on a projector in a workshop) must not show.
            print(json.dumps({"url": shop.trainee_url, "emulator": info}), flush=True)
        err = sys.stderr
        print(f"\nTrainees open:  {shop.trainee_url}\n", file=err)
        print(qr_text(shop.trainee_url), file=err)
        print(f"\nOr, with webchat-tui installed:  {shop.terminal_command}", file=err)
        if lan and shop.bind_host.startswith("127."):
            print("Warning: no LAN address found; only this machine can join.", file=err)
        if no_console:
            print(f"Agent console:  {console}\nCtrl+C stops the workshop.", file=err, flush=True)
            try:
                while not stop.wait(1.0):
                    pass
            except KeyboardInterrupt:
                pass
            return
        if sys.stdin.isatty() and not stop.is_set():
            at_prompt.set()
            click.prompt("\nPress Enter to open the agent console", default="", show_default=False, err=True)
            at_prompt.clear()
        if stop.is_set():
            return
        from webchat_tui.tui.agent.app import make_agent_app

        app = make_agent_app(
            api_base=str(info["base_url"]),
            control_token=info.get("control_token"),
            agent_name=agent_name,
            theme=THEMES.get(theme or "", theme),
            banner=f"Trainees: {shop.trainee_url}",
        )
        app.run()
    finally:
        shop.stop()


@main.command(context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--parallel", "-j", default=1, show_default=True, type=click.IntRange(1), help="Conversations at once."
)
@click.option("--junit", type=click.Path(path_type=Path, dir_okay=False), help="Write JUnit XML here.")
@click.option(
    "--json", "json_path", type=click.Path(path_type=Path, dir_okay=False), help="Write a JSON result here."
)
@click.option(
    "--transcripts",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the transcripts (default scenario-runs/<scenario>-<time>).",
)
@click.option("--conversation", "-c", "only", multiple=True, help="Run only this conversation (repeatable).")
@click.option(
    "--api-base",
    metavar="URL",
    help="Target for conversations without their own (default: embedded emulator).",
)
@click.option("--environment", help="Genesys Cloud region for conversations without their own target.")
@click.option("--profile", "-P", help="Saved profile for conversations without their own target.")
@click.option(
    "--time-scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.001, 100),
    help="Embedded emulator's speed (0.1: ten times faster agents).",
)
def run(scenario: Path, **options: Any) -> None:
    """Run the conversations of a scenario file and check every expectation.

    The file is validated first (problems as file:line:column, exit 2). Exit 1 when an expectation fails
    (what was expected, what arrived, the transcript path), 0 when all passed.
    """
    from webchat_tui.swarm.commands import run_command

    raise SystemExit(run_command(scenario, **options))


@main.command(context_settings=CONTEXT)
@click.option(
    "--guests", "-n", default=10, show_default=True, type=click.IntRange(1), help="Simulated guests."
)
@click.option(
    "--ramp-up", default=5.0, show_default=True, type=click.FloatRange(0), help="Seconds to start them all."
)
@click.option(
    "--duration", default=30.0, show_default=True, type=click.FloatRange(0.1), help="Seconds of load."
)
@click.option(
    "--say-every", type=click.FloatRange(0.05), help="Talk loop: a random line every SECONDS (default 5)."
)
@click.option(
    "--scenario", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="Run this instead."
)
@click.option(
    "--channel", type=click.Choice(["messaging", "webchat"]), default="messaging", show_default=True
)
@click.option("--api-base", metavar="URL", help="Target base URL (default: the embedded emulator).")
@click.option("--environment", help="Genesys Cloud region, e.g. mypurecloud.ie.")
@click.option("--profile", "-P", help="Saved profile for the target.")
@click.option(
    "--deployment", "--deployment-id", "deployment", help="Deployment id (emulator: bot or direct)."
)
@click.option("--org", "--organization-id", "organization", help="Organization id (webchat).")
@click.option("--queue", help="Queue (webchat, default Support).")
@click.option(
    "--control-token",
    envvar="WEBCHAT_EMULATOR_TOKEN",
    help="A running emulator's control token (with --api-base): count lost/duplicated against its record.",
)
@click.option(
    "--json", "json_path", type=click.Path(path_type=Path, dir_okay=False), help="Write the summary here."
)
@click.option(
    "--allow-real-environment", is_flag=True, help="Allow more than 5 guests against a non-local target."
)
@click.option(
    "--time-scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.001, 100),
    help="Embedded emulator speed.",
)
@click.option("--seed", type=int, help="Seed for names, lines and timing.")
def swarm(**options: Any) -> None:
    """Many simulated guests at once, with a live view and a final summary.

    Exit 0 when nothing was lost, duplicated or failed; 1 otherwise; 2 when refused (bad options, or more
    than 5 guests against a real environment without --allow-real-environment).
    """
    from webchat_tui.swarm.commands import swarm_command

    raise SystemExit(swarm_command(**options))
