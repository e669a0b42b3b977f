"""Keep secrets (guest JWTs, OAuth tokens, client secrets, member auth tokens) out of logs, reprs and errors.

Two layers:
- a process-wide registry of secret *values*: every secret the client receives or is given is registered, and
  `redact()` replaces each occurrence with ``<redacted>``;
- patterns for things that look like credentials even when unregistered (``Authorization: ...``, ``Bearer
...``,
  ``/token/<jwt>`` in a websocket URL, ``access_token=...``, JWT-shaped strings).

`RedactingFilter` applies both to every record of the loggers it is attached to. Logger filters do not run for
records that propagate up from child loggers, so `install_redaction()` attaches it to the library loggers
*and*
the child loggers they actually log on.
"""

from __future__ import annotations

import logging
import re
import threading

__all__ = [
    "Secret",
    "register_secret",
    "redact",
    "RedactingFilter",
    "install_redaction",
    "get_logger",
    "REDACTED",
]

REDACTED = "<redacted>"

_lock = threading.Lock()
_secrets: set[str] = set()
# Longest first, so a secret that contains another is replaced whole.
_ordered: tuple[str, ...] = ()

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?i)(authorization['\"]?\s*[:=,]\s*\(?['\"]?)(?:bearer\s+|basic\s+)?[^\s'\",)]+"),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    (re.compile(r"(/token/)[^\s/?'\"]+"), r"\1" + REDACTED),
    (
        re.compile(
            r"(?i)((?:access_token|client_secret|jwt|token|memberAuthToken)['\"]?\s*[=:]\s*['\"]?)[^\s&'\",}]+"
        ),
        r"\1" + REDACTED,
    ),
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
)


def register_secret(value: str | None) -> None:
    """Remember ``value`` as a secret so `redact` removes it wherever it appears. Short values are ignored."""
    global _ordered
    if not value or len(value) < 6:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        _ordered = tuple(sorted(_secrets, key=len, reverse=True))


def redact(text: str) -> str:
    """Return ``text`` with every registered secret and every credential-looking substring masked."""
    for secret in _ordered:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class Secret:
    """A string that never shows itself in ``repr``/``str``; call `get()` to use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value)

    def get(self) -> str:
        """The secret value."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('<redacted>')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the formatted message (and drops the args it consumed)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            # Format the traceback now, redacted, so handlers use the cached text.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactingFilter()
_LIBRARY_LOGGERS = (
    "webchat_tui",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "websockets",
    "websockets.client",
    "websockets.server",
    "websockets.protocol",
    # The embedded emulator runs in the same process; uvicorn logs websocket paths (which hold the JWT).
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
)
_installed = False


def install_redaction() -> None:
    """Attach the shared `RedactingFilter` to our, httpx's, httpcore's and websockets' loggers
    (idempotent)."""
    global _installed
    if _installed:
        return
    for name in _LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    _installed = True


def get_logger(name: str) -> logging.Logger:
    """A module logger under ``webchat_tui`` with the redacting filter attached to it directly."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger
