"""Command line entry point: `webchat-tui` (the app on the embedded emulator) and its subcommands.

Heavy imports (Textual, FastAPI, httpx) are deferred into the command that needs them, so `--help` and the
emulator never pay for the UI and the app's first frame never waits for the emulator.
"""

from __future__ import annotations

import click

from webchat_tui import __version__


@click.group(invoke_without_command=True)
@click.version_option(__version__, prog_name="webchat-tui")
@click.pass_context
def main(ctx: click.Context) -> None:
    """A terminal guest chat for Genesys Cloud Web Chat v2, with a built-in local emulator.

    With no command, opens the app on the embedded emulator.
    """
    if ctx.invoked_subcommand is None:
        raise click.UsageError("the app is not wired up yet")  # replaced by the TUI's default command


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port (0 = any free).")
@click.option("--heartbeat", "heartbeat_interval", default=30.0, show_default=True, type=click.FloatRange(min=0.05),
              help="Seconds between websocket heartbeats.")
@click.option("--time-scale", default=1.0, show_default=True, type=click.FloatRange(min=0.0001),
              help="Multiplier for simulated agent delays and timeouts (0.01 = 100x faster).")
@click.option("--seed", default=None, type=int, help="Seed for generated ids (default: random).")
def emulator(host: str, port: int, heartbeat_interval: float, time_scale: float, seed: int | None) -> None:
    """Run the local Genesys Cloud Web Chat v2 emulator in the foreground (Ctrl+C stops it)."""
    from webchat_tui.emulator.server import run_standalone

    run_standalone(host=host, port=port, heartbeat_interval=heartbeat_interval, time_scale=time_scale, seed=seed)
