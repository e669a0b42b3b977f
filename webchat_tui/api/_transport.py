"""The only module that imports httpx: one long-lived `httpx.AsyncClient`, and httpx errors mapped to ours.

Everything above this module sees `HttpResponse` and `TransportFailure`, so moving to another HTTP library
(httpx2) touches this file only.
"""

from __future__ import annotations

import asyncio
import json as _json
import ssl
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

if "httpx" not in sys.modules and "httpx._main" not in sys.modules:
    # httpx's package __init__ imports its command-line module, which imports rich (and pygments, click) when
    # they are installed. The api layer must not pull in rich, and the CLI costs ~50 ms of startup, so give
    # httpx a stand-in for that one module. Nothing else in httpx uses it.
    _cli = types.ModuleType("httpx._main")

    def _no_cli(*args: object, **kwargs: object) -> None:
        raise SystemExit("the httpx command line is not available inside webchat_tui")

    _cli.main = _no_cli  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = _cli

import httpx  # noqa: E402

from webchat_tui.api._redact import redact
from webchat_tui.sanitize import sanitize_line

__all__ = ["HttpResponse", "TransportFailure", "Timeouts", "HttpTransport"]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-phase timeouts in seconds (httpx semantics: read is per chunk, not total), and `total` for one
    whole exchange (a server trickling its response a byte at a time never resets it)."""

    connect: float = 5.0
    read: float = 15.0
    write: float = 10.0
    pool: float = 5.0
    total: float = 30.0


@dataclass(slots=True)
class HttpResponse:
    """A fully read HTTP response. Header values are already inert (`sanitize_line`)."""

    status: int
    headers: dict[str, str]
    content: bytes
    url: str = field(default="", repr=False)

    def json(self) -> Any:
        """The body decoded as JSON, or None when empty, not JSON, or nested too deeply to decode."""
        if not self.content:
            return None
        try:
            return _json.loads(self.content)
        except (ValueError, RecursionError):
            return None


class TransportFailure(Exception):
    """No HTTP response. `kind`: connect, connect_timeout, pool_timeout, read_timeout, write_timeout,
    protocol, read, write, other. `sent` is False when the request provably never reached the server."""

    def __init__(self, kind: str, message: str, *, sent: bool | None) -> None:
        self.kind = kind
        self.sent = sent
        super().__init__(redact(sanitize_line(message)))

    @property
    def is_timeout(self) -> bool:
        """True for any timeout."""
        return self.kind.endswith("timeout")


def _classify(exc: httpx.TransportError) -> TransportFailure:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return TransportFailure("connect_timeout", text, sent=False)
    if isinstance(exc, httpx.PoolTimeout):
        return TransportFailure("pool_timeout", text, sent=False)
    if isinstance(exc, httpx.ReadTimeout):
        return TransportFailure("read_timeout", text, sent=None)
    if isinstance(exc, httpx.WriteTimeout):
        return TransportFailure("write_timeout", text, sent=None)
    if isinstance(exc, httpx.ConnectError):
        return TransportFailure("connect", text, sent=False)
    if isinstance(exc, httpx.RemoteProtocolError):
        return TransportFailure("protocol", text, sent=None)
    if isinstance(exc, httpx.ReadError):
        return TransportFailure("read", text, sent=None)
    if isinstance(exc, httpx.WriteError):
        return TransportFailure("write", text, sent=None)
    return TransportFailure("other", text, sent=None)


class HttpTransport:
    """Owns the `httpx.AsyncClient` (connection pool) for the lifetime of a `WebChatClient`.

    `mock_transport` accepts an ``httpx.AsyncBaseTransport`` (e.g. ``httpx.MockTransport``) for tests that
    must fake a real Genesys region; tests against the emulator never use it.
    """

    def __init__(
        self,
        *,
        timeouts: Timeouts,
        verify: bool | str | ssl.SSLContext = True,
        user_agent: str = "webchat-tui",
        mock_transport: Any | None = None,
        max_connections: int = 20,
    ) -> None:
        self._timeouts = timeouts
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(
                connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool
            ),
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=4.0,
            ),
            verify=verify,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            transport=mock_transport,
            follow_redirects=False,
        )

    @property
    def closed(self) -> bool:
        """True once `aclose` ran."""
        return self._client.is_closed

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
        content: bytes | None = None,
    ) -> HttpResponse:
        """Send one request and read the whole response. Raises `TransportFailure` when no response
        arrives. ``content`` sends raw bytes as they are (e.g. a presigned upload)."""
        send_headers = dict(headers or {})
        if content is not None:
            pass
        elif json_body is not None:
            content = _json.dumps(json_body, separators=(",", ":")).encode()
            send_headers["Content-Type"] = "application/json"
        elif form is not None:
            content = urlencode(dict(form)).encode()
            send_headers["Content-Type"] = "application/x-www-form-urlencoded"
        timeout: httpx.Timeout | None = None
        if read_timeout is not None:
            t = self._timeouts
            timeout = httpx.Timeout(connect=t.connect, read=read_timeout, write=t.write, pool=t.pool)
        try:
            async with asyncio.timeout(self._timeouts.total):
                response = await self._client.request(
                    method,
                    url,
                    headers=send_headers,
                    params=dict(params) if params else None,
                    content=content,
                    timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
                )
        except httpx.TransportError as exc:
            raise _classify(exc) from None
        except TimeoutError:
            raise TransportFailure(
                "read_timeout", f"no complete response within {self._timeouts.total:g} s", sent=None
            ) from None
        return HttpResponse(
            status=response.status_code,
            headers={sanitize_line(k.lower()): sanitize_line(v) for k, v in response.headers.items()},
            content=response.content,
            url=str(response.url),
        )

    async def aclose(self) -> None:
        """Close the pool."""
        await self._client.aclose()
