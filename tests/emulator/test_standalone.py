"""`webchat-tui emulator` as a real subprocess: one JSON line on start, serves HTTP, stops cleanly
on Ctrl+C."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys

import httpx
from websockets.sync.client import connect

from webchat_tui.emulator.control_client import ControlClient


def test_standalone_prints_seed_serves_and_stops_on_sigint() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "webchat_tui",
            "emulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--seed",
            "7",
            "--time-scale",
            "0.01",
            "--heartbeat",
            "5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        info = json.loads(line)
        assert set(info) >= {
            "base_url",
            "organization_id",
            "deployment_id",
            "disabled_deployment_id",
            "auth_deployment_id",
            "queues",
            "client_id",
            "client_secret",
            "member_auth_token",
            "control_token",
        }
        assert info["base_url"].startswith("http://127.0.0.1:") and not info["base_url"].endswith(":0")
        with httpx.Client(base_url=info["base_url"], timeout=10) as http:
            assert http.get("/emulator/v1/info").status_code == 401  # the control API needs the token
            with ControlClient.from_info(info) as control:
                assert control.info() == info
            created = http.post(
                "/api/v2/webchat/guest/conversations",
                json={
                    "organizationId": info["organization_id"],
                    "deploymentId": info["deployment_id"],
                    "routingTarget": {"targetType": "QUEUE", "targetAddress": "Support"},
                    "memberInfo": {"displayName": "CLI"},
                },
            )
            assert created.status_code == 200
        # an attached socket (routing, heartbeats, agent timers running) must not block the shutdown
        with connect(created.json()["eventStreamUri"]) as ws:
            assert json.loads(ws.recv(timeout=10))["metadata"]["type"] == "member-change"
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        assert out.strip() == ""  # exactly one JSON line in total
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_standalone_on_a_busy_port_exits_with_a_clear_message() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "webchat_tui", "emulator", "--host", "127.0.0.1", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 1 and done.stdout == ""
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
