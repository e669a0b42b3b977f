"""The bodies of `webchat-tui run` and `webchat-tui swarm` (cli.py only declares their options)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
        results = asyncio.run(run_scenario(scenario, options, progress))
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
