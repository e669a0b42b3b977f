"""`--tls`: a self-signed certificate made at start for 127.0.0.1, ::1, localhost and any public host names,
so the emulator serves https and wss (the vendor's clients hard-code `wss://`). Clients trust it by loading
the PEM named in the start line (`"tls_cert"`). The certificate and its key live in a temporary folder that
is removed when the emulator stops (`TlsFiles.remove`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

CERT_LIFETIME = dt.timedelta(days=30)
DEFAULT_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class TlsFiles:
    """Paths of the PEM certificate (public, for clients) and its private key (mode 0600). `owned_folder` is
    the temporary folder `make_self_signed` created for them (None in a folder the caller chose)."""

    cert: str
    key: str
    owned_folder: str | None = None

    def remove(self) -> None:
        """Delete the temporary folder with the certificate and its key, when `make_self_signed` made it; a
        folder the caller chose is left alone. Idempotent."""
        if self.owned_folder is not None:
            shutil.rmtree(self.owned_folder, ignore_errors=True)


def _san_entries(names: Iterable[str]) -> list[object]:
    from cryptography import x509

    entries: list[object] = []
    seen: set[str] = set()
    for raw in names:
        name = raw.strip().strip("[]").lower()
        if not name or name in seen:
            continue
        seen.add(name)
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return entries


def _permitted(sans: list[object]) -> list[object]:
    """Name-constraint subtrees covering exactly the certificate's own names."""
    from cryptography import x509

    subtrees: list[object] = []
    for entry in sans:
        if isinstance(entry, x509.IPAddress):
            subtrees.append(x509.IPAddress(ipaddress.ip_network(entry.value)))
        else:
            subtrees.append(entry)
    return subtrees


def make_self_signed(hosts: Iterable[str] = (), directory: str | None = None) -> TlsFiles:
    """Write a fresh EC P-256 self-signed certificate for the default names plus `hosts` into `directory`, or
    into a new private temporary folder that `TlsFiles.remove` deletes (the emulator does when it stops)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webchat-tui emulator")])
    now = dt.datetime.now(dt.UTC)
    sans = _san_entries((*DEFAULT_NAMES, *hosts))
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + CERT_LIFETIME)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)  # type: ignore[arg-type]
        # It is its own CA (a trust anchor for clients): constrained to its own names and to no
        # intermediates, so whoever finds its key cannot mint a certificate for any other site.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.NameConstraints(_permitted(sans), None), critical=True)  # type: ignore[arg-type]
        .sign(key, hashes.SHA256())
    )
    owned = None if directory else tempfile.mkdtemp(prefix="webchat-tui-emulator-tls-")
    folder = directory or owned
    assert folder is not None
    cert_path = os.path.join(folder, "emulator-cert.pem")
    key_path = os.path.join(folder, "emulator-key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return TlsFiles(cert_path, key_path, owned)
