"""The bodies of `webchat-tui run` and `webchat-tui swarm` (cli.py only declares their options)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from webchat_tui.swarm.scenario import Conversation
    from webchat_tui.swarm.target import Endpoint

__all__ = ["run_command", "EXIT_OK", "EXIT_FAILED", "EXIT_INVALID"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_command(
    scenario_path: Path,
    *,
    parallel: int = 1,
    junit: Path | None = None,
    json_path: Path | None = None,
    transcripts: Path | None = None,
    time_scale: float = 1.0,
    api_base: str | None = None,
    environment: str | None = None,
    profile: str | None = None,
    only: tuple[str, ...] = (),
) -> int:
    """Validate then run a scenario file; the process exit code (0 passed, 1 failed, 2 invalid)."""
    from webchat_tui import event_loop
    from webchat_tui.swarm.report import Progress, failure_text, write_json, write_junit
    from webchat_tui.swarm.runner import RunOptions, run_scenario
    from webchat_tui.swarm.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(scenario_path)
    except ScenarioError as exc:
        _err(str(exc))
        _err(f"{scenario_path}: not run ({len(exc.problems)} problem{'s' * (len(exc.problems) != 1)})")
        return EXIT_INVALID
    if only:
        unknown = [n for n in only if n not in {c.name for c in scenario.conversations}]
        if unknown:
            _err(f"{scenario_path}: no conversation named {', '.join(map(repr, unknown))}")
            return EXIT_INVALID
        scenario = type(scenario)(
            scenario.path, tuple(c for c in scenario.conversations if c.name in only), scenario.base_dir
        )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out_dir = transcripts or Path("scenario-runs") / f"{scenario_path.stem}-{stamp}"
    options = RunOptions(
        out_dir=out_dir,
        parallel=parallel,
        time_scale=time_scale,
        base_url=api_base,
        environment=environment,
        profile=profile,
    )
    progress = Progress([c.name for c in scenario.conversations])
    try:
        results = event_loop.run(run_scenario(scenario, options, progress))
    except ValueError as exc:  # a target that cannot be resolved (missing ids, unknown profile)
        _err(f"{scenario_path}: {exc}")
        return EXIT_INVALID
    except Exception as exc:
        from webchat_tui.config import ConfigError

        if isinstance(exc, ConfigError):
            _err(str(exc))
            return EXIT_INVALID
        raise
    if junit is not None:
        write_junit(junit, scenario_path.stem, results)
    if json_path is not None:
        write_json(json_path, str(scenario_path), results)
    failed = [r for r in results if not r.passed]
    for r in failed:
        _err(failure_text(r))
    passed = len(results) - len(failed)
    _err(f"{passed} passed, {len(failed)} failed; transcripts in {out_dir}")
    return EXIT_FAILED if failed else EXIT_OK


def parse_pairs(values: tuple[str, ...]) -> dict[str, Any]:
    """``key=value`` options into a dict."""
    out: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"expected key=value, got {item!r}")
        out[key.strip()] = value
    return out


def swarm_command(
    *,
    guests: int,
    ramp_up: float,
    duration: float,
    say_every: float | None,
    scenario: Path | None,
    channel: str,
    api_base: str | None,
    environment: str | None,
    profile: str | None,
    deployment: str | None,
    organization: str | None,
    queue: str | None,
    control_token: str | None,
    json_path: Path | None,
    allow_real_environment: bool,
    time_scale: float,
    seed: int | None,
    live: bool | None = None,
) -> int:
    """Run a swarm and print its summary; the exit code (0 clean, 1 lost/duplicated/errors, 2 refused)."""
    from webchat_tui.swarm.scenario import ScenarioError, load_scenario
    from webchat_tui.swarm.swarm import SafetyError, check_safety
    from webchat_tui.swarm.target import resolve_endpoint

    conversations: tuple[Conversation, ...] = ()
    if scenario is not None:
        try:
            conversations = load_scenario(scenario).conversations
        except ScenarioError as exc:
            _err(str(exc))
            return EXIT_INVALID
        say_every = None
    elif say_every is None:
        say_every = 5.0
    remote = api_base or environment or profile
    info: dict[str, Any] | None = None
    if api_base and control_token:
        from webchat_tui.emulator.control_client import ControlClient, ControlError

        try:
            with ControlClient(api_base, control_token) as control:
                info = {**control.info(), "control_token": control_token, "base_url": api_base}
        except (ControlError, OSError) as exc:
            _err(f"{api_base}: not an emulator that accepts this control token ({exc})")
            return EXIT_INVALID
    try:
        endpoint = None
        if remote:
            endpoint = resolve_endpoint(
                channel,
                base_url=api_base,
                environment=environment,
                profile=profile,
                deployment=deployment,
                organization=organization,
                queue=queue,
                emulator_info=info,
            )
            check_safety(endpoint, guests, say_every, allow_real_environment)
    except (SafetyError, ValueError) as exc:
        _err(str(exc))
        return EXIT_INVALID
    settings = {
        "guests": guests,
        "ramp_up": ramp_up,
        "duration": duration,
        "say_every": say_every,
        "scenario": conversations,
        "seed": seed,
    }
    summary = _run_swarm(endpoint, settings, channel, deployment, queue, info, time_scale, live)
    text = _summary_text(summary)
    print(text, flush=True)
    if json_path is not None:
        import json

        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    clean = not summary["lost"] and not summary["duplicated"] and not summary["errors"]
    return EXIT_OK if clean else EXIT_FAILED


def _summary_text(summary: dict[str, Any]) -> str:
    from webchat_tui.swarm.live import format_summary

    return format_summary(summary)


def _run_swarm(
    endpoint: Endpoint | None,
    settings: dict[str, Any],
    channel: str,
    deployment: str | None,
    queue: str | None,
    info: dict[str, Any] | None,
    time_scale: float,
    live: bool | None,
) -> dict[str, Any]:
    from webchat_tui import event_loop
    from webchat_tui.emulator.control_client import ControlClient
    from webchat_tui.swarm.live import LiveView
    from webchat_tui.swarm.swarm import Swarm, SwarmConfig
    from webchat_tui.swarm.target import endpoint_for_emulator, start_embedded

    async def main() -> dict[str, Any]:
        emulator = None
        known = info
        target = endpoint
        if target is None:
            emulator = await start_embedded(time_scale)
            known = emulator.info
            # on the emulator, Web Messaging guests go to the direct deployment: they reach an agent and chat
            default = "direct" if channel == "messaging" else None
            target = endpoint_for_emulator(known, channel, deployment or default, queue)
        control = ControlClient.from_info(known) if known is not None else None
        swarm = Swarm(SwarmConfig(endpoint=target, **settings), control=control)
        view = LiveView(lambda: swarm.stats, swarm.config.duration, tty=live)
        shown = asyncio.create_task(view.run())
        try:
            return await swarm.run()
        finally:
            shown.cancel()
            if control is not None:
                control.close()
            if emulator is not None:
                await asyncio.to_thread(emulator.stop)

    return event_loop.run(main())
