"""A real Locust master and two workers (headless, 127.0.0.1) run our guests of each channel against the
emulator (its own process) for about 20 s; Locust's own CSV statistics show both workers ran users, messages
were delivered, and nothing failed."""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCUST = Path(sys.executable).with_name("locust")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def emulator_process() -> Iterator[dict[str, str]]:
    """The emulator in a process of its own; yields its start line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "webchat_tui", "emulator", "--port", "0", "--time-scale", "0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        yield json.loads(line)
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.timeout(240)
@pytest.mark.skipif(
    shutil.which(str(LOCUST)) is None, reason="locust is not installed (pip install -e '.[test]')"
)
@pytest.mark.parametrize("channel", ["messaging", "webchat"])
def test_locust_master_and_two_workers(
    emulator_process: dict[str, str], tmp_path: Path, channel: str
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "WEBCHAT_EMULATOR_TOKEN": emulator_process["control_token"],
        "WEBCHAT_SAY_EVERY": "1",
        "WEBCHAT_CHANNEL": channel,
    }
    common = [str(LOCUST), "-f", "webchat_tui/swarm/locust.py", "--host", emulator_process["base_url"]]
    prefix = tmp_path / "run"
    master = subprocess.Popen(
        [
            *common,
            "--headless",
            "--master",
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
            "--expect-workers",
            "2",
            "--expect-workers-max-wait",
            "60",
            "-u",
            "6",
            "-r",
            "6",
            "-t",
            "20s",
            "--stop-timeout",
            "20",
            "--csv",
            str(prefix),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "master.log", "w"),  # noqa: SIM115
    )
    worker_cmd = [*common, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
    workers = [
        subprocess.Popen(
            worker_cmd,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / f"worker{i}.log", "w"),  # noqa: SIM115
        )
        for i in range(2)
    ]
    try:
        master.wait(180)
        for w in workers:
            w.wait(60)
    finally:
        for p in (master, *workers):
            if p.poll() is None:
                p.kill()
                p.wait(10)
    log = (tmp_path / "master.log").read_text()
    with open(f"{prefix}_stats.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    by_type: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_type.setdefault(row["Type"], []).append(row)
    connects = by_type.get("connect", [])
    assert all(r["Name"].startswith(f"{channel} connect @") for r in connects), rows
    # one connect row per Locust process: both workers ran users
    assert len(connects) == 2 and all(int(r["Request Count"]) >= 1 for r in connects), (rows, log[-3000:])
    assert sum(int(r["Request Count"]) for r in connects) == 6
    delivered = sum(int(r["Request Count"]) for r in by_type.get("delivery", []))
    assert delivered >= 30, rows  # 6 guests, one line a second, for about 20 s
    aggregated = next(r for r in rows if r["Name"] == "Aggregated")
    assert int(aggregated["Failure Count"]) == 0, (rows, log[-3000:])
    assert not Path(f"{prefix}_failures.csv").read_text().strip().splitlines()[1:]
