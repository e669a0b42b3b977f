"""Connection limits (issue 8, item 6): silent and slowloris connections are closed after a bounded time,
connections beyond the cap get a clear 503, the soft fd limit is raised, and new requests are still served.
Each test runs its own small emulator with short limits, so it takes a few seconds.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig
from webchat_tui.emulator.control_client import ControlClient

resource = pytest.importorskip("resource")


def _open(port: int, count: int) -> list[socket.socket]:
    return [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(count)]


def _closed_by_server(sock: socket.socket, timeout: float) -> bool:
    """True when the server closed `sock` (EOF or reset) within `timeout` seconds."""
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


@pytest.fixture
def small() -> Iterator[EmbeddedEmulator]:
    config = EmulatorConfig(max_connections=20, request_read_timeout=0.5, keep_alive_timeout=30)
    with EmbeddedEmulator(config) as emu:
        yield emu


def test_silent_and_slowloris_connections_are_cut_and_new_requests_served(small) -> None:
    silent = _open(small.port, 15)
    slow = _open(small.port, 10)
    stop = threading.Event()

    def trickle() -> None:  # slowloris: one header byte per socket every 50 ms, never a whole request
        head = b"GET /emulator/v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 10_000
        for index in range(len(head)):
            if stop.is_set():
                return
            for sock in slow:
                try:
                    sock.send(head[index : index + 1])
                except OSError:
                    pass
            time.sleep(0.05)

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    try:
        for sock in silent + slow:
            assert _closed_by_server(sock, timeout=15), "an idle or slow connection stayed open"
        with ControlClient.for_emulator(small) as control:  # a fresh client is served again
            assert control.conversations() == []
    finally:
        stop.set()
        sender.join(5)
        for sock in silent + slow:
            sock.close()


def test_connections_beyond_the_cap_get_a_clear_503(small) -> None:
    clients = [httpx.Client(base_url=small.base_url, timeout=10) for _ in range(20)]
    try:
        for client in clients:  # 20 keep-alive connections, each idle after one request
            assert client.get("/api/v2/webchat/guest/conversations/x/members").status_code == 401
        with httpx.Client(base_url=small.base_url, timeout=10) as extra:
            refused = extra.get("/api/v2/webchat/guest/conversations/x/members")
            assert refused.status_code == 503
            body = refused.json()
            assert body["code"] == "service.unavailable" and body["status"] == 503
            assert refused.headers["retry-after"] == "1"
            assert refused.headers["connection"] == "close"
            assert refused.headers["inin-correlation-id"] == body["contextId"]
        clients.pop().close()  # one connection freed: the next request is served
        with ControlClient.for_emulator(small) as control:
            control.wait_for(lambda: control.request("GET", "/config").status_code == 200, timeout=10)
    finally:
        for client in clients:
            client.close()


def test_soft_fd_limit_is_raised_to_the_hard_one() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == hard or hard == resource.RLIM_INFINITY:
        lowered = min(soft, 256) if soft != resource.RLIM_INFINITY else 256
        if lowered >= hard:
            pytest.skip("the soft fd limit cannot be lowered below the hard one here")
    else:
        lowered = soft
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(lowered, 256), hard))
    try:
        with EmbeddedEmulator(EmulatorConfig()):
            assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_standalone_under_a_low_fd_limit_keeps_serving_past_300_idle_sockets() -> None:
    """The reproduction of the issue: `ulimit -n 256` (soft and hard), 300 idle sockets, then a request."""

    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    proc = subprocess.Popen(
        [sys.executable, "-m", "webchat_tui", "emulator", "--port", "0", "--request-timeout", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # asyncio logs each refused accept; an undrained pipe would block it
        text=True,
        preexec_fn=low_limit,
    )
    idle: list[socket.socket] = []
    try:
        info = json.loads(proc.stdout.readline() if proc.stdout else "")
        port = int(info["base_url"].rsplit(":", 1)[1])
        idle = _open(port, 300)
        with ControlClient.from_info(info, timeout=10) as control:
            first = control.request("GET", "/config")  # answered at once: 503 while over the cap, or 200
            assert first.status_code in (200, 503), first.text
            control.wait_for(lambda: control.request("GET", "/config").status_code == 200, timeout=20)
    finally:
        for sock in idle:
            sock.close()
        proc.terminate()
        proc.communicate(timeout=15)
