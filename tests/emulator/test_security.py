"""The emulator's guard (issue 8, item 1): control token, Host allow-list, no CORS and JSON-only bounded
bodies on the control API, bounded bursts. Everything against the real emulator over HTTP and websockets.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from tests.emulator.helpers import GUEST, Guest, create_body
from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig
from webchat_tui.emulator.control_client import TOKEN_HEADER, ControlClient

VENDOR_KEYS = {"message", "code", "status", "messageWithParams", "contextId", "details", "errors"}


def assert_vendor_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= VENDOR_KEYS and body["status"] == status
    assert response.headers["inin-correlation-id"] == body["contextId"]
    if code is not None:
        assert body["code"] == code
    return body  # type: ignore[no-any-return]


@pytest.fixture
def raw(emu: EmbeddedEmulator) -> Iterator[httpx.Client]:
    """A plain HTTP client (no token) on the test emulator."""
    with httpx.Client(base_url=emu.base_url, timeout=10.0) as client:
        yield client


# --- the control token ---


def test_control_api_needs_the_token(emu, raw) -> None:
    assert emu.control_token and len(emu.control_token) >= 32
    assert_vendor_error(raw.get("/emulator/v1/info"), 401, "authentication.required")
    assert_vendor_error(raw.get("/emulator/v1/info", headers={TOKEN_HEADER: "wrong"}), 401, "bad.credentials")
    assert_vendor_error(raw.post("/emulator/v1/reset", headers={TOKEN_HEADER: ""}), 401)
    for method, path in (("POST", "/reset"), ("PUT", "/faults"), ("GET", "/conversations"), ("GET", "/nope")):
        assert_vendor_error(raw.request(method, f"/emulator/v1{path}", json={}), 401)
    info = raw.get("/emulator/v1/info", headers={TOKEN_HEADER: emu.control_token})
    assert info.status_code == 200 and info.json()["control_token"] == emu.control_token


def test_token_is_random_per_process_even_with_a_seed() -> None:
    first, second = EmbeddedEmulator(EmulatorConfig(seed=5)), EmbeddedEmulator(EmulatorConfig(seed=5))
    assert first.seed.deployment_id == second.seed.deployment_id
    assert first.control_token and second.control_token and first.control_token != second.control_token
    given = EmbeddedEmulator(EmulatorConfig(seed=5, control_token="my-own-token"))
    assert given.control_token == "my-own-token"
    assert "my-own-token" not in repr(given.config)


def test_a_control_token_must_fit_in_a_header() -> None:
    for bad in ("short", "with space inside", "caf\u00e9-token-value", "x" * 513):
        with pytest.raises(ValueError):
            EmbeddedEmulator(EmulatorConfig(control_token=bad))
    done = subprocess.run(
        [sys.executable, "-m", "webchat_tui", "emulator", "--port", "0", "--control-token", "a b c d e f"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "--control-token" in done.stderr and done.stdout == ""


def test_control_auth_can_be_switched_off_in_process() -> None:
    with EmbeddedEmulator(EmulatorConfig(control_auth=False)) as emu:
        assert emu.control_token is None
        response = httpx.get(f"{emu.base_url}/emulator/v1/info", timeout=10)
        assert response.status_code == 200 and response.json()["control_token"] is None
        with ControlClient.for_emulator(emu) as control:
            assert control.conversations() == []


def _start(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "webchat_tui", "emulator", "--host", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    if not line:
        proc.kill()
        raise AssertionError(f"no start line; stderr: {proc.communicate(timeout=10)[1]}")
    return proc, json.loads(line)


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    try:
        return proc.communicate(timeout=15)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate(timeout=5)[1]


def test_standalone_token_options_and_public_host() -> None:
    proc, info = _start(
        "--seed", "3", "--control-token", "s3cret-token", "--public-host", "chat.example.test"
    )
    try:
        assert info["control_token"] == "s3cret-token"
        base = info["base_url"]
        with httpx.Client(base_url=base, timeout=10) as http:
            assert http.get("/emulator/v1/info").status_code == 401
            assert http.get("/emulator/v1/info", headers={TOKEN_HEADER: "s3cret-token"}).json() == info
            port = base.rsplit(":", 1)[1]
            named = {"Host": f"chat.example.test:{port}", TOKEN_HEADER: "s3cret-token"}
            assert http.get("/emulator/v1/config", headers=named).status_code == 200
            other = {"Host": f"other.example.test:{port}", TOKEN_HEADER: "s3cret-token"}
            assert_vendor_error(http.get("/emulator/v1/config", headers=other), 400, "bad.request")
    finally:
        err = _stop(proc)
    assert "WARNING" not in err
    proc, info = _start("--no-control-auth")
    try:
        assert info["control_token"] is None
        assert httpx.get(f"{info['base_url']}/emulator/v1/info", timeout=10).status_code == 200
    finally:
        err = _stop(proc)
    assert "--no-control-auth" in err and "WARNING" in err


# --- Host allow-list ---


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "attacker.test:80",
        "127.0.0.1.nip.io",
        "localhost.evil",
        "localhost:80@evil.example",
        "[::1]evil.example",
        "localhost:80:81",
        "localhost/evil",
    ],
)
def test_foreign_host_is_refused_on_every_route(emu, raw, host) -> None:
    headers = {"Host": host, TOKEN_HEADER: emu.control_token}
    assert_vendor_error(raw.post(GUEST, json=create_body(emu), headers=headers), 400, "bad.request")
    assert_vendor_error(raw.get("/emulator/v1/info", headers=headers), 400, "bad.request")
    assert_vendor_error(raw.post("/oauth/token", data={"grant_type": "x"}, headers=headers), 400)
    assert_vendor_error(raw.get("/nowhere", headers=headers), 400)


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:1", "127.0.0.1:8", "[::1]:9", "[::1]"])
def test_loopback_names_are_accepted(emu, raw, host) -> None:
    response = raw.get("/emulator/v1/config", headers={"Host": host, TOKEN_HEADER: emu.control_token})
    assert response.status_code == 200, response.text


async def test_websocket_with_a_foreign_host_is_refused(emu, http) -> None:
    created = (await http.post(GUEST, json=create_body(emu))).json()
    uri = created["eventStreamUri"]
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(uri, additional_headers={"Host": "evil.example"})
    assert refused.value.response.status_code == 400
    async with websockets.connect(uri) as ws:  # the real Host still works
        assert json.loads(await ws.recv())["metadata"]["type"] == "member-change"


# --- CORS, content type, sizes ---


def test_control_api_sends_no_cors_headers_and_vendor_api_keeps_them(emu, raw) -> None:
    origin = {"Origin": "https://evil.example"}
    control = raw.get("/emulator/v1/info", headers={**origin, TOKEN_HEADER: emu.control_token})
    assert control.status_code == 200
    assert not [h for h in control.headers if h.lower().startswith("access-control-")]
    preflight = raw.options(
        "/emulator/v1/reset",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": TOKEN_HEADER,
        },
    )
    assert not [h for h in preflight.headers if h.lower().startswith("access-control-")]
    vendor = raw.post(GUEST, json=create_body(emu), headers=origin)
    assert vendor.status_code == 200 and vendor.headers["access-control-allow-origin"] == "*"
    vendor_preflight = raw.options(
        GUEST,
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert vendor_preflight.status_code == 200 and "access-control-allow-origin" in vendor_preflight.headers


def test_control_bodies_must_be_json(emu, raw) -> None:
    token = {TOKEN_HEADER: emu.control_token}
    plain = raw.put(
        "/emulator/v1/config",
        content=b'{"autoAgent": false}',
        headers={**token, "Content-Type": "text/plain"},
    )
    assert_vendor_error(plain, 415, "unsupported.media.type")
    form = raw.put("/emulator/v1/config", data={"autoAgent": "false"}, headers=token)
    assert_vendor_error(form, 415)
    missing = raw.put("/emulator/v1/config", content=b'{"autoAgent": false}', headers=token)
    assert_vendor_error(missing, 415)
    assert raw.post("/emulator/v1/reset", headers=token).status_code == 204  # no body needs no type
    ok = raw.put("/emulator/v1/config", json={"autoAgent": False}, headers=token)
    assert ok.status_code == 200 and ok.json()["autoAgent"] is False


def test_bodies_over_the_limit_get_413(emu, raw) -> None:
    token = {TOKEN_HEADER: emu.control_token, "Content-Type": "application/json"}
    big = json.dumps({"http": [], "pad": "x" * (1024 * 1024)}).encode()
    assert_vendor_error(
        raw.put("/emulator/v1/faults", content=big, headers=token), 413, "request.entity.too.large"
    )

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while the body streams in
        for _ in range(40):
            yield b" " * 65536

    streamed = raw.put("/emulator/v1/faults", content=chunks(), headers=token)
    assert_vendor_error(streamed, 413, "request.entity.too.large")
    vendor = raw.post(GUEST, content=chunks(), headers={"Content-Type": "application/json"})
    assert_vendor_error(vendor, 413, "request.entity.too.large")
    with ControlClient.for_emulator(emu) as control:
        assert control.faults()["http"] == []


async def test_bursts_are_bounded(emu, http, control) -> None:
    guest = await Guest.create(emu, http)
    control.wait_for(lambda: control.conversation(guest.cid)["state"] == "active", timeout=30)
    too_many = control.request(
        "POST", f"/conversations/{guest.cid}/agent/messages", json={"body": "x", "count": 100_001}
    )
    assert too_many.status_code == 400 and "100000" in too_many.json()["message"]
    listed = control.request(
        "POST", f"/conversations/{guest.cid}/agent/messages", json={"bodies": [""] * 100_001}
    )
    assert listed.status_code == 400
    # 2,000 copies of a 900 KB body would hold ~3.6 GB: refused before anything is stored
    huge = control.request(
        "POST", f"/conversations/{guest.cid}/agent/messages", json={"body": "y" * 900_000, "count": 2000}
    )
    assert huge.status_code == 400 and "MB" in huge.json()["message"]
    assert not [e for e in control.record(guest.cid) if e.get("body", "").startswith("y")]
    await guest.close()


# --- no secret in a repr (item 14) ---


def test_no_emulator_object_shows_a_secret_in_its_repr(emu, control) -> None:
    from webchat_tui.emulator.auth import OAuthClient

    secrets = [
        emu.seed.client_secret,
        emu.seed.readonly_client_secret,
        emu.seed.signing_secret,
        emu.seed.member_auth_token,
        emu.control_token,
    ]
    store = emu.app.state.store
    shown = [
        repr(emu.seed),
        str(emu.seed),
        repr(emu.config),
        repr(control),
        repr(store.oauth),
        repr(OAuthClient(emu.seed.client_id, emu.seed.client_secret, frozenset())),
    ]
    for text in shown:
        for secret in secrets:
            assert secret not in text, text
    assert emu.seed.deployment_id in repr(emu.seed)  # ids stay visible


# --- member auth tokens are bound to their deployment (item 17) ---


async def test_member_auth_token_is_checked_against_its_deployment(emu, http) -> None:
    issued = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(emu.seed.client_id, emu.seed.client_secret),
    )
    admin = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    other = await http.post(
        "/api/v2/webchat/deployments",
        json={"name": "Second authenticated chat", "authenticationRequired": True},
        headers=admin,
    )
    assert other.status_code == 200, other.text
    token = emu.seed.member_auth_token  # signed for the seeded auth deployment (`did` claim)
    elsewhere = await http.post(
        GUEST, json=create_body(emu, deploymentId=other.json()["id"], memberAuthToken=token)
    )
    assert_vendor_error(elsewhere, 400, "chat.deployment.bad.auth")
    own = await http.post(
        GUEST, json=create_body(emu, deploymentId=emu.seed.auth_deployment_id, memberAuthToken=token)
    )
    assert own.status_code == 200, own.text


async def test_a_seed_never_makes_a_token_another_emulator_accepts(emu, http) -> None:
    with EmbeddedEmulator(EmulatorConfig(seed=1234)) as twin:  # the test emulator's seed
        assert twin.seed.auth_deployment_id == emu.seed.auth_deployment_id
        body = create_body(
            emu, deploymentId=emu.seed.auth_deployment_id, memberAuthToken=twin.seed.member_auth_token
        )
        assert_vendor_error(await http.post(GUEST, json=body), 400, "chat.deployment.bad.auth")
