"""Keep secrets (guest JWTs, OAuth tokens, client secrets, member auth tokens) out of logs, reprs and errors.

Two layers:
- registries of secret *values*: each `WebChatClient` owns a bounded `SecretRegistry` of the secrets it
  received or was given (JWTs, OAuth tokens, client secret, member auth token); `register_secret()` adds to a
  bounded process-wide default one. `redact()` replaces every value of every live registry with
  ``<redacted>``. A registry keeps its newest `SecretRegistry.maxsize` values, costs O(1) per insert (sorted
  lazily, once per change, when a line is next redacted) and disappears with its client;
- patterns for things that look like credentials even when unregistered (``Authorization: ...``, ``Bearer
  ...``, ``/token/<jwt>`` in a websocket URL, ``access_token=...``, JWT-shaped strings).

`RedactingFilter` applies both to every record of the loggers it is attached to. Logger filters do not run for
records that propagate up from child loggers, so `install_redaction()` attaches it to the library loggers
*and*
the child loggers they actually log on.
"""

from __future__ import annotations

import logging
import re
import threading
import weakref
from collections import OrderedDict
from typing import Any

__all__ = [
    "Secret",
    "SecretRegistry",
    "register_secret",
    "redact",
    "RedactingFilter",
    "install_redaction",
    "get_logger",
    "REDACTED",
]

REDACTED = "<redacted>"

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


class SecretRegistry:
    """A bounded set of secret values (the newest `maxsize` are kept) that `redact` removes from text.

    Inserting is O(1); the longest-first order `redact` needs is rebuilt lazily, once after a change.
    Every registry alive in the process is consulted by `redact`; it is forgotten when garbage-collected.
    """

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._values: OrderedDict[str, None] = OrderedDict()
        self._ordered: tuple[str, ...] | None = ()
        self._lock = threading.Lock()
        with _registries_lock:
            _registries.add(self)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"SecretRegistry(size={len(self._values)}, maxsize={self.maxsize})"

    def add(self, value: str | None) -> None:
        """Remember ``value`` (shorter than 6 characters: ignored); the oldest is dropped when full."""
        if not value or len(value) < 6:
            return
        with self._lock:
            values = self._values
            if value in values:
                values.move_to_end(value)
                return
            values[value] = None
            if len(values) > self.maxsize:
                values.popitem(last=False)
            self._ordered = None

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._values.clear()
            self._ordered = ()

    def redact(self, text: str) -> str:
        """``text`` with every value of this registry replaced by ``<redacted>``."""
        ordered = self._ordered
        if ordered is None:
            with self._lock:
                # Longest first, so a secret that contains another is replaced whole.
                ordered = self._ordered = tuple(sorted(self._values, key=len, reverse=True))
        for secret in ordered:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


_registries_lock = threading.Lock()
_registries: weakref.WeakSet[SecretRegistry] = weakref.WeakSet()
_DEFAULT = SecretRegistry(maxsize=1024)


def register_secret(value: str | None, registry: SecretRegistry | None = None) -> None:
    """Remember ``value`` as a secret (in ``registry``, else the process-wide default) so `redact` removes it
    wherever it appears. Short values are ignored."""
    (registry if registry is not None else _DEFAULT).add(value)


def redact(text: str) -> str:
    """Return ``text`` with every registered secret and every credential-looking substring masked."""
    with _registries_lock:
        registries = tuple(_registries)
    for registry in registries:
        text = registry.redact(text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class Secret:
    """A string that never shows itself in ``repr``/``str``; call `get()` to use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str, registry: SecretRegistry | None = None) -> None:
        self._value = value
        register_secret(value, registry)

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
    """A logging filter that masks secrets in a record's message and arguments.

    The record keeps its shape: string arguments are redacted in place (a tuple stays a tuple of the same
    length), so handlers that read ``record.args`` themselves (uvicorn's access log formatter) keep working.
    Only when a secret would still appear in the formatted message (split across the format string and an
    argument) is the record flattened to its redacted message.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging; the handler reports it
            message = None
        if message is not None and redact(message) != message:
            self._clean(record)
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            # Format the traceback now, redacted, so handlers use the cached text.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True

    @staticmethod
    def _clean(record: logging.LogRecord) -> None:
        """Redact the arguments in place, keeping their shape; flatten only if that is not enough."""
        args = record.args
        if isinstance(args, tuple) and args:
            record.args = tuple(_redact_arg(a) for a in args)
        elif isinstance(args, dict) and args:
            record.args = {k: _redact_arg(v) for k, v in args.items()}
        try:
            message = record.getMessage()
        except Exception:
            message = None
        if message is None or redact(message) != message:
            original = record.msg
            record.args = args
            try:
                full = record.getMessage()
            except Exception:
                full = str(original)
            record.msg = redact(full)
            record.args = None


def _redact_arg(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bytes | bytearray | int | float | bool) or value is None:
        return value
    text = str(value) if not isinstance(value, BaseException) else repr(value)
    # An object whose text holds a secret is replaced by its redacted text; anything else stays as it is.
    cleaned = redact(text)
    return cleaned if cleaned != text else value


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
    "aiohttp",  # the HTTP wire under httpx (`_transport.py`)
    "aiohttp.client",
    "aiohttp.internal",
    # The embedded emulator runs in the same process; uvicorn logs websocket paths (which hold the JWT).
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
)
_installed = False


def install_redaction() -> None:
    """Attach the shared `RedactingFilter` to our, httpx's, httpcore's, aiohttp's and websockets' loggers
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
