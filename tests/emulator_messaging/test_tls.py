"""`--tls`: https and wss with a self-signed certificate made at start (its PEM named `tls_cert`), checked by
real TLS handshakes that trust only that PEM; and the standalone start line with the Web Messaging keys.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
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


def _handshake(client: ssl.SSLContext, server: ssl.SSLContext, hostname: str) -> None:
    """A TLS handshake between two contexts over memory buffers (no socket); raises on failure."""
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    c = client.wrap_bio(c_in, c_out, server_hostname=hostname)
    s = server.wrap_bio(s_in, s_out, server_side=True)
    done = {"c": False, "s": False}
    for _ in range(20):
        for name, side in (("c", c), ("s", s)):
            if not done[name]:
                try:
                    side.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            return
    raise AssertionError("handshake did not finish")


def test_the_certificates_key_cannot_vouch_for_other_sites(tls_emu: EmbeddedEmulator, tmp_path: Path) -> None:
    """Users install the emulator's certificate as a trust anchor; whoever finds its key (left in a temp
    folder) must not be able to make a certificate for another site that this trust accepts."""
    assert tls_emu.tls is not None
    issuer = x509.load_pem_x509_certificate(Path(tls_emu.tls.cert).read_bytes())
    issuer_key = serialization.load_pem_private_key(Path(tls_emu.tls.key).read_bytes(), None)
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    forged = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bank.example")]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("bank.example")]), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )
    chain = tmp_path / "forged.pem"
    chain.write_bytes(
        forged.public_bytes(serialization.Encoding.PEM) + issuer.public_bytes(serialization.Encoding.PEM)
    )
    key_file = tmp_path / "forged-key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(chain, key_file)
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(trust(tls_emu.tls.cert), server, "bank.example")
    # The emulator's own certificate still passes the same handshake.
    own = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    own.load_cert_chain(tls_emu.tls.cert, tls_emu.tls.key)
    _handshake(trust(tls_emu.tls.cert), own, "localhost")


def test_the_embedded_emulator_removes_its_certificate_and_key_when_it_stops() -> None:
    emu = EmbeddedEmulator(EmulatorConfig(tls=True))
    with emu:
        assert emu.tls is not None
        cert, key = Path(emu.tls.cert), Path(emu.tls.key)
        assert cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE") and key.stat().st_mode & 0o077 == 0
        assert Path(emu.info["tls_cert"]) == cert
    assert not cert.parent.exists()  # the temporary folder, the private key with it
    with emu:  # started again: a fresh certificate, removed again
        assert emu.tls is not None and Path(emu.tls.cert).exists()
        again = Path(emu.tls.cert).parent
    assert not again.exists()


def test_an_emulator_that_cannot_start_leaves_no_key_behind() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        emu = EmbeddedEmulator(EmulatorConfig(tls=True, port=taken.getsockname()[1]))
        assert emu.tls is not None
        folder = Path(emu.tls.cert).parent
        with pytest.raises(OSError):
            with emu:
                pass
    assert not folder.exists()


def test_a_folder_the_caller_chose_is_kept(tmp_path: Path) -> None:
    from webchat_tui.emulator.tls import make_self_signed

    files = make_self_signed(directory=str(tmp_path))
    files.remove()
    assert Path(files.cert).exists() and Path(files.key).exists()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_emulator_command_removes_its_certificate_and_key_on_exit(stop: signal.Signals) -> None:
    """`webchat-tui emulator --tls` stopped by Ctrl+C or by SIGTERM (a service manager, `kill`) leaves no
    private key behind in the temporary folder; the certificate exists while it serves."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "webchat_tui", "emulator", "--port", "0", "--tls"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(proc.stdout.readline() if proc.stdout else "")
        cert = Path(info["tls_cert"])
        assert cert.exists() and (cert.parent / "emulator-key.pem").exists()
        with httpx.Client(verify=trust(str(cert)), timeout=30) as http:  # serving, with that certificate
            assert http.get(info["base_url"] + "/emulator/v1/info").status_code == 401
        proc.send_signal(stop)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == (0 if stop == signal.SIGINT else -signal.SIGTERM), err
        assert "Traceback" not in err
        assert not cert.parent.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
