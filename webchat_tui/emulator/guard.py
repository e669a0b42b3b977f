"""`Guard`: the outermost ASGI middleware. It keeps web pages and DNS rebinding away from the emulator.

- Every route (vendor, control, websocket): the `Host` must be the bound address, `localhost`, `127.0.0.1`,
  `[::1]` or a `--public-host` name; else 400 in the vendor shape.
- The control API (`/emulator/...`): `X-Emulator-Token` must match (401 otherwise, unless the check is off),
  bodies must be `application/json` (415) of at most 1 MiB (413), and no CORS headers are sent.
- The vendor API keeps the CORS a browser client of the real service sees. Every body is capped while it
  streams in (413), so an oversized body is never held whole: `BODY_LIMITS` per path prefix, else
  `DEFAULT_BODY_LIMIT` (routes with larger uploads, such as Web Messaging attachments, check their own).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterable

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webchat_tui.emulator.control_client import TOKEN_HEADER
from webchat_tui.emulator.errors import EmulatorError
from webchat_tui.emulator.routes._common import MAX_REQUEST_BYTES

CONTROL_PREFIX = "/emulator/"
MAX_CONTROL_BODY = 1024 * 1024
BODY_LIMITS: tuple[tuple[str, int], ...] = (
    (CONTROL_PREFIX, MAX_CONTROL_BODY),
    ("/api/v2/webchat/", MAX_REQUEST_BYTES),
    ("/oauth/", MAX_REQUEST_BYTES),
)
DEFAULT_BODY_LIMIT = 32 * 1024 * 1024
CORRELATION_HEADER = "inin-correlation-id"
_TOKEN_HEADER = TOKEN_HEADER.lower().encode()
ALWAYS_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_HOST = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9._-]*)(?::[0-9]{1,5})?")


def normalize_host(value: str) -> str:
    """A `Host` header (or a bind address / public name) without port, lowercased, IPv6 in brackets; '' (no
    name at all) when it is not `name[:port]` or `[ipv6][:port]`, so `localhost:80@evil.example` or
    `[::1]evil` never pass for a loopback name."""
    value = value.strip().lower()
    if value.count(":") > 1 and not value.startswith("["):  # a bare IPv6 bind address (never a Host header)
        return f"[{value}]"
    match = _HOST.fullmatch(value)
    return match.group(1).rstrip(".") if match else ""


def allowed_hosts(bound_host: str, public_hosts: Iterable[str]) -> frozenset[str]:
    """Every `Host` name the emulator answers to."""
    names = {normalize_host(h) for h in (*ALWAYS_ALLOWED_HOSTS, bound_host, *public_hosts)}
    return frozenset(n for n in names if n)


def body_limit(path: str) -> int:
    """The most body bytes a request to `path` may send."""
    for prefix, limit in BODY_LIMITS:
        if path.startswith(prefix):
            return limit
    return DEFAULT_BODY_LIMIT


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


class _BodyTooLarge(EmulatorError):
    def __init__(self, limit: int) -> None:
        super().__init__("request.entity.too.large", limit)


class Guard:
    """Pure ASGI middleware: Host allow-list, control token, control body rules, CORS for the vendor API."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        bound_host: str,
        public_hosts: Iterable[str] = (),
        control_token: str | None,
        expose_headers: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.hosts = allowed_hosts(bound_host, public_hosts)
        self.token = control_token.encode() if control_token is not None else None
        self.vendor = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=list(expose_headers),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        error = self._check(scope)
        if error is not None:
            await _refuse(scope, receive, send, error)
            return
        control = scope["path"].startswith(CONTROL_PREFIX)
        if scope["type"] == "websocket":
            await (self.app if control else self.vendor)(scope, receive, send)
            return
        await (self.app if control else self.vendor)(scope, _capped(receive, body_limit(scope["path"])), send)

    def _check(self, scope: Scope) -> EmulatorError | None:
        host = _header(scope, b"host")
        if host is None or normalize_host(host.decode("latin-1")) not in self.hosts:
            shown = host.decode("latin-1")[:200] if host is not None else ""
            return EmulatorError(
                "bad.request",
                message="The Host header names no address this emulator serves (see --public-host).",
                params={"host": shown},
            )
        if not scope["path"].startswith(CONTROL_PREFIX):
            return None
        if self.token is not None:
            given = _header(scope, _TOKEN_HEADER)
            if given is None:
                return EmulatorError(
                    "authentication.required", message=f"The control API needs the {TOKEN_HEADER} header."
                )
            if not secrets.compare_digest(given, self.token):
                return EmulatorError("bad.credentials", message=f"Wrong {TOKEN_HEADER}.")
        if scope["type"] != "http":
            return None
        length = _header(scope, b"content-length")
        has_body = _header(scope, b"transfer-encoding") is not None or (
            length is not None and length.strip() not in (b"", b"0")
        )
        if has_body:
            content_type = (_header(scope, b"content-type") or b"").decode("latin-1")
            if content_type.split(";", 1)[0].strip().lower() != "application/json":
                return EmulatorError("unsupported.media.type", params={"contentType": content_type[:200]})
        digits = (length or b"").strip()
        if digits.isdigit() and (len(digits) > 12 or int(digits) > MAX_CONTROL_BODY):
            return _BodyTooLarge(MAX_CONTROL_BODY)
        return None


def _capped(receive: Receive, limit: int) -> Receive:
    """`receive` that fails with 413 once more than `limit` body bytes arrived (checked as they stream)."""
    seen = 0

    async def capped_receive() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _BodyTooLarge(limit)
        return message

    return capped_receive


async def _refuse(scope: Scope, receive: Receive, send: Send, error: EmulatorError) -> None:
    """Answer `error` in the vendor shape (a websocket handshake gets it as its denial response)."""
    context_id = str(uuid.uuid4())
    status, body, extra = error.render(context_id)
    headers = [(k.lower().encode(), v.encode()) for k, v in extra.items()]
    headers += [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (CORRELATION_HEADER.encode(), context_id.encode()),
    ]
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        if "websocket.http.response" not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
        return
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
