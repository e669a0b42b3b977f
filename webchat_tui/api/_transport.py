"""The only module that knows the HTTP transport: one long-lived `httpx.AsyncClient` whose wire is aiohttp,
and transport errors mapped to ours.

The client keeps httpx's interface (request building, cookies, `follow_redirects=False`, `MockTransport` for
tests) but sends through aiohttp (`httpx-aiohttp`'s transport, corrected in `_AiohttpWire`): with aiohttp's
C-accelerated HTTP/1.1 parser instead of httpcore + h11 a call costs the client about a third less CPU (0.55
vs 0.86-1.0 ms in benchmark 5, see `benchmarks/PROFILES.md`). Everything above this module sees
`HttpResponse` and `TransportFailure`, so moving to another HTTP library touches this file only.
"""

from __future__ import annotations

import asyncio
import json as _json
import ssl
import sys
import types
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from urllib.request import getproxies, proxy_bypass

if "httpx" not in sys.modules and "httpx._main" not in sys.modules:
    # httpx's package __init__ imports its command-line module, which imports rich (and pygments, click) when
    # they are installed. The api layer must not pull in rich, and the CLI costs ~50 ms of startup, so give
    # httpx a stand-in for that one module. Nothing else in httpx uses it.
    _cli = types.ModuleType("httpx._main")

    def _no_cli(*args: object, **kwargs: object) -> None:
        raise SystemExit("the httpx command line is not available inside webchat_tui")

    _cli.main = _no_cli  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = _cli

import aiohttp  # noqa: E402
import httpx  # noqa: E402
from httpx_aiohttp import AiohttpTransport  # noqa: E402
from yarl import URL  # noqa: E402

from webchat_tui.api._decoding import (
    ACCEPT_ENCODING,
    CHUNK,
    DecodeError,
    UnsupportedEncoding,
    body_decoder,
)
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


# aiohttp's errors as the httpx errors `_classify` understands; the most specific class first. httpx-aiohttp
# 0.2.0's own table maps every `ClientConnectionError` (a server closing the connection mid-response included)
# to `ConnectTimeout`, i.e. "never sent", which would let a retry repeat a POST the server already applied.
_AIOHTTP_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),  # pool wait or TCP/TLS connect: never sent
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, DNS, TLS handshake/certificate
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),  # body cut short or malformed
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # unparsable status line or headers
    (aiohttp.ClientOSError, httpx.ReadError),  # reset after connecting: may have been sent
    (aiohttp.ClientError, httpx.TransportError),
)


_MAX_HEAD = 100 * 1024
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""The largest response body read, counted on the wire and again decoded (JSON documents are small; a Web
Messaging attachment is at most 25 MB). `HttpTransport(max_response_bytes=...)` sets another."""


class ResponseTooLarge(httpx.RemoteProtocolError):
    """The server sent (or announced) a body over the transport's limit, on the wire or once decoded from its
    Content-Encoding; reading stopped there."""


BodySink = Callable[[bytes], None]
BODY_SINK = "webchat_tui.body_sink"
"""Request extension: a callable that takes a 2xx body piece by piece instead of it being held in memory."""
_ENCODED_BODY_HEADERS = (b"content-encoding", b"content-length")


UPLOAD_CHUNK = 64 * 1024
"""Bytes per piece of an upload sent with progress."""


async def _chunks(data: bytes, progress: Callable[[int, int], None]) -> AsyncIterator[bytes]:
    """`data` in `UPLOAD_CHUNK` pieces; after the connection took each one, ``progress(sent, total)``."""
    total = len(data)
    view = memoryview(data)
    for start in range(0, total, UPLOAD_CHUNK):
        piece = bytes(view[start : start + UPLOAD_CHUNK])
        yield piece
        progress(start + len(piece), total)


def _request_body(request: httpx.Request) -> bytes | httpx.AsyncByteStream | None:
    """What aiohttp sends: the bytes httpx holds, or the request's stream when it is sent in pieces."""
    try:
        return request.content or None
    except httpx.RequestNotRead:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        return request.stream


class _AiohttpWire(AiohttpTransport):
    """`httpx_aiohttp.AiohttpTransport` (TLS context from httpx's `verify`, connector limits) with its
    request path replaced, because 0.2.0 gets three things wrong for us:

    - it passes the URL to aiohttp as a string, which yarl re-normalises (`%3A` in an id becomes `:`): we
      pass `URL(..., encoded=True)`, the bytes httpx built;
    - its error table (see `_AIOHTTP_ERRORS`); and aiohttp's parser errors escaped it unmapped;
    - aiohttp's session would keep a second cookie jar beside httpx's: ours is a dummy jar.

    httpx ignores `HTTP(S)_PROXY` / `ALL_PROXY` / `NO_PROXY` once it is given a transport, so the wire applies
    them itself (as httpx did before: read once, when the first request opens the session). aiohttp's own
    `trust_env` is not used: it would also add Basic credentials from ~/.netrc to requests.

    The response body is read whole here (the API's bodies are small JSON documents) instead of being streamed
    chunk by chunk through httpx, and decoded here (aiohttp's and httpx's decoding have no size bound), so
    `max_body` bounds it on the wire and decoded; a download goes to a `BODY_SINK` piece by piece. aiohttp has
    no write timeout; `Timeouts.total` bounds a stalled upload.
    """

    _proxies: dict[str, str] = {}
    max_body: int = MAX_RESPONSE_BYTES

    def _proxy_for(self, url: URL) -> str | None:
        proxy = self._proxies.get(url.scheme) or self._proxies.get("all")
        if proxy is None or proxy_bypass(url.host or ""):
            return None
        return proxy

    def get_client(self) -> aiohttp.ClientSession:
        """One session: pooled keep-alive connections, no cookie jar, no automatic decompression (`_read_body`
        decodes, bounded)."""
        self._proxies = {k: v for k, v in getproxies().items() if k in ("http", "https", "all")}
        connector = aiohttp.TCPConnector(
            limit=self.limits.max_connections or 0,
            keepalive_timeout=self.limits.keepalive_expiry or 0,
            ssl=self.ssl_context,
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            # httpcore accepted a response head up to 100 KiB; aiohttp's default refuses any header line over
            # 8 KiB. Keep what worked before working (a long correlation or set-cookie header).
            max_line_size=_MAX_HEAD,
            max_field_size=_MAX_HEAD,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` through aiohttp and return the whole response."""
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self.get_client()
        timeout = request.extensions.get("timeout", {})
        connect, pool = timeout.get("connect"), timeout.get("pool")
        url = URL(str(request.url), encoded=True)
        try:
            async with self.client.request(
                request.method,
                url,
                proxy=self._proxy_for(url) if self._proxies else None,
                headers=request.headers.multi_items(),
                data=_request_body(request),
                allow_redirects=False,
                compress=False,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=None if connect is None or pool is None else connect + pool,
                    sock_connect=connect,
                    sock_read=timeout.get("read"),
                ),
            ) as response:
                body, decoded = await self._read_body(response, request)
        except aiohttp.ClientError as exc:
            for source, target in _AIOHTTP_ERRORS:
                if isinstance(exc, source):
                    raise target(f"{type(exc).__name__}: {exc}", request=request) from exc
            raise  # pragma: no cover - the table ends with ClientError
        headers = response.raw_headers
        if decoded:  # httpx must not decode again; the length it sets is the decoded one
            headers = tuple((k, v) for k, v in headers if k.lower() not in _ENCODED_BODY_HEADERS)
        return httpx.Response(
            status_code=response.status,
            headers=headers,
            content=body,
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode()},
        )

    async def _read_body(
        self, response: aiohttp.ClientResponse, request: httpx.Request
    ) -> tuple[bytes, bool]:
        """The whole body decoded from its Content-Encoding, and whether it was encoded. Refused past
        `max_body` on the wire (announced or as it streams in) and again once decoded, as it is decoded, so
        neither a huge nor a compressed body (a gzip bomb) makes the client hold much more than that. A 2xx
        body goes to the request's `BODY_SINK` extension instead, when it has one."""
        limit = self.max_body
        announced = response.content_length
        if announced is not None and announced > limit:
            raise ResponseTooLarge(f"response body of {announced} bytes is over {limit}", request=request)
        try:
            decoder = body_decoder(response.headers.getall("Content-Encoding", ()))
        except UnsupportedEncoding as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from None
        sink: BodySink | None = request.extensions.get(BODY_SINK) if 200 <= response.status < 300 else None
        if announced is not None and decoder.identity and sink is None:
            return await response.read(), False
        chunks: list[bytes] = []
        keep = sink or chunks.append
        wire = decoded = 0

        def take(pieces: Iterator[bytes]) -> None:
            nonlocal decoded
            for piece in pieces:
                decoded += len(piece)
                if decoded > limit:
                    raise ResponseTooLarge(
                        f"response body is over {limit} bytes once decoded", request=request
                    )
                keep(piece)

        try:
            async for chunk in response.content.iter_chunked(CHUNK):
                wire += len(chunk)
                if wire > limit:
                    raise ResponseTooLarge(f"response body is over {limit} bytes", request=request)
                take(decoder.feed(chunk))
            take(decoder.finish())
        except DecodeError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from None
        return b"".join(chunks), not decoder.identity


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
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self._timeouts = timeouts
        if isinstance(verify, str):  # a CA bundle path (httpx 0.28 deprecates passing the string itself)
            verify = ssl.create_default_context(cafile=verify)
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=4.0,
        )
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(
                connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool
            ),
            limits=limits,
            verify=verify,
            headers={
                "User-Agent": user_agent,
                "Accept": "application/json",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            transport=mock_transport or self._wire(verify, limits, max_response_bytes),
            follow_redirects=False,
        )

    @staticmethod
    def _wire(verify: bool | ssl.SSLContext, limits: httpx.Limits, max_body: int) -> _AiohttpWire:
        wire = _AiohttpWire(verify=verify, limits=limits)
        wire.max_body = max_body
        return wire

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
        sink: BodySink | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> HttpResponse:
        """Send one request and read the whole response. Raises `TransportFailure` when no response
        arrives. ``content`` sends raw bytes as they are (e.g. a presigned upload); with ``progress`` they
        go in chunks and ``progress(sent, total)`` is called as each one is taken by the connection. With
        ``sink``, a 2xx body is handed to it piece by piece as it arrives (a download to a file) and
        `HttpResponse.content` is empty; the transport's size limit applies the same."""
        send_headers = dict(headers or {})
        payload: bytes | AsyncIterator[bytes] | None = content
        if content is not None and progress is not None:
            send_headers["Content-Length"] = str(len(content))  # a known length: not sent chunked
            payload = _chunks(content, progress)
        elif content is not None:
            pass
        elif json_body is not None:
            payload = _json.dumps(json_body, separators=(",", ":")).encode()
            send_headers["Content-Type"] = "application/json"
        elif form is not None:
            payload = urlencode(dict(form)).encode()
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
                    content=payload,
                    timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
                    extensions={BODY_SINK: sink} if sink is not None else None,
                )
        except httpx.TransportError as exc:
            raise _classify(exc) from None
        except TimeoutError:
            raise TransportFailure(
                "read_timeout", f"no complete response within {self._timeouts.total:g} s", sent=None
            ) from None
        body = response.content
        if sink is not None and response.is_success and body:  # a `mock_transport` read it whole
            sink(body)
            body = b""
        return HttpResponse(
            status=response.status_code,
            headers={sanitize_line(k.lower()): sanitize_line(v) for k, v in response.headers.items()},
            content=body,
            url=str(response.url),
        )

    async def aclose(self) -> None:
        """Close the pool."""
        await self._client.aclose()
