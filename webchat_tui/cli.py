"""Command line entry point: `webchat-tui` (the app on the embedded emulator) and its subcommands.

Heavy imports (Textual, FastAPI, httpx) are deferred into the command that needs them, so `--help` and the
emulator never pay for the UI and the app's first frame never waits for the emulator.

    webchat-tui                                  the app on the embedded emulator
    webchat-tui chat [--profile P] [flags]       the app with the form prefilled (any backend)
    webchat-tui profiles save|list|delete        manage saved form values
    webchat-tui emulator [...]                   the emulator alone, in the foreground
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from webchat_tui import __version__
from webchat_tui.config import ChatSettings, ConfigError

__all__ = ["main", "make_app", "THEMES"]

THEMES = {"dark": "textual-dark", "light": "textual-light"}
"""Short names for `--theme` and the config file's `theme` key (any Textual theme name works too)."""


def make_app(settings: ChatSettings, **options: Any) -> Any:
    """Build the Textual app (imported here, lazily). Tests replace this function to avoid starting a UI."""
    from webchat_tui.tui.app import make_app as build

    return build(settings, **options)


def _run_app(settings: ChatSettings, theme: str | None = None) -> None:
    app = make_app(settings, theme=theme)
    app.run()
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
            "custom_fields",
            multiple=True,
            callback=_parse_custom_field,
            metavar="NAME=VALUE",
            help="Custom field (repeatable).",
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
        click.option("--deployment", "--deployment-id", "deployment_id", help="Web chat deployment id."),
        click.option("--member-auth-token", help="Member auth token for authenticated deployments."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _flags(values: dict[str, Any]) -> dict[str, Any]:
    """Keep only the flags actually given (click passes None or () for the rest)."""
    return {k: v for k, v in values.items() if v is not None and v != ()}


@click.group(invoke_without_command=True)
@click.version_option(__version__, prog_name="webchat-tui")
@click.pass_context
def main(ctx: click.Context) -> None:
    """A terminal guest chat for Genesys Cloud Web Chat v2, with a built-in local emulator.

    With no command, opens the app on the embedded emulator.
    """
    if ctx.invoked_subcommand is None:
        from webchat_tui.config import config_path, load_config

        try:
            chosen = load_config(config_path()).theme or ""
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
        _run_app(ChatSettings(), theme=THEMES.get(chosen, chosen or None))


@main.command()
@click.option("--profile", "-P", "profile", help="Load form values from this saved profile.")
@click.option("--theme", type=click.Choice(["dark", "light"]), help="Colour theme.")
@form_options
def chat(profile: str | None, theme: str | None, **values: Any) -> None:
    """Open the app with the join form filled from a profile and flags (flags win).

    Without --environment or --api-base the chat runs on the embedded emulator.
    """
    from webchat_tui.config import config_path, load_config, resolve_settings

    try:
        config = load_config(config_path())
        settings = resolve_settings(_flags(values), profile=profile, config=config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    chosen = theme or config.theme or ""
    _run_app(settings, theme=THEMES.get(chosen, chosen or None))


@main.group()
def profiles() -> None:
    """Save, list and delete named sets of form values (stored in the config file)."""


@profiles.command("save")
@click.argument("name")
@click.option("--from-profile", help="Start from an existing profile's values.")
@click.option("--default", "make_default", is_flag=True, help="Also make it the default profile.")
@form_options
def profiles_save(name: str, from_profile: str | None, make_default: bool, **values: Any) -> None:
    """Save the given flags as profile NAME (replacing a profile of that name)."""
    from webchat_tui.config import config_path, convert_values, load_config, save_profile, set_default_profile

    try:
        config = load_config(config_path())
        base = ChatSettings()
        if from_profile:
            if from_profile not in config.profiles:
                raise ConfigError(config.path, f"no profile named {from_profile!r}")
            base = config.profiles[from_profile]
        settings = base.merged(convert_values(_flags(values), source="command line"))
        path = save_profile(name, settings, config.path)
        if make_default:
            set_default_profile(name, path)
    except (ConfigError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Saved profile {name!r} to {path}")


@profiles.command("list")
def profiles_list() -> None:
    """List saved profiles (secrets are not shown)."""
    from webchat_tui.config import config_path, load_config

    try:
        config = load_config(config_path())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if not config.profiles:
        click.echo(f"No profiles saved in {config.path}")
        return
    click.echo(f"Profiles in {config.path}:")
    for name, settings in sorted(config.profiles.items()):
        target = settings.api_base or settings.environment or "local emulator"
        who = settings.display_name or "-"
        mark = " (default)" if name == config.default_profile else ""
        click.echo(f"  {name}{mark}: {who} → {settings.queue or '-'} on {target}")


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


@main.command()
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
) -> None:
    """Run the local Genesys Cloud Web Chat v2 emulator in the foreground (Ctrl+C stops it)."""
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
    )
