"""Benchmark 4: startup: process start -> an interactive join form (headless), against a trivial Textual app.

Method (the baseline's §3, with "first screen" made stricter: first *interactive* frame)
- Each round spawns a fresh `python -m benchmarks._startup_child <variant>` process and measures wall time
  from just before `Popen` to reading the child's `READY` line. The child writes `READY` at the first frame
  (ANSI-encoded, see `_startup_child.py`) in which an `Input` has focus: for the trivial app (a Label + an
  Input), and for the real app started through its real CLI entry point (no arguments: the app on the embedded
  emulator) when the join form's screen is active as well. Exit time is not counted.
- Textual runs with its headless driver (`TEXTUAL_DRIVER`), so no terminal is needed; XDG dirs point at an
  empty temp dir so no developer config is read.
- The package's bytecode is compiled first (`compileall`), as any `pip install` leaves it and as Textual's is
  for the trivial app: an editable install under `PYTHONDONTWRITEBYTECODE=1` never writes `.pyc` files, and
  the app would then pay for compiling its own modules in every round (about 0.2x of the ratio on this
  machine) while the trivial app does not.
- 1 warm-up round (file cache), then 10 rounds, variants interleaved (trivial, app, trivial, app, ...).
- One extra `-X importtime` run of the app lists the slowest top-level imports (evidence, not timed).
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

from benchmarks import _harness as h

MODULE = "benchmarks.startup"
TITLE = "4. Startup (to an interactive join form)"
VARIANTS = ("trivial", "app", "app_injected")


def _env(tmp: str) -> dict[str, str]:
    env = h.python_env()
    env["TEXTUAL_DRIVER"] = "textual.drivers.headless_driver:HeadlessDriver"
    for key in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[key] = os.path.join(tmp, key.lower())
    env.pop("WEBCHAT_TUI_CONFIG", None)
    return env


def _preexec() -> None:
    if h.PIN:
        os.sched_setaffinity(0, {h.CLIENT_CPU})


def one_round(
    variant: str, env: dict[str, str], extra: list[str] | None = None, timeout: float = 30.0
) -> tuple[float, str]:
    """Spawn one child; return (seconds to READY, its stderr)."""
    cmd = [sys.executable, *(extra or []), "-m", "benchmarks._startup_child", variant]
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=h.REPO_ROOT, preexec_fn=_preexec
    )
    assert proc.stdout is not None and proc.stderr is not None
    err_chunks: list[bytes] = []
    err_reader = threading.Thread(
        target=lambda: err_chunks.append(proc.stderr.read() if proc.stderr else b""), daemon=True
    )
    err_reader.start()
    line: list[bytes] = []
    reader = threading.Thread(
        target=lambda: line.append(proc.stdout.readline() if proc.stdout else b""), daemon=True
    )
    reader.start()
    reader.join(timeout)
    elapsed = time.perf_counter() - started
    ready = bool(line) and line[0].startswith(b"READY")
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    err_reader.join(5)
    stderr = b"".join(err_chunks).decode(errors="replace")
    if not ready:
        raise h.BenchError(
            f"{variant}: no READY within {timeout} s (exit {proc.returncode}); stderr tail:\n"
            + "\n".join(stderr.strip().splitlines()[-20:])
        )
    return elapsed, stderr


def top_imports(importtime_stderr: str, limit: int = 12) -> list[tuple[str, float]]:
    """Top-level imports by cumulative time (ms) from `-X importtime` output."""
    rows: list[tuple[int, str, float]] = []
    for line in importtime_stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)", line)
        if match:
            rows.append((len(match.group(3)), match.group(4), int(match.group(2)) / 1000))
    if not rows:
        return []
    top_level = min(depth for depth, _, _ in rows)
    ranked = sorted(((name, ms) for depth, name, ms in rows if depth == top_level), key=lambda r: -r[1])
    return ranked[:limit]


def run(args: argparse.Namespace, result: h.BenchResult) -> None:
    """1 warm-up round, then N rounds interleaved; ratio per round and of the medians."""
    rounds = 2 if args.quick else max(10, result.runs)
    warmup = 0 if args.quick else 1
    result.runs = rounds
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    package = os.path.join(h.REPO_ROOT, "webchat_tui")
    if not compileall.compile_dir(package, quiet=1):
        raise h.BenchError(f"could not compile the bytecode of {package}")
    result.notes.append("the package's bytecode compiled first (compileall), as an install leaves it")
    with tempfile.TemporaryDirectory(prefix="webchat-bench-startup-") as tmp:
        env = _env(tmp)
        for idx in range(warmup + rounds):
            for variant in VARIANTS:
                elapsed, _ = one_round(variant, env)
                if idx >= warmup:
                    times[variant].append(elapsed * 1000)
        if not args.quick:
            _, stderr = one_round("app", env, extra=["-X", "importtime"])
            tops = top_imports(stderr)
            result.notes.append(
                "app `-X importtime` (inflated by tracing), top-level cumulative ms: "
                + ", ".join(f"{name} {ms:.0f}" for name, ms in tops)
            )
    result.notes.append(
        f"{warmup} warm-up round(s), then {rounds} rounds, variants interleaved; wall time from "
        "Popen to the first interactive frame"
    )
    ratios = [a / t for t, a in zip(times["trivial"], times["app"], strict=True)]
    result.figures += [
        h.Figure("trivial Textual app (Label + Input): start -> interactive frame", "ms", times["trivial"]),
        h.Figure("webchat-tui: start -> interactive join form", "ms", times["app"]),
        h.Figure("ratio app / trivial (same round)", "x", ratios),
        h.Figure(
            "informational: webchat-tui with an already running emulator injected (no embedded one)",
            "ms",
            times["app_injected"],
        ),
    ]
    ratio = h.median(times["app"]) / h.median(times["trivial"])
    result.notes.append(f"ratio of medians: {ratio:.2f}x")
    result.targets.append(h.make_target("startup_vs_trivial_ratio", ratio, "x", "<=", 1.5))


if __name__ == "__main__":
    sys.exit(h.bench_main(__doc__, run, {}, "startup", TITLE))
