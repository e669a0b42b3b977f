"""Shared harness for the benchmark scripts: statistics, results, the emulator process, worker subprocesses.

Design (copied from `performance-baseline.md`'s method):
- The emulator runs as its own process (`python -m webchat_tui emulator --port 0`), so server and client never
  share a GIL. Processes are not pinned by default: on a machine shared with other work, a pinned server waits
  whenever another process lands on its core while the other core may be idle (measured: p99 delivery 50-104
  ms pinned vs 39-42 ms unpinned, same load). `WEBCHAT_BENCH_PIN=1` pins the server to the last core and
  client workers to core 0 for repeatable figures on a quiet machine.
- Each measured run of a client variant runs in a fresh worker subprocess (`python -m benchmarks.<name>
  --worker <variant> --params <json>`), which prints one `RESULT {json}` line. Fresh processes keep one
  variant's heap, imports and GC state from colouring the next; variants are interleaved run by run so they
  share the machine.
- Every figure keeps all runs; tables show best / median (best = min for times, max for rates). Targets are
  judged on the median (the baseline's rule: "use the min for what the machine can do and the median for
  goals").

This module imports only the standard library (and the emulator's stdlib-only control client) so workers that
import it start as fast as possible.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from webchat_tui.emulator.control_client import ControlClient

RESULT_PREFIX = "RESULT "
REPO_ROOT = Path(__file__).resolve().parent.parent
PIN = os.environ.get("WEBCHAT_BENCH_PIN", "0") == "1" and (os.cpu_count() or 1) >= 2
CLIENT_CPU = 0
SERVER_CPU = (os.cpu_count() or 1) - 1


AGENT_OFF: dict[str, Any] = {"autoAgent": False, "timeScale": 0.01, "idleTimeout": 10_000_000}
"""Emulator settings for a benchmark that plays the agent itself through the control API: no simulated agent,
the fast clock (time scale 0.01), no chat ended for being idle."""
AGENT_ON: dict[str, Any] = {**AGENT_OFF, "autoAgent": True}
"""The same with the simulated agents answering."""


class BenchError(RuntimeError):
    """A benchmark could not run (a worker failed, a layer is missing, a wait timed out)."""


# ------------------------------------------------------------------------------------------------------------
# Statistics


def percentile(values: Sequence[float], pct: float) -> float:
    """The `pct` percentile (0-100) of `values`, linear interpolation between ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * pct / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def median(values: Sequence[float]) -> float:
    """The median of `values` (nan when empty)."""
    return percentile(values, 50.0)


def latency_summary(samples: Sequence[float], prefix: str = "") -> dict[str, float]:
    """`<prefix>p50_ms`, `p99_ms`, `max_ms` and `samples` (the count) of latencies given in seconds."""
    return {
        f"{prefix}p50_ms": percentile(samples, 50) * 1000,
        f"{prefix}p99_ms": percentile(samples, 99) * 1000,
        f"{prefix}max_ms": max(samples, default=math.nan) * 1000,
        f"{prefix}samples": len(samples),
    }


@dataclass
class Figure:
    """One measured quantity over several runs (all runs kept)."""

    name: str
    unit: str
    runs: list[float]
    better: str = "lower"
    """`lower` (times, latencies, memory) or `higher` (rates); decides what "best" means."""
    note: str = ""

    @property
    def best(self) -> float:
        """Min for lower-is-better figures, max for higher-is-better."""
        if not self.runs:
            return math.nan
        return min(self.runs) if self.better == "lower" else max(self.runs)

    @property
    def median(self) -> float:
        """Median over the runs."""
        return median(self.runs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with best and median computed."""
        data = asdict(self)
        data["best"] = _clean(self.best)
        data["median"] = _clean(self.median)
        data["runs"] = [_clean(v) for v in self.runs]
        return data


@dataclass
class Target:
    """One target from issue 5, as written to `results.json`."""

    name: str
    value: float | None
    unit: str
    target: str
    met: bool

    def to_dict(self) -> dict[str, Any]:
        """Exactly the keys `results.json` promises: name, value, unit, target, met."""
        return {
            "name": self.name,
            "value": _clean(self.value),
            "unit": self.unit,
            "target": self.target,
            "met": self.met,
        }


def make_target(name: str, value: float | None, unit: str, op: str, threshold: float) -> Target:
    """Build a target row; `op` is `<=`, `<`, `>=` or `==`. A missing/NaN value never meets its target."""
    ok = False
    if value is not None and not math.isnan(value):
        ok = {
            "<=": value <= threshold,
            "<": value < threshold,
            ">=": value >= threshold,
            "==": value == threshold,
        }[op]
    return Target(name=name, value=value, unit=unit, target=f"{op} {_fmt_num(threshold)}", met=ok)


def _clean(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 6)


def _fmt_num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def fmt(value: float | None, unit: str = "") -> str:
    """Human formatting: 3 significant digits for small values, thousands separators for large ones."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 1000:
        text = f"{value:,.0f}"
    elif magnitude >= 100:
        text = f"{value:.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    elif magnitude >= 1:
        text = f"{value:.2f}"
    elif magnitude == 0:
        text = "0"
    else:
        text = f"{value:.3f}"
    return text


@dataclass
class BenchResult:
    """What one benchmark script reports: its figures, its targets, notes on method and anything odd."""

    benchmark: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    quick: bool = False
    runs: int = 0
    elapsed_s: float = 0.0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "benchmark": self.benchmark,
            "title": self.title,
            "quick": self.quick,
            "runs": self.runs,
            "elapsed_s": round(self.elapsed_s, 2),
            "error": self.error,
            "figures": [f.to_dict() for f in self.figures],
            "targets": [t.to_dict() for t in self.targets],
            "notes": self.notes,
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> BenchResult:
        """Inverse of `to_dict` (best/median are recomputed from the runs)."""
        figures = [
            Figure(
                name=f["name"],
                unit=f["unit"],
                runs=[math.nan if v is None else v for v in f["runs"]],
                better=f.get("better", "lower"),
                note=f.get("note", ""),
            )
            for f in data.get("figures", [])
        ]
        targets = [Target(**t) for t in data.get("targets", [])]
        return BenchResult(
            benchmark=data["benchmark"],
            title=data.get("title", data["benchmark"]),
            figures=figures,
            targets=targets,
            notes=list(data.get("notes", [])),
            quick=bool(data.get("quick")),
            runs=int(data.get("runs", 0)),
            elapsed_s=float(data.get("elapsed_s", 0.0)),
            error=data.get("error"),
        )


def figures_table(result: BenchResult) -> str:
    """A plain-text table of one result's figures (best / median / every run)."""
    lines = [
        f"== {result.title} ({result.benchmark}, {result.runs} run(s){', quick' if result.quick else ''}, "
        f"{result.elapsed_s:.1f} s)"
    ]
    if result.error:
        lines.append(f"   ERROR: {result.error}")
    width = max([len(f.name) for f in result.figures] + [10])
    for fig in result.figures:
        runs = ", ".join(fmt(v) for v in fig.runs)
        lines.append(
            f"   {fig.name:<{width}}  best {fmt(fig.best):>9}  median {fmt(fig.median):>9}  {fig.unit:<10} "
            f"[{runs}]"
        )
    for tgt in result.targets:
        mark = "MET " if tgt.met else "MISS"
        lines.append(f"   {mark} {tgt.name}: {fmt(tgt.value)} {tgt.unit} (target {tgt.target})")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------------------
# Command line of every benchmark script


def bench_parser(description: str) -> argparse.ArgumentParser:
    """The common options: --quick, --runs, --json-out; plus the internal --worker/--params pair."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 1 run (used by the smoke test)")
    parser.add_argument(
        "--runs", type=int, default=None, help="runs per variant (default 3, or 1 with --quick)"
    )
    parser.add_argument("--json-out", type=Path, default=None, help="write the result JSON here")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--params", default="{}", help=argparse.SUPPRESS)
    return parser


def resolve_runs(args: argparse.Namespace) -> int:
    """Runs per variant: --runs, else 1 for --quick, else 3."""
    if args.runs is not None:
        return max(1, int(args.runs))
    return 1 if args.quick else 3


Worker = Callable[[dict[str, Any]], dict[str, Any] | Coroutine[Any, Any, dict[str, Any]]]
"""One variant, run in a worker process: params in, RESULT out (a coroutine function runs on asyncio's
loop)."""


def bench_main(
    description: str | None,
    run: Callable[[argparse.Namespace, BenchResult], None],
    workers: dict[str, Worker],
    benchmark: str,
    title: str,
    argv: list[str] | None = None,
) -> int:
    """A benchmark script's entry point (`bench_parser`'s command line, `description` its help): worker mode
    runs one variant and prints RESULT; otherwise run the benchmark and report it."""
    args = bench_parser(description or "").parse_args(argv)
    if args.worker:
        params = json.loads(args.params)
        try:
            reply = workers[args.worker](params)
            if isinstance(reply, Coroutine):
                import asyncio  # here: a synchronous worker does not pay for it

                reply = asyncio.run(reply)
        except Exception:
            traceback.print_exc()
            return 1
        sys.stdout.write(RESULT_PREFIX + json.dumps(reply) + "\n")
        sys.stdout.flush()
        return 0
    result = BenchResult(benchmark=benchmark, title=title, quick=bool(args.quick), runs=resolve_runs(args))
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    ran_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    busy0, total0 = machine_cpu()
    try:
        run(args, result)
    except Exception as exc:  # reported in the result, so run_all can carry on with the other benchmarks
        traceback.print_exc()
        result.error = f"{type(exc).__name__}: {exc}"
    result.elapsed_s = time.perf_counter() - started
    busy1, total1 = machine_cpu()
    cores = os.cpu_count() or 1
    busy_pct = 100 * (busy1 - busy0) / max(total1 - total0, 1e-9)
    result.notes.append(
        f"ran at {ran_at}; machine while this ran: {busy_pct:.0f}% of {cores} cores busy "
        f"(all processes), load average {load_start:.2f} at start, {os.getloadavg()[0]:.2f} at end"
    )
    print(figures_table(result), flush=True)
    if args.json_out is not None:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    return 0 if result.error is None else 2


# ------------------------------------------------------------------------------------------------------------
# Processes


def pin(pid: int, cpu: int | None) -> None:
    """Pin a process to one core (no-op when pinning is off or unsupported)."""
    if cpu is None or not PIN:
        return
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setaffinity(pid, {cpu})


def rss_bytes(pid: int | str = "self") -> int:
    """Resident set size of a process from /proc (bytes)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise BenchError("VmRSS not found")


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU seconds consumed by a process so far (own process: `time.process_time()`, ns
    resolution; another process: /proc/<pid>/stat, clock-tick resolution)."""
    if pid == "self":
        return time.process_time()
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, summed over cores (from /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return (total - idle) / ticks, total / ticks


def python_env() -> dict[str, str]:
    """Environment for child processes: unbuffered, repo on sys.path, no user site noise."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("COLUMNS", "120")
    return env


def spawn_worker(
    module: str, worker: str, params: dict[str, Any], *, cpu: int | None = CLIENT_CPU, stdin: bool = False
) -> subprocess.Popen[str]:
    """Start `python -m <module> --worker <worker> --params <json>` (text pipes; stdin piped if asked)."""
    cmd = [sys.executable, "-m", module, "--worker", worker, "--params", json.dumps(params)]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE if stdin else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=python_env(),
        cwd=REPO_ROOT,
    )
    pin(proc.pid, cpu)
    return proc


def worker_reply(proc: subprocess.Popen[str], what: str, *, timeout: float | None = None) -> dict[str, Any]:
    """Wait for a worker started by `spawn_worker`; its RESULT JSON, or BenchError naming `what`."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        out, err = proc.communicate()
        raise BenchError(f"{what} timed out after {timeout:.0f} s; stderr tail:\n{_tail(err)}") from exc
    for line in reversed(out.splitlines()):
        if line.startswith(RESULT_PREFIX):
            if proc.returncode != 0:
                break
            reply: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return reply
    raise BenchError(f"{what} failed (exit {proc.returncode}); stderr tail:\n{_tail(err)}")


def run_worker(
    module: str, worker: str, params: dict[str, Any], *, timeout: float, cpu: int | None = CLIENT_CPU
) -> dict[str, Any]:
    """Run one variant in a fresh `python -m <module> --worker <worker>` process; return its RESULT JSON."""
    proc = spawn_worker(module, worker, params, cpu=cpu)
    return worker_reply(proc, f"worker {module}:{worker}", timeout=timeout)


def run_fresh_workers(
    result: BenchResult,
    module: str,
    worker: str,
    params: dict[str, Any],
    *,
    config: dict[str, Any],
    timeout: float,
    prepare: Callable[[EmulatorProcess], object] | None = None,
) -> list[dict[str, Any]]:
    """The usual shape of a benchmark with one variant: one emulator process at `config["timeScale"]`; for
    each of `result.runs` runs, reset it with `config` (`prepare(emu)` after, for anything more), then one
    fresh worker process given `params` plus the emulator's `info` and `server_pid`. Returns the workers'
    replies."""
    replies: list[dict[str, Any]] = []
    with EmulatorProcess(time_scale=config["timeScale"]) as emu:
        for _ in range(result.runs):
            emu.reset(**config)
            if prepare is not None:
                prepare(emu)
            replies.append(
                run_worker(
                    module, worker, {"info": emu.params(), "server_pid": emu.pid, **params}, timeout=timeout
                )
            )
    return replies


def column(runs: Sequence[dict[str, Any]], key: str) -> list[float]:
    """`key` of every run's reply as floats (a null, i.e. a figure a run could not compute, as NaN)."""
    return [math.nan if r[key] is None else float(r[key]) for r in runs]


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


class EmulatorProcess:
    """The real emulator in its own process: `python -m webchat_tui emulator --port 0 ...`.

    Reads the one JSON line the standalone runner prints (base_url, ids, credentials), drains the rest of its
    output in a thread, and stops it with SIGINT (then SIGKILL after a grace period).
    """

    def __init__(
        self,
        *,
        time_scale: float = 0.01,
        heartbeat: float = 30.0,
        seed: int = 1234,
        cpu: int | None = SERVER_CPU,
        start_timeout: float = 30.0,
    ) -> None:
        self.time_scale = time_scale
        self.heartbeat = heartbeat
        self.seed = seed
        self.cpu = cpu
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen[str] | None = None
        self.info: dict[str, Any] = {}
        self._stderr_lines: list[str] = []

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        return str(self.info["base_url"])

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self.proc is not None
        return self.proc.pid

    def __enter__(self) -> EmulatorProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Spawn the server and wait for its JSON line."""
        cmd = [sys.executable, "-m", "webchat_tui", "emulator", "--host", "127.0.0.1", "--port", "0"]
        settings = {"--time-scale": self.time_scale, "--heartbeat": self.heartbeat, "--seed": self.seed}
        for option, value in settings.items():
            cmd += [option, repr(value)]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=python_env(), cwd=REPO_ROOT
        )
        pin(self.proc.pid, self.cpu)
        threading.Thread(target=self._drain, args=(self.proc.stderr, self._stderr_lines), daemon=True).start()
        first: list[str] = []
        reader = threading.Thread(
            target=lambda: first.append(
                self.proc.stdout.readline() if self.proc and self.proc.stdout else ""
            ),
            daemon=True,
        )
        reader.start()
        reader.join(self.start_timeout)
        if not first or not first[0].strip():
            self.stop()
            raise BenchError(
                "emulator did not print its JSON line; stderr tail:\n" + "\n".join(self._stderr_lines[-25:])
            )
        self.info = json.loads(first[0])
        threading.Thread(target=self._drain, args=(self.proc.stdout, []), daemon=True).start()
        self.control = control_for(self.info)

    @staticmethod
    def _drain(stream: Any, sink: list[str]) -> None:
        for line in iter(stream.readline, ""):
            sink.append(line.rstrip("\n"))
            del sink[:-200]

    def stop(self) -> None:
        """SIGINT, wait up to 5 s, then kill."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def params(self) -> dict[str, Any]:
        """What a worker needs to reach this emulator (the seed info line)."""
        return dict(self.info)

    def reset(self, **config: Any) -> None:
        """Forget every conversation and session (control API reset), then apply `config` if any."""
        self.control.reset()
        if config:
            self.control.set_config(**config)


def control_for(info: dict[str, Any]) -> ControlClient:
    """The emulator's own control-API client for the emulator described by its JSON line (sends the token)."""
    return ControlClient.from_info(info, timeout=60.0)


def connect_agent(control: ControlClient, cid: str, timeout: float = 15.0) -> None:
    """Route Web Chat v2 conversation `cid` to an agent as soon as its socket is attached (its state is past
    `pending_socket`); harness setup, never timed."""
    control.wait_for(
        lambda: (control.conversation(cid) or {}).get("state") not in (None, "pending_socket"), timeout
    )
    control.connect(cid)


async def until(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.01) -> None:
    """Poll `predicate()` on the running loop until it holds; BenchError naming `what` after `timeout` s.
    Harness setup only, never inside a timed section."""
    import asyncio  # here: this module stays cheap to import for synchronous workers

    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise BenchError(f"timed out waiting for {what}")
        await asyncio.sleep(interval)


def create_guest_conversation(
    base_url: str,
    info: dict[str, Any],
    *,
    name: str = "Bench Guest",
    queue: str = "Support",
    timeout: float = 30.0,
) -> dict[str, Any]:
    """POST /api/v2/webchat/guest/conversations with urllib (for harness setup, not for measured calls)."""
    body = {
        "organizationId": info["organization_id"],
        "deploymentId": info["deployment_id"],
        "routingTarget": {"targetType": "QUEUE", "targetAddress": queue},
        "memberInfo": {"displayName": name},
    }
    req = urllib.request.Request(
        base_url + "/api/v2/webchat/guest/conversations",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        data: dict[str, Any] = json.loads(resp.read())
    return data


# ------------------------------------------------------------------------------------------------------------
# Machine description


def machine_info() -> dict[str, Any]:
    """Cores, CPU model, RAM, OS, Python and the versions of every package the benchmarks exercise."""
    from importlib import metadata

    cpu_model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    ram_gb = math.nan
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = int(line.split()[1]) / 1024 / 1024
                break
    packages = {}
    for name in (
        "webchat-tui",
        "textual",
        "rich",
        "websockets",
        "httpx",
        "httpx-aiohttp",
        "aiohttp",
        "uvloop",
        "httpcore",
        "h11",
        "anyio",
        "sniffio",
        "uvicorn",
        "fastapi",
        "starlette",
        "pydantic",
        "pydantic-core",
        "PureCloudPlatformClientV2",
        "urllib3",
    ):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "not installed"
    commit = "unknown"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout.strip()
            or "unknown"
        )
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cores": os.cpu_count(),
        "cpu_model": cpu_model,
        "ram_gb": round(ram_gb, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": packages,
        "git_commit": commit,
        "load_average": " / ".join(f"{v:.2f}" for v in os.getloadavg()),
        "pinning": (
            f"server on core {SERVER_CPU}, client workers on core {CLIENT_CPU}"
            if PIN
            else "off (scheduler decides)"
        ),
    }


@contextlib.contextmanager
def timed() -> Iterator[Callable[[], float]]:
    """`with timed() as elapsed: ...; elapsed()` -> seconds since entering."""
    start = time.perf_counter()
    yield lambda: time.perf_counter() - start
