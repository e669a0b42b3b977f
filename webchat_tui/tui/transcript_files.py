"""Where saved transcripts go and how they are written. No Textual here; the chat screen calls
`save_transcript`.

- The default folder is `transcripts` in the user's data directory (platformdirs), e.g.
  `~/.local/share/webchat-tui/transcripts` on Linux; `transcripts_dir` in config.toml or `--transcripts-dir`
  replaces it.
- File names are built only from sanitized parts (the conversation id comes from the server): letters, digits,
  `-` and `_`, so an id holding `/`, `..` or a NUL byte can neither crash the save nor escape the folder.
- Files are created exclusively, without following links, owner-only (0600): transcripts hold personal data.
- Every failure is a `TranscriptSaveError` with a plain-words message; nothing else escapes.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

__all__ = ["TranscriptSaveError", "default_transcripts_dir", "transcript_name", "save_transcript"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_SUFFIXES = {"markdown": "md", "md": "md", "json": "json"}


class TranscriptSaveError(Exception):
    """The transcript could not be written; `str()` says why in plain words (and where)."""


def default_transcripts_dir() -> Path:
    """`transcripts` in the platform's user data directory."""
    import platformdirs  # deferred: only a save (or the info panel) pays for it

    return Path(platformdirs.user_data_path("webchat-tui")) / "transcripts"


def _safe(text: str, limit: int) -> str:
    cleaned = _UNSAFE.sub("-", text).strip("-_")
    return cleaned[:limit].rstrip("-_")


def transcript_name(conversation_id: str | None, kind: str, moment: datetime, counter: int = 1) -> str:
    """`transcript-<first 8 safe characters of the id>-<YYYYmmdd-HHMMSS>[-N].<md|json>`."""
    suffix = _SUFFIXES.get(kind, "md")
    conversation = _safe(conversation_id or "", 8) or "chat"
    stamp = moment.strftime("%Y%m%d-%H%M%S")
    extra = f"-{counter}" if counter > 1 else ""
    return f"transcript-{conversation}-{stamp}{extra}.{suffix}"


def save_transcript(
    directory: Path, conversation_id: str | None, kind: str, body: str, *, moment: datetime | None = None
) -> Path:
    """Write `body` to a new file in `directory` (created owner-only if missing); returns its path.

    Args:
        directory: the transcripts folder.
        conversation_id: the chat's id as the server sent it (sanitized here).
        kind: "markdown" or "json".
        body: the exported transcript.
        moment: the time stamp in the name (default now).

    Raises:
        TranscriptSaveError: the folder or file cannot be created or written.
    """
    moment = moment or datetime.now()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        for counter in range(1, 1000):
            path = directory / transcript_name(conversation_id, kind, moment, counter)
            try:
                fd = os.open(path, flags, 0o600)
            except FileExistsError:
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(body)
            return path
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TranscriptSaveError(f"Could not save the transcript in {directory}: {reason}") from exc
    raise TranscriptSaveError(f"Could not save the transcript in {directory}: too many files with that name")
