"""Writing files without trusting names or the folder.

- `write_private_atomic`: replace a file holding secrets (config, guest tokens) atomically, owner-only,
  through a temporary file with a random name created exclusively without following links, so a file or
  link planted under a guessable name can neither redirect the write nor be written through.
- `save_new_file` / `safe_file_name`: save a download under the name the service gave it, which is remote
  text: it may hold path separators (`../../.bashrc`), be only dots, start with a dot (a hidden file such
  as `.bashrc`), hold control or bidi characters, or name a file that already exists. The file always lands
  in the folder the caller chose, visible, new (never overwriting or following a link), owner-only.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from webchat_tui.sanitize import sanitize_line

__all__ = ["safe_file_name", "save_new_file", "write_private_atomic"]

_EXCLUSIVE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_RESERVED = re.compile(r'[<>:"|?*]')
_MAX_NAME = 200
_FALLBACK = "attachment"


def safe_file_name(name: str | None) -> str:
    """A plain file name from a remote one: its last path part, inert, without leading dots or spaces, with
    no characters that some file systems refuse, at most 200 characters (extension kept); never empty."""
    text = sanitize_line(name or "")
    base = re.split(r"[/\\]", text)[-1]
    base = _RESERVED.sub("_", base).strip(" ").lstrip(".").rstrip(". ")
    if len(base) > _MAX_NAME:
        stem, dot, ext = base.rpartition(".")
        keep = ext if dot and 0 < len(ext) <= 16 else ""
        base = (stem if keep else base)[: _MAX_NAME - len(keep) - 1].rstrip(". ") + (
            f".{keep}" if keep else ""
        )
    return base or _FALLBACK


def save_new_file(directory: Path, name: str | None, data: bytes) -> Path:
    """Write ``data`` to a new file in ``directory`` named after `safe_file_name(name)`, adding ` (2)`,
    ` (3)`... before the extension while the name is taken; returns its path. Raises `OSError`."""
    base = safe_file_name(name)
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem:
        stem, ext = base, ""
    for counter in range(1, 1000):
        candidate = base if counter == 1 else f"{stem} ({counter}){'.' + ext if ext else ''}"
        path = directory / candidate
        try:
            fd = os.open(path, _EXCLUSIVE, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return path
    raise FileExistsError(f"too many files named like {base!r} in {directory}")


def write_private_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (a crash never leaves half a file), mode 0600; the folder is
    created owner-only when missing. Raises `OSError`."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    candidate = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(candidate, _EXCLUSIVE, 0o600)
    tmp: Path | None = candidate  # ours from here on: removed if anything below fails
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(candidate, path)
        tmp = None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
