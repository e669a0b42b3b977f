"""Attachment rules (protocol.md §8): the checks behind GenerateUrlError codes 4001-4005 and the
presigned upload/download URLs on the emulator's own host (HMAC-signed, time-limited, time-scaled).
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import secrets
import time
import urllib.parse

from webchat_tui.emulator.messaging.deployments import MessagingDeployment

UPLOAD_PATH = "/webmessaging-files/uploads"
DOWNLOAD_PATH = "/webmessaging-files/downloads"
UPLOAD_URL_LIFETIME = 900.0  # seconds before time scaling (the vendor's value is unknown)
DOWNLOAD_URL_LIFETIME = 600.0  # about 10 minutes (protocol.md §11)
MIN_URL_LIFETIME = 5.0  # a scaled lifetime never drops below this, so a slow test machine can still use it
MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # the platform-wide cap for messaging attachments (protocol.md §11)
MAX_FILE_NAME = 255  # behind 4005 (the vendor's limit is unknown)
EICAR_MARKER = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"  # content "scan": such a file fails with 4003
_BAD_NAME_CHARS = set('/\\:*?"<>|')


def extension(file_name: str) -> str:
    """`.ext` in lower case ('' when the name has none)."""
    base = file_name.rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[1].lower() if "." in base.strip(".") else ""


def type_allowed(file_type: str, patterns: list[str]) -> bool:
    """MIME type against the deployment's list (`*/*` and `image/*` wildcards, case-insensitive)."""
    file_type = file_type.lower()
    return any(fnmatch.fnmatchcase(file_type, p.lower()) for p in patterns)


def check_upload(dep: MessagingDeployment, file_name: str, file_type: str, file_size: int) -> tuple[int, str]:
    """(0, '') when an upload may start, else (GenerateUrlError code, message)."""
    if not file_name.strip(". ") or any(ch in _BAD_NAME_CHARS or ord(ch) < 32 for ch in file_name):
        return 4004, "File name is invalid"
    if len(file_name) > MAX_FILE_NAME:
        return 4005, f"File name is longer than {MAX_FILE_NAME} characters"
    ext = extension(file_name)
    if ext and ext in {e.lower() for e in dep.blocked_extensions}:
        return 4001, f"File type {ext} is not allowed"
    if not dep.file_types or dep.max_file_size_kb <= 0:
        return 4001, "Attachments are not enabled for this deployment"
    if not type_allowed(file_type, dep.file_types):
        return 4001, f"File type {file_type} is not allowed"
    if file_size <= 0:
        return 4002, "File is empty"
    if file_size // 1000 > dep.max_file_size_kb:
        return 4002, f"File is larger than {dep.max_file_size_kb} KB"
    return 0, ""


class UrlSigner:
    """Presigned URLs for one emulator process (the key never leaves it)."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def _sign(self, kind: str, attachment_id: str, expires: int) -> str:
        msg = f"{kind}:{attachment_id}:{expires}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def url(self, base: str, kind: str, attachment_id: str, file_name: str, lifetime: float) -> str:
        """`{base}{path}/{id}/{name}?Expires=..&Signature=..` for `kind` "upload" or "download"."""
        expires = int(time.time() + max(MIN_URL_LIFETIME, lifetime)) + 1
        path = UPLOAD_PATH if kind == "upload" else DOWNLOAD_PATH
        name = urllib.parse.quote(file_name, safe="")
        if not name.strip("."):  # "." or ".." would be resolved away by the client's URL normalisation
            name = "file"
        query = urllib.parse.urlencode(
            {"Expires": expires, "Signature": self._sign(kind, attachment_id, expires)}
        )
        return f"{base}{path}/{attachment_id}/{name}?{query}"

    def verify(self, kind: str, attachment_id: str, expires: str | None, signature: str | None) -> str:
        """'' when valid, else why not ('expired' or 'invalid')."""
        if not expires or not signature or not expires.isdigit():
            return "invalid"
        good = self._sign(kind, attachment_id, int(expires))
        if not hmac.compare_digest(good, signature):
            return "invalid"
        if time.time() > int(expires):
            return "expired"
        return ""
