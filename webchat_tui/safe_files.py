"""Writing files without trusting names or the folder.

- `write_private_atomic` / `replacing_file`: replace a file holding secrets (config, guest tokens) or a
  download atomically, owner-only, through a temporary file with a random name created exclusively without
  following links, so a file or link planted under a guessable name can neither redirect the write nor be
  written through.
- `new_file` / `safe_file_name`: save a download under the name the service gave it, which is remote text:
  it may hold path separators (`../../.bashrc`), be only dots, start with a dot (a hidden file such as
  `.bashrc`), hold control or bidi characters, or name a file that already exists. The file always lands in
  the folder the caller chose, visible, new (never overwriting or following a link), owner-only.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from webchat_tui.sanitize import sanitize_line

__all__ = ["safe_file_name", "new_file", "replacing_file", "write_private_atomic"]

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


@contextmanager
def new_file(directory: Path, name: str | None) -> Iterator[tuple[Path, BinaryIO]]:
    """Create a new file in ``directory`` named after `safe_file_name(name)`, adding ` (2)`, ` (3)`...
    before the extension while the name is taken, and yield its path and its open binary handle; removed
    again if the block raises (a download cut short leaves nothing behind). Raises `OSError`."""
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
        with _removed_on_error(path, fd) as out:
            yield path, out
        return
    raise FileExistsError(f"too many files named like {base!r} in {directory}")


@contextmanager
def replacing_file(path: Path) -> Iterator[BinaryIO]:
    """Yield a binary handle whose content replaces ``path`` atomically (mode 0600) when the block ends
    without an error; on an error ``path`` is left as it was. The folder is created owner-only when missing.
    The temporary file has a random name and is created exclusively without following links. Raises
    `OSError`."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    candidate = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(candidate, _EXCLUSIVE, 0o600)
    with _removed_on_error(candidate, fd) as out:
        yield out
        out.close()
        os.replace(candidate, path)


@contextmanager
def _removed_on_error(path: Path, fd: int) -> Iterator[BinaryIO]:
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def write_private_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (a crash never leaves half a file), mode 0600; the folder is
    created owner-only when missing. Raises `OSError`."""
    with replacing_file(path) as out:
        out.write(data)
