"""Smoke test for `benchmarks/`: every benchmark script still runs end to end at a tiny size.

Each script is run exactly as `make bench` runs it (`python -m benchmarks.<name> --quick --json-out ...`): it
starts its own emulator process, its own client processes (real HTTP, real websockets, the real app headless)
and writes its result JSON. The scripts run in parallel to keep this under ~30 s. Nothing here asserts on
speed: only that each script finished, produced a number for every figure, and reported its targets in the
shape `results.json` uses. The report rendering of `run_all` is checked on those results too.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks import _harness as h
from benchmarks import run_all

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = [name for name, _budget in run_all.BENCHMARKS]


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Run every script with --quick, in parallel; return each one's JSON (or its failure output)."""
    out_dir = tmp_path_factory.mktemp("bench")
    env = dict(os.environ, PYTHONPATH=str(REPO), WEBCHAT_BENCH_PIN="0")
    procs = {}
    for name in SCRIPTS:
        cmd = [
            sys.executable,
            "-m",
            f"benchmarks.{name}",
            "--quick",
            "--json-out",
            str(out_dir / f"{name}.json"),
        ]
        procs[name] = subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    deadline = time.monotonic() + 100
    results: dict[str, dict[str, Any]] = {}
    for name, proc in procs.items():
        try:
            output, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        path = out_dir / f"{name}.json"
        data = json.loads(path.read_text()) if path.exists() else {}
        results[name] = {"returncode": proc.returncode, "output": output[-4000:], "result": data}
    return results


@pytest.mark.parametrize("name", SCRIPTS)
def test_benchmark_script_runs(quick_results: dict[str, dict[str, Any]], name: str) -> None:
    """The script exits 0, reports no error, and every figure has at least one finite number."""
    run = quick_results[name]
    assert run["returncode"] == 0, run["output"]
    result = run["result"]
    assert result["benchmark"] == name
    assert result["error"] is None, run["output"]
    assert result["quick"] is True
    assert result["figures"], run["output"]
    for figure in result["figures"]:
        assert figure["runs"], figure
        assert all(v is not None and math.isfinite(v) for v in figure["runs"]), figure


@pytest.mark.parametrize("name", SCRIPTS)
def test_benchmark_reports_its_targets(quick_results: dict[str, dict[str, Any]], name: str) -> None:
    """Every target issues 5 and 12 give this benchmark is reported with a value and a boolean verdict."""
    targets = {t["name"]: t for t in quick_results[name]["result"].get("targets", [])}
    expected = [e for e in run_all.EXPECTED_TARGETS if e[0] == name]
    assert expected
    for _bench, target_name, unit, op, _threshold in expected:
        row = targets[target_name]
        assert set(row) == {"name", "value", "unit", "target", "met"}
        assert row["unit"] == unit and row["target"].startswith(op + " ")
        assert isinstance(row["value"], int | float) and isinstance(row["met"], bool)


def test_run_all_renders_results(quick_results: dict[str, dict[str, Any]]) -> None:
    """`run_all` turns the scripts' results into the console table, RESULTS.md and a complete results.json."""
    results = [h.BenchResult.from_dict(quick_results[name]["result"]) for name in SCRIPTS]
    targets = run_all.complete_targets(results)
    assert [t.name for t in targets] == [e[1] for e in run_all.EXPECTED_TARGETS]
    table = run_all.render_table(results, targets)
    markdown = run_all.render_markdown(results, targets, h.machine_info(), quick=True, elapsed=1.0)
    for result in results:
        assert result.title in markdown
        for figure in result.figures:
            assert figure.name in table and figure.name in markdown
    assert "Quick mode" in markdown and "| cores |" in markdown
    rows = json.loads(json.dumps([t.to_dict() for t in targets]))
    assert all(set(r) == {"name", "value", "unit", "target", "met"} for r in rows)


def test_missing_benchmark_still_reports_every_target() -> None:
    """A benchmark that produced nothing still gets its targets in results.json, with no value and not met."""
    targets = run_all.complete_targets([])
    assert len(targets) == len(run_all.EXPECTED_TARGETS)
    assert all(t.value is None and t.met is False for t in targets)


def test_percentile_matches_linear_interpolation() -> None:
    """The harness percentile is numpy's default (linear between closest ranks)."""
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert h.percentile(values, 50) == 3.0
    assert h.percentile(values, 99) == pytest.approx(4.96)
    assert h.percentile([7.0], 99) == 7.0
    assert math.isnan(h.percentile([], 50))
