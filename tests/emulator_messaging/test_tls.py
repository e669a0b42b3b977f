"""`--tls`: https and wss with a self-signed certificate made at start (its PEM named `tls_cert`), checked by
real TLS handshakes that trust only that PEM; and the standalone start line with the Web Messaging keys.
"""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from cryptography import x509
from websockets.sync.client import connect

from tests.emulator_messaging.helpers import WsGuest, check_frame
from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig

MESSAGING_KEYS = {
    "messaging_ws_url",
    "messaging_deployment_id",
    "messaging_direct_deployment_id",
    "messaging_restricted_deployment_id",
    "messaging_allowed_origin",
    "messaging_auth_deployment_id",
    "messaging_auth_code",
}


@pytest.fixture(scope="module")
def tls_emu() -> Iterator[EmbeddedEmulator]:
    """A second emulator, with `--tls`."""
    with EmbeddedEmulator(
        EmulatorConfig(time_scale=0.02, seed=99, tls=True, public_hosts=("chat.test", "10.1.2.3"))
    ) as emu:
        yield emu


def trust(cert_path: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cert_path)


async def test_https_and_wss_with_the_generated_certificate(tls_emu: EmbeddedEmulator) -> None:
    info = tls_emu.info
    assert info["base_url"].startswith("https://") and info["messaging_ws_url"].startswith("wss://")
    assert MESSAGING_KEYS <= set(info)
    with open(info["tls_cert"], "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) >= {"localhost", "chat.test"}
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} >= {"127.0.0.1", "::1", "10.1.2.3"}
    context = trust(info["tls_cert"])
    dep = tls_emu.messaging_deployment_id
    async with httpx.AsyncClient(verify=context, timeout=30) as http:
        config = await http.get(f"{tls_emu.base_url}/webdeployments/v1/deployments/{dep}/config.json")
        assert config.status_code == 200
        assert config.json()["messenger"]["apps"]["conversations"]["messagingEndpoint"].startswith("wss://")
    g = await WsGuest.open(tls_emu, dep, ssl_context=context)
    try:
        answer = await g.configure()
        assert answer["class"] == "SessionResponse" and answer["body"]["connected"] is True
        assert not g.errors
    finally:
        await g.close()
    with pytest.raises(httpx.ConnectError):  # the default trust store does not know this certificate
        async with httpx.AsyncClient(timeout=30) as http:
            await http.get(f"{tls_emu.base_url}/webdeployments/v1/deployments/{dep}/config.json")


def test_standalone_tls_start_line() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "webchat_tui", "emulator", "--port", "0", "--seed", "5", "--tls"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        info = json.loads(line)
        assert MESSAGING_KEYS | {"tls_cert", "base_url"} <= set(info)
        assert info["messaging_ws_url"] == info["base_url"].replace("https://", "wss://") + "/v1"
        url = f"{info['messaging_ws_url']}?deploymentId={info['messaging_direct_deployment_id']}"
        with connect(url, ssl=trust(info["tls_cert"])) as ws:
            ws.send(
                json.dumps(
                    {
                        "action": "configureSession",
                        "token": "t",
                        "deploymentId": info["messaging_direct_deployment_id"],
                    }
                )
            )
            frame = json.loads(ws.recv(timeout=15))
            check_frame(frame)
            assert frame["class"] == "SessionResponse"
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0 and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
