"""Run every benchmark, print one table, write `benchmarks/RESULTS.md` and `benchmarks/results.json`.

`make bench` runs `python -m benchmarks.run_all`. Each benchmark runs as its own subprocess (`python -m
benchmarks.<name> --json-out ...`), which in turn starts its own emulator process and one fresh client process
per measured run, so nothing leaks between benchmarks. `--quick` runs tiny sizes once (used by the smoke test)
and, unless `--out-dir` is given, writes into a temporary directory so the committed figures are untouched.

`results.json` is a list of `{"name", "value", "unit", "target", "met"}`, one per target of issues 5 and 12; a
benchmark that failed to run still reports its targets, with `value: null, met: false`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import _harness as h

BENCH_DIR = Path(__file__).resolve().parent

# (module, budget in seconds for a full run) in the order they run: the cheap, noise-sensitive ones first.
BENCHMARKS: list[tuple[str, float]] = [
    ("startup", 240),
    ("client_calls", 600),
    ("concurrent_guests", 600),
    ("ingest", 420),
    ("messaging_ingest", 300),
    ("responsiveness", 600),
    ("messaging_responsiveness", 300),
    ("memory", 600),
    ("emulator_capacity", 600),
    ("messaging_capacity", 600),
    ("huge_messages", 300),
    ("agent_console", 600),
    ("swarm_capacity", 900),
]

# Every target of issues 5 and 12: (benchmark, name, unit, op, threshold). Used to report a target even if its
# benchmark
# could not run, so results.json always has one row per target.
EXPECTED_TARGETS: list[tuple[str, str, str, str, float]] = [
    ("ingest", "ingest_session_vs_bare_ratio", "x", "<=", 1.5),
    ("ingest", "ingest_app_vs_bare_ratio", "x", "<=", 3),
    ("ingest", "ingest_app_10k_seconds", "s", "<", 1),
    ("messaging_ingest", "messaging_ingest_session_vs_bare_ratio", "x", "<=", 1.5),
    ("messaging_ingest", "messaging_ingest_app_vs_bare_ratio", "x", "<=", 3),
    ("messaging_ingest", "messaging_ingest_app_10k_seconds", "s", "<", 1),
    ("responsiveness", "responsiveness_stream_key_p99_ms", "ms", "<=", 100),
    ("responsiveness", "responsiveness_after_burst_key_p99_ms", "ms", "<=", 150),
    ("messaging_responsiveness", "messaging_responsiveness_key_p99_ms", "ms", "<=", 100),
    ("memory", "memory_rss_100k_mb", "MB", "<=", 250),
    ("memory", "memory_bytes_per_message", "B/msg", "<=", 2048),
    ("startup", "startup_vs_trivial_ratio", "x", "<=", 1.5),
    # issue 12 set the sequential goal to parity (1.0x) and gave 1.5x to the concurrent row
    ("client_calls", "client_calls_throughput_vs_sdk_ratio", "x", ">=", 1.0),
    ("client_calls", "client_send_p50_ms", "ms", "<=", 5),
    ("concurrent_guests", "concurrent_guests_throughput_vs_sdk_ratio", "x", ">=", 1.5),
    ("emulator_capacity", "capacity_delivered_msgs_per_s", "msg/s", ">=", 1000),
    ("emulator_capacity", "capacity_delivery_p99_ms", "ms", "<=", 100),
    ("emulator_capacity", "capacity_lost_messages", "msgs", "==", 0),
    ("emulator_capacity", "capacity_duplicated_messages", "msgs", "==", 0),
    ("messaging_capacity", "messaging_capacity_delivered_msgs_per_s", "msg/s", ">=", 1000),
    ("messaging_capacity", "messaging_capacity_delivery_p99_ms", "ms", "<=", 100),
    ("messaging_capacity", "messaging_capacity_lost_messages", "msgs", "==", 0),
    ("messaging_capacity", "messaging_capacity_duplicated_messages", "msgs", "==", 0),
    ("huge_messages", "huge_message_longest_block_ms", "ms", "<=", 50),
    ("agent_console", "agent_console_key_p99_ms", "ms", "<=", 100),
    ("swarm_capacity", "swarm_lost_messages", "msgs", "==", 0),
    ("swarm_capacity", "swarm_duplicated_messages", "msgs", "==", 0),
    ("swarm_capacity", "swarm_delivery_p99_ms", "ms", "<=", 100),
]


def run_one(module: str, budget: float, *, quick: bool, runs: int | None, tmp: Path) -> h.BenchResult:
    """Run one benchmark script as a subprocess; its output streams through; returns its parsed result."""
    out = tmp / f"{module}.json"
    cmd = [sys.executable, "-m", f"benchmarks.{module}", "--json-out", str(out)]
    if quick:
        cmd.append("--quick")
    if runs is not None:
        cmd += ["--runs", str(runs)]
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=h.REPO_ROOT, env=h.python_env(), timeout=budget, check=False)
        code: int | str = proc.returncode
    except subprocess.TimeoutExpired:
        code = f"timed out after {budget:.0f} s"
    if out.exists():
        result = h.BenchResult.from_dict(json.loads(out.read_text()))
    else:
        result = h.BenchResult(benchmark=module, title=module, quick=quick, error=f"no result (exit {code})")
        result.elapsed_s = time.perf_counter() - started
    return result


def complete_targets(results: list[h.BenchResult]) -> list[h.Target]:
    """One row per expected target, in the issue's order; missing ones get value None, met False."""
    found = {t.name: t for r in results for t in r.targets}
    rows = []
    for _bench, name, unit, op, threshold in EXPECTED_TARGETS:
        rows.append(
            found.pop(name, None)
            or h.Target(name=name, value=None, unit=unit, target=f"{op} {h._fmt_num(threshold)}", met=False)
        )
    rows.extend(found.values())  # any extra target a script reports
    return rows


def spread_pct(fig: h.Figure) -> float:
    """(max - min) / median in percent: the run-to-run noise of a figure."""
    values = [v for v in fig.runs if not math.isnan(v)]
    if len(values) < 2 or not fig.median:
        return math.nan
    return 100.0 * (max(values) - min(values)) / abs(fig.median)


def render_table(results: list[h.BenchResult], targets: list[h.Target]) -> str:
    """The one console table: every figure, then every target."""
    lines = []
    name_w = max([len(f"{r.benchmark}: {f.name}") for r in results for f in r.figures] + [20])
    lines.append(f"{'figure':<{name_w}}  {'best':>10}  {'median':>10}  {'spread':>7}  unit")
    lines.append("-" * (name_w + 45))
    for r in results:
        if r.error:
            lines.append(f"{r.benchmark}: ERROR {r.error.splitlines()[0][:150]}")
        for f in r.figures:
            spread = spread_pct(f)
            spread_text = "" if math.isnan(spread) else f"{spread:.0f}%"
            lines.append(
                f"{r.benchmark + ': ' + f.name:<{name_w}}  {h.fmt(f.best):>10}  {h.fmt(f.median):>10}  "
                f"{spread_text:>7}  {f.unit}"
            )
    lines.append("")
    tw = max(len(t.name) for t in targets)
    lines.append(f"{'target':<{tw}}  {'value':>10}  {'unit':<6}  {'goal':<10}  met")
    lines.append("-" * (tw + 40))
    for t in targets:
        lines.append(
            f"{t.name:<{tw}}  {h.fmt(t.value):>10}  {t.unit:<6}  {t.target:<10}  {'yes' if t.met else 'NO'}"
        )
    return "\n".join(lines)


def render_markdown(
    results: list[h.BenchResult],
    targets: list[h.Target],
    machine: dict[str, Any],
    *,
    quick: bool,
    elapsed: float,
    partial: list[str] | None = None,
) -> str:
    """RESULTS.md: machine, targets, then each benchmark's figures (best / median / all runs) and notes."""
    out: list[str] = []
    out.append("# Benchmark results")
    out.append("")
    out.append(
        f"Generated by `make bench` (`python -m benchmarks.run_all{' --quick' if quick else ''}`) on "
        f"{machine['date']} in {elapsed / 60:.1f} min. Figures are **best / median** over the runs "
        '(best = min for times, max for rates); targets are judged on the median. "spread" = (max - min) / '
        "median over the runs: the noise between runs. Regenerate with `make bench`. What lies behind each "
        "missed target (profiles, likely fixes) is in `benchmarks/PROFILES.md`."
    )
    if quick:
        out.append("")
        out.append("**Quick mode: tiny sizes, 1 run. Not representative.**")
    if partial:
        out.append("")
        out.append(
            f"This report re-ran only {', '.join(partial)} (`--only`); the other sections are from their "
            "last "
            'run, see the "ran at" note in each section.'
        )
    out.append("")
    out.append("## Machine")
    out.append("")
    out.append("| | |")
    out.append("|---|---|")
    out.append(f"| cores | {machine['cores']} |")
    out.append(f"| CPU | {machine['cpu_model']} |")
    out.append(f"| RAM | {machine['ram_gb']} GB |")
    out.append(f"| OS | {machine['os']} |")
    out.append(f"| Python | {machine['python']} |")
    out.append(f"| packages | {', '.join(f'{k} {v}' for k, v in machine['packages'].items())} |")
    out.append(f"| git commit | {machine['git_commit']} |")
    out.append(f"| process placement | {machine['pinning']} |")
    out.append(
        f"| load average (1/5/15 min) | at start {machine['load_average']}, at end "
        f"{machine.get('load_average_end', 'n/a')} (other work on the machine adds noise) |"
    )
    out.append("")
    out.append("## Targets (issues 5 and 12)")
    out.append("")
    out.append("| target | value (median) | goal | met |")
    out.append("|---|---|---|---|")
    for t in targets:
        out.append(
            f"| {t.name} | {h.fmt(t.value)} {t.unit} | {t.target} {t.unit} | {'yes' if t.met else '**no**'} |"
        )
    for r in results:
        out.append("")
        out.append(f"## {r.title}")
        out.append("")
        out.append(f"`benchmarks/{r.benchmark}.py`, {r.runs} run(s), {r.elapsed_s:.0f} s.")
        if r.error:
            out.append("")
            out.append(f"**Error:** `{r.error.splitlines()[0][:300]}`")
        if r.figures:
            out.append("")
            out.append("| figure | best | median | spread | all runs | unit |")
            out.append("|---|---|---|---|---|---|")
            for f in r.figures:
                spread = spread_pct(f)
                out.append(
                    f"| {f.name} | {h.fmt(f.best)} | {h.fmt(f.median)} | "
                    f"{'' if math.isnan(spread) else f'{spread:.0f}%'} | "
                    f"{', '.join(h.fmt(v) for v in f.runs)} | {f.unit} |"
                )
        if r.notes:
            out.append("")
            for note in r.notes:
                out.append(f"- {note}")
    out.append("")
    return "\n".join(out)


def render_only(out_dir: Path) -> int:
    """Rebuild the report from the raw results and machine description a previous run saved."""
    raw_dir = out_dir / "raw"
    machine = json.loads((raw_dir / "machine.json").read_text())
    results = [
        h.BenchResult.from_dict(json.loads((raw_dir / f"{m}.json").read_text()))
        for m, _ in BENCHMARKS
        if (raw_dir / f"{m}.json").exists()
    ]
    results.sort(key=lambda r: r.title)
    targets = complete_targets(results)
    quick = any(r.quick for r in results)
    (out_dir / "results.json").write_text(json.dumps([t.to_dict() for t in targets], indent=2) + "\n")
    (out_dir / "RESULTS.md").write_text(
        render_markdown(
            results,
            targets,
            machine,
            quick=quick,
            elapsed=machine["elapsed_s"],
            partial=machine["partial"] or None,
        )
    )
    print(render_table(results, targets))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `make bench`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 1 run each (smoke)")
    parser.add_argument("--runs", type=int, default=None, help="runs per variant (default 3; 1 with --quick)")
    parser.add_argument("--only", default="", help="comma-separated benchmark names to run (default: all)")
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="where RESULTS.md / results.json go (default: benchmarks/, or a temp dir with --quick)",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="run nothing: rebuild RESULTS.md / results.json from <out-dir>/raw (e.g. after a report change)",
    )
    args = parser.parse_args(argv)
    if args.render_only:
        return render_only(args.out_dir or BENCH_DIR)
    wanted = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = wanted - {m for m, _ in BENCHMARKS}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    out_dir: Path = args.out_dir or (
        Path(tempfile.mkdtemp(prefix="webchat-bench-quick-")) if args.quick else BENCH_DIR
    )
    machine = h.machine_info()
    print(
        f"machine: {machine['cores']} cores, {machine['cpu_model']}, {machine['ram_gb']} GB, "
        f"{machine['python']}",
        flush=True,
    )
    started = time.perf_counter()
    results: list[h.BenchResult] = []
    with tempfile.TemporaryDirectory(prefix="webchat-bench-") as tmp:
        for module, budget in BENCHMARKS:
            if wanted and module not in wanted:
                continue
            print(f"\n### {module}", flush=True)
            results.append(
                run_one(
                    module, budget / (4 if args.quick else 1), quick=args.quick, runs=args.runs, tmp=Path(tmp)
                )
            )
    elapsed = time.perf_counter() - started
    machine["load_average_end"] = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    out_dir.mkdir(parents=True, exist_ok=True)
    raw_dir = out_dir / "raw"
    raw_dir.mkdir(exist_ok=True)
    for result in results:
        (raw_dir / f"{result.benchmark}.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    if wanted:
        # A partial run (--only) re-renders the whole report: the other benchmarks come from their last full
        # results in <out-dir>/raw/ (each keeps its own "ran at" note, so mixed runs stay visible).
        ran = {r.benchmark for r in results}
        for module, _budget in BENCHMARKS:
            path = raw_dir / f"{module}.json"
            if module not in ran and path.exists():
                results.append(h.BenchResult.from_dict(json.loads(path.read_text())))
        order = [m for m, _ in BENCHMARKS]
        results.sort(key=lambda r: order.index(r.benchmark) if r.benchmark in order else len(order))
    (raw_dir / "machine.json").write_text(
        json.dumps({**machine, "elapsed_s": elapsed, "partial": sorted(wanted)}, indent=2) + "\n"
    )
    targets = complete_targets(results)
    results.sort(key=lambda r: r.title)  # report in the order ("1. Event ingest", "2. ...")
    print("\n" + render_table(results, targets), flush=True)
    (out_dir / "results.json").write_text(json.dumps([t.to_dict() for t in targets], indent=2) + "\n")
    (out_dir / "RESULTS.md").write_text(
        render_markdown(
            results, targets, machine, quick=args.quick, elapsed=elapsed, partial=sorted(wanted) or None
        )
    )
    print(f"\nwrote {out_dir / 'RESULTS.md'} and {out_dir / 'results.json'} ({elapsed:.0f} s)", flush=True)
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
