"""`MessagingClient`: one guest's Web Messaging connection (websocket + the few REST calls), no session state.

- Websocket ``<ws_url>?deploymentId=...&application=...`` with an optional ``Origin``; RFC 6455 pings every
  15 s (as the vendor's Kotlin transport does); reconnect after a drop with capped, fully jittered backoff
  (`webchat_tui.api._retry.backoff_delay`), for at most `reconnect_deadline` seconds (Kotlin: 300 s).
- Frames are parsed by `frames.parse_frame`; a frame that answers a waiting request (by `tracingId`, else by
  class and a match) resolves it; everything else goes to `on_frame`.
- REST: deployment config (CDN), history pages (JWT from getJwt, walked by the one page helper
  `api.paging`), presigned upload PUT, downloads. httpx is reached only through `webchat_tui.api._transport`.
"""

from __future__ import annotations

import asyncio
import ssl
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.typing import Origin

from webchat_tui.api._redact import get_logger, register_secret
from webchat_tui.api._retry import RetryPolicy, backoff_delay
from webchat_tui.api._transport import MAX_RESPONSE_BYTES, HttpTransport, Timeouts, TransportFailure
from webchat_tui.api.errors import PagingError
from webchat_tui.api.paging import CursorPage, PageLimits, follow_cursor
from webchat_tui.messaging.endpoints import Endpoints, resolve_endpoints
from webchat_tui.messaging.errors import (
    AccessDenied,
    ConnectionLost,
    MessagingError,
    NotFound,
    RequestTimeout,
    UnexpectedServerError,
    error_for,
)
from webchat_tui.messaging.frames import (
    DeploymentConfig,
    ErrorMessage,
    ErrorText,
    GenerateUrlError,
    ProtocolViolation,
    ServerFrame,
    StructuredMessage,
    TooManyRequestsErrorMessage,
    UploadFailureEvent,
    parse_deployment_config,
    parse_frame,
    parse_history_page,
)
from webchat_tui.messaging.requests import Request, encode

__all__ = ["MessagingClient", "frame_error", "APPLICATION"]

log = get_logger("webchat_tui.messaging")

APPLICATION = "webchat-tui-0.1.0"
"""The ``application=`` query value naming this client (the vendor's clients send theirs)."""

FrameHandler = Callable[[ServerFrame], None]
OpenHandler = Callable[[bool], Awaitable[None]]
LostHandler = Callable[[MessagingError], None]

_ERROR_CLASSES = frozenset({"string", "TooManyRequestsErrorMessage", "Error"})


def frame_error(frame: ServerFrame) -> MessagingError | None:
    """The typed error a frame carries, or None for a success frame."""
    body = frame.body
    if isinstance(body, TooManyRequestsErrorMessage):
        return error_for(body.error_code or 4029, body.error_message or None, retry_after=body.retry_after)
    if isinstance(body, GenerateUrlError | UploadFailureEvent | ErrorMessage):
        return error_for(body.error_code or frame.code, body.error_message or None)
    if isinstance(body, ErrorText):
        return error_for(frame.code, body.text or None) if frame.code != 200 else None
    if frame.code != 200:
        return error_for(frame.code, None)
    return None


@dataclass(slots=True)
class _Waiter:
    classes: frozenset[str]
    future: asyncio.Future[ServerFrame]
    match: Callable[[ServerFrame], bool] | None = None
    accepts_errors: bool = True


@dataclass(slots=True)
class _Stats:
    connects: int = 0
    drops: int = 0
    frames_in: int = 0
    frames_out: int = 0
    unparsable: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class MessagingClient:
    """The transport of one guest: websocket (with reconnect), request/answer matching, and REST calls.

    Give ``environment=`` (a region, e.g. ``"mypurecloud.ie"``) or ``base_url=`` (e.g. the emulator's
    ``http://127.0.0.1:8765``). ``origin`` is sent as the ``Origin`` header of the upgrade and of REST calls
    (needed when the deployment restricts domains). ``verify`` is passed to TLS (a CA file path for the
    emulator's ``--tls``). ``max_response_bytes`` bounds every HTTP body (history, config, JWT exchange,
    downloads), counted on the wire and again decoded.
    """

    def __init__(
        self,
        deployment_id: str,
        *,
        environment: str | None = None,
        base_url: str | None = None,
        origin: str | None = None,
        application: str = APPLICATION,
        verify: bool | str | ssl.SSLContext = True,
        ping_interval: float | None = 15.0,
        ping_timeout: float | None = 15.0,
        open_timeout: float = 10.0,
        request_timeout: float = 20.0,
        reconnect_policy: RetryPolicy | None = None,
        reconnect_deadline: float = 300.0,
        mock_transport: Any | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.deployment_id = deployment_id
        self.endpoints: Endpoints = resolve_endpoints(environment=environment, base_url=base_url)
        self.origin = origin
        self.application = application
        self.verify = verify
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.open_timeout = open_timeout
        self.request_timeout = request_timeout
        self.reconnect_policy = reconnect_policy or RetryPolicy(
            max_attempts=1_000_000, base_delay=0.25, max_delay=5.0, deadline=None
        )
        self.reconnect_deadline = reconnect_deadline
        self.on_frame: FrameHandler = lambda frame: None
        self.on_open: OpenHandler | None = None
        self.on_lost: LostHandler = lambda error: None
        self.on_drop: Callable[[], None] = lambda: None
        http_verify: bool | ssl.SSLContext = (
            ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify
        )
        self._http = HttpTransport(
            timeouts=Timeouts(),
            verify=http_verify,
            user_agent=application,
            mock_transport=mock_transport,
            max_response_bytes=max_response_bytes,
        )
        self._ws: ClientConnection | None = None
        self._runner: asyncio.Task[None] | None = None
        self._waiters: dict[str, _Waiter] = {}
        self._opened: asyncio.Future[None] | None = None
        self._stopping = False
        self.stats = _Stats()

    def __repr__(self) -> str:
        return f"MessagingClient(ws_url={self.endpoints.ws_url!r}, deployment_id={self.deployment_id!r})"

    @property
    def ws_url(self) -> str:
        """The full websocket URL with its query."""
        query = urlencode({"deploymentId": self.deployment_id, "application": self.application})
        return f"{self.endpoints.ws_url}?{query}"

    @property
    def connected(self) -> bool:
        """True while a websocket is open."""
        return self._ws is not None

    # ----------------------------------------------------------------------------------------------------
    # Connection

    async def open(self) -> None:
        """Open the websocket and keep it open (reconnecting) until `close`. Returns once the first
        connection is up and `on_open(True)` has run; raises `AccessDenied` on HTTP 403 at the upgrade
        (unknown deployment, Origin not allowed), `ConnectionLost` when the service cannot be reached."""
        if self._runner is not None:
            return
        self._stopping = False
        loop = asyncio.get_running_loop()
        self._opened = loop.create_future()
        self._runner = asyncio.create_task(self._run(), name="webmessaging-socket")
        try:
            await self._opened
        except BaseException:
            await self.close()
            raise

    def _ssl(self) -> ssl.SSLContext | None:
        if not self.endpoints.ws_url.startswith("wss:"):
            return None
        if isinstance(self.verify, ssl.SSLContext):
            return self.verify
        if isinstance(self.verify, str):
            return ssl.create_default_context(cafile=self.verify)
        if self.verify is False:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        return ssl.create_default_context()

    async def _connect_once(self) -> ClientConnection:
        headers = {"deploymentId": self.deployment_id}
        try:
            return await connect(
                self.ws_url,
                origin=Origin(self.origin) if self.origin else None,
                additional_headers=headers,
                user_agent_header=self.application,
                open_timeout=self.open_timeout,
                ping_interval=self.ping_interval,
                ping_timeout=self.ping_timeout,
                max_size=2**22,
                compression=None,
                ssl=self._ssl(),
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status == 403:
                raise AccessDenied(f"HTTP {status} on the websocket upgrade") from None
            if status in (400, 404):
                raise NotFound(f"HTTP {status} on the websocket upgrade", code=status) from None
            raise ConnectionLost(f"HTTP {status} on the websocket upgrade") from None
        except InvalidURI as exc:
            raise AccessDenied(f"not a websocket URL: {exc}") from None
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            raise ConnectionLost(type(exc).__name__) from None

    async def _run(self) -> None:
        first = True
        loop = asyncio.get_running_loop()
        lost_since: float | None = None
        attempt = 0
        while not self._stopping:
            try:
                ws = await self._connect_once()
            except MessagingError as exc:
                if first:
                    self._resolve_opened(exc)
                    return
                if isinstance(exc, AccessDenied | NotFound):
                    self.on_lost(exc)
                    return
                now = loop.time()
                lost_since = lost_since if lost_since is not None else now
                if now - lost_since > self.reconnect_deadline:
                    self.on_lost(ConnectionLost("gave up reconnecting"))
                    return
                await asyncio.sleep(backoff_delay(attempt, self.reconnect_policy))
                attempt += 1
                continue
            self._ws = ws
            self.stats.connects += 1
            reader = asyncio.create_task(self._read(ws), name="webmessaging-reader")
            try:
                if self.on_open is not None:
                    await self.on_open(first)
            except MessagingError as exc:
                if first:
                    reader.cancel()
                    await ws.close()
                    self._ws = None
                    self._resolve_opened(exc)
                    return
                log.debug("re-configure after reconnect failed: %s", exc)
            except asyncio.CancelledError:
                reader.cancel()
                raise
            if first:
                first = False
                self._resolve_opened(None)
            attempt = 0
            lost_since = None
            await asyncio.wait({reader})
            self._ws = None
            self._fail_waiters(ConnectionLost("the connection dropped"))
            if self._stopping:
                return
            self.stats.drops += 1
            self.on_drop()
            lost_since = loop.time()
            await asyncio.sleep(backoff_delay(0, self.reconnect_policy))

    def _resolve_opened(self, error: BaseException | None) -> None:
        opened = self._opened
        if opened is not None and not opened.done():
            if error is None:
                opened.set_result(None)
            else:
                opened.set_exception(error)

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                self.stats.frames_in += 1
                try:
                    frame = parse_frame(raw)
                except ProtocolViolation as exc:
                    self.stats.unparsable += 1
                    log.debug("ignored a frame: %s", exc)
                    continue
                try:
                    self._dispatch(frame)
                except Exception:
                    log.exception("a frame handler failed")
        except ConnectionClosed:
            pass
        # Whoever waits for an answer on this socket (a re-configure in `on_open` among them) learns now.
        self._fail_waiters(ConnectionLost("the connection dropped"))

    def drop(self) -> None:
        """Close the current socket abruptly (tests, and `close_elsewhere` handling); reconnect follows."""
        ws = self._ws
        if ws is not None:
            ws.transport.abort()

    async def close(self) -> None:
        """Close the websocket (code 1000) and the HTTP pool; no reconnect. Idempotent."""
        self._stopping = True
        ws = self._ws
        if ws is not None:
            try:
                await asyncio.wait_for(ws.close(1000, "Guest client disconnect"), 5.0)
            except (TimeoutError, ConnectionClosed, OSError):
                pass
        runner = self._runner
        self._runner = None
        if runner is not None and runner is not asyncio.current_task():
            runner.cancel()
            try:
                await runner
            except (asyncio.CancelledError, Exception):
                pass
        self._ws = None
        self._fail_waiters(ConnectionLost("the client was closed"))
        if not self._http.closed:
            await self._http.aclose()

    async def stop_socket(self) -> None:
        """Close the websocket and stop reconnecting, keeping the HTTP pool (history stays readable)."""
        self._stopping = True
        ws = self._ws
        if ws is not None:
            try:
                await asyncio.wait_for(ws.close(1000, "Guest client disconnect"), 5.0)
            except (TimeoutError, ConnectionClosed, OSError):
                pass

    # ----------------------------------------------------------------------------------------------------
    # Requests

    async def send(self, request: Request) -> None:
        """Write one request (no answer expected). Raises `ConnectionLost` when no socket is open."""
        ws = self._ws
        if ws is None:
            raise ConnectionLost("not connected")
        register_secret(request.token)
        try:
            await ws.send(encode(request))
        except ConnectionClosed:
            raise ConnectionLost("the connection dropped while sending") from None
        self.stats.frames_out += 1

    def expect(
        self,
        tracing_id: str,
        classes: frozenset[str],
        match: Callable[[ServerFrame], bool] | None = None,
        *,
        accepts_errors: bool = True,
    ) -> asyncio.Future[ServerFrame]:
        """Register interest in the frame answering ``tracing_id`` (or, without one, the first frame of one of
        ``classes`` that passes ``match``); error frames resolve it too when ``accepts_errors``."""
        future: asyncio.Future[ServerFrame] = asyncio.get_running_loop().create_future()
        self._waiters[tracing_id] = _Waiter(classes, future, match, accepts_errors)
        return future

    def forget(self, tracing_id: str) -> None:
        """Stop waiting for ``tracing_id``."""
        waiter = self._waiters.pop(tracing_id, None)
        if waiter is not None and not waiter.future.done():
            waiter.future.cancel()

    async def request(
        self,
        request: Request,
        classes: frozenset[str],
        match: Callable[[ServerFrame], bool] | None = None,
        *,
        timeout: float | None = None,
    ) -> ServerFrame:
        """Send ``request`` and wait for its answer. Raises the typed error of an error answer,
        `RequestTimeout`, or `ConnectionLost`."""
        if request.tracing_id is None:
            request.tracing_id = str(uuid.uuid4())
        tracing_id = request.tracing_id
        future = self.expect(tracing_id, classes, match)
        try:
            await self.send(request)
            frame = await asyncio.wait_for(future, timeout or self.request_timeout)
        except TimeoutError:
            raise RequestTimeout(f"no answer to {request.action}") from None
        finally:
            self.forget(tracing_id)
        error = frame_error(frame)
        if error is not None:
            raise error
        return frame

    def _dispatch(self, frame: ServerFrame) -> None:
        waiter_key: str | None = None
        if frame.tracing_id is not None and frame.tracing_id in self._waiters:
            waiter_key = frame.tracing_id
        else:
            is_error = frame.class_name in _ERROR_CLASSES
            for key, waiter in self._waiters.items():
                if waiter.future.done():
                    continue
                if is_error and waiter.accepts_errors and frame.tracing_id is None:
                    waiter_key = key
                    break
                if frame.class_name in waiter.classes and (waiter.match is None or waiter.match(frame)):
                    waiter_key = key
                    break
        handled = False
        if waiter_key is not None:
            waiter = self._waiters.pop(waiter_key)
            if not waiter.future.done():
                waiter.future.set_result(frame)
            handled = True
        if isinstance(frame.body, StructuredMessage) or not handled:
            self.on_frame(frame)

    def _fail_waiters(self, error: MessagingError) -> None:
        waiters = list(self._waiters.values())
        self._waiters.clear()
        for waiter in waiters:
            if not waiter.future.done():
                waiter.future.set_exception(error)

    # ----------------------------------------------------------------------------------------------------
    # REST

    def _rest_headers(self, jwt: str | None = None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.origin:
            headers["Origin"] = self.origin
        if jwt is not None:
            headers["Authorization"] = f"Bearer {jwt}"
        return headers

    async def _get(self, url: str, *, jwt: str | None = None, params: Mapping[str, str] | None = None) -> Any:
        try:
            response = await self._http.request("GET", url, headers=self._rest_headers(jwt), params=params)
        except TransportFailure as exc:
            raise ConnectionLost(str(exc)) from None
        if response.status >= 300:  # no redirect is followed: a 3xx is an error
            raise error_for(response.status, f"HTTP {response.status} from {url.split('?')[0]}")
        return response.json()

    async def deployment_config(self) -> DeploymentConfig:
        """The deployment's configuration document (protocol.md §10.1)."""
        data = await self._get(self.endpoints.config_url(self.deployment_id))
        try:
            return parse_deployment_config(data)
        except ProtocolViolation as exc:
            raise UnexpectedServerError(str(exc)) from None

    async def history(self, jwt: str, *, page_size: int = 100) -> list[StructuredMessage]:
        """Every message of the conversation from the history API, oldest first (pages come newest first)."""
        register_secret(jwt)

        held = 0

        async def fetch(cursor: str | None) -> CursorPage[StructuredMessage]:
            nonlocal held
            number = int(cursor) if cursor else 1  # the page number is the cursor
            data = await self._get(
                self.endpoints.history_url,
                jwt=jwt,
                params={"pageSize": str(page_size), "pageNumber": str(number)},
            )
            try:
                page = parse_history_page(data)
            except ProtocolViolation as exc:
                raise UnexpectedServerError(str(exc)) from None
            held += len(page.entities)
            last = (
                not page.entities
                or (page.total > 0 and held >= page.total)
                or (page.page_count > 0 and number >= page.page_count)
            )
            return CursorPage(page.entities, None if last else str(number + 1))

        newest_first: list[StructuredMessage] = []
        try:
            async for page in follow_cursor(
                fetch, after=None, limits=PageLimits(), operation="Web Messaging history"
            ):
                newest_first.extend(page.items)
        except PagingError as exc:
            raise UnexpectedServerError(str(exc)) from None
        newest_first.reverse()
        return newest_first

    async def exchange_code(
        self, code: str, redirect_uri: str, *, code_verifier: str | None = None
    ) -> tuple[str, str | None]:
        """Authenticated sessions (protocol.md §10.2): trade the identity provider's authorization code for
        the Genesys JWT that `configureAuthenticatedSession` takes; returns ``(jwt, refresh_token)``."""
        oauth: dict[str, str] = {"code": code, "redirectUri": redirect_uri}
        if code_verifier is not None:
            oauth["codeVerifier"] = code_verifier
        url = f"{self.endpoints.api_url}/api/v2/webdeployments/token/oauthcodegrantjwtexchange"
        body = {"deploymentId": self.deployment_id, "oauth": oauth}
        try:
            response = await self._http.request("POST", url, headers=self._rest_headers(), json_body=body)
        except TransportFailure as exc:
            raise ConnectionLost(str(exc)) from None
        if response.status >= 300:
            raise error_for(response.status, f"HTTP {response.status} on the code exchange")
        data = response.json()
        jwt = data.get("jwt") if isinstance(data, dict) else None
        if not isinstance(jwt, str) or not jwt:
            raise UnexpectedServerError("the code exchange returned no JWT")
        register_secret(jwt)
        refresh = data.get("refreshToken")
        if isinstance(refresh, str):
            register_secret(refresh)
        return jwt, refresh if isinstance(refresh, str) else None

    async def revoke(self, jwt: str) -> None:
        """Sign an authenticated guest out (``DELETE .../token/revoke``); the service pushes LogoutEvent."""
        url = f"{self.endpoints.api_url}/api/v2/webdeployments/token/revoke"
        try:
            response = await self._http.request("DELETE", url, headers=self._rest_headers(jwt))
        except TransportFailure as exc:
            raise ConnectionLost(str(exc)) from None
        if response.status >= 300:
            raise error_for(response.status, f"HTTP {response.status} on the sign-out")

    async def put_upload(
        self,
        url: str,
        headers: Mapping[str, str],
        data: bytes,
        content_type: str,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """HTTP PUT the file to a presigned URL with every header it came with; ``progress(sent, total)`` is
        called as the bytes go out."""
        send = {"Content-Type": content_type, **dict(headers)}
        try:
            response = await self._http.request("PUT", url, headers=send, content=data, progress=progress)
        except TransportFailure as exc:
            raise ConnectionLost(str(exc)) from None
        if response.status >= 300:
            raise error_for(response.status, f"HTTP {response.status} on the upload")

    async def download(self, url: str, out: BinaryIO) -> int:
        """Write the file at a download URL to ``out`` as it arrives (decoded from any Content-Encoding);
        returns the bytes written. Over `max_response_bytes` (on the wire or decoded) it stops with
        `ConnectionLost`, having written at most that much."""
        written = 0

        def sink(piece: bytes) -> None:
            nonlocal written
            out.write(piece)
            written += len(piece)

        try:
            response = await self._http.request("GET", url, headers=self._rest_headers(), sink=sink)
        except TransportFailure as exc:
            raise ConnectionLost(str(exc)) from None
        if response.status >= 300:
            raise error_for(response.status, f"HTTP {response.status} on the download")
        return written
