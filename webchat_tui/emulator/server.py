"""Runners: `EmbeddedEmulator` (uvicorn in a daemon thread on an ephemeral port) and `run_standalone`
(foreground,
Ctrl+C stops it). uvicorn and FastAPI are imported only when a server actually starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from webchat_tui.emulator.config import (
    EmulatorConfig,
    SeedInfo,
    check_control_token,
    make_seed,
    new_control_token,
)

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

    from webchat_tui.emulator.tls import TlsFiles


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto is IPPROTO_TCP;
    # with proto 0, Nagle + the client's delayed ACK add ~40 ms to every HTTP response after the first.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(256)
    sock.setblocking(False)
    return sock


_FALSE_HANDSHAKE_ERROR = "ASGI callable returned without completing handshake."


class _DeniedHandshakeFilter(logging.Filter):
    """Drops one false error of uvicorn's websockets-sansio implementation (0.54): after the app *denied* a
    handshake with an HTTP response (401 for a bad token, an injected refusal) it still logs that the
    handshake was never completed. The emulator's socket handler always accepts or denies, so the line is
    never a real problem; left in, a standalone user sees an ERROR for every refused reconnect.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the false error, True for everything else."""
        return record.getMessage() != _FALSE_HANDSHAKE_ERROR


MAX_WS_FRAME_BYTES = 1024 * 1024
"""Largest websocket frame a client may send (uvicorn's default is 16 MiB). A guest's largest legitimate frame
is an onMessage with 4,000 characters of text and 2,048 bytes of custom attributes; bigger ones close the
socket with 1009, before they are decoded or recorded."""


def _quiet_denied_handshakes() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DeniedHandshakeFilter) for f in logger.filters):
        logger.addFilter(_DeniedHandshakeFilter())


def _uvicorn_server(
    app: FastAPI, config: EmulatorConfig, log_level: str = "warning", tls: TlsFiles | None = None
) -> uvicorn.Server:
    import uvicorn

    from webchat_tui.emulator.connections import connection_cap, limited_h11, raise_fd_limit

    cap = connection_cap(config.max_connections, raise_fd_limit())
    uv_config = uvicorn.Config(
        app,
        log_level=log_level,
        ssl_certfile=tls.cert if tls else None,
        ssl_keyfile=tls.key if tls else None,
        access_log=config.access_log,
        ws_per_message_deflate=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
        timeout_keep_alive=max(1, round(config.keep_alive_timeout)),
        ws_ping_interval=None,
        ws_max_size=MAX_WS_FRAME_BYTES,
        ws="websockets-sansio",
        http=limited_h11(cap, config.request_read_timeout),
    )
    _quiet_denied_handshakes()  # after uvicorn.Config, which (re)configures its loggers
    for handler in logging.getLogger("uvicorn.access").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)  # stdout carries only the JSON start line, for scripts
    return uvicorn.Server(uv_config)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _with_token(config: EmulatorConfig) -> EmulatorConfig:
    """`config` with its control token settled: the given one, else a fresh random one."""
    if config.control_auth and not config.control_token:
        return config.copy(control_token=new_control_token())
    if config.control_token:
        check_control_token(config.control_token)
    return config


def _make_tls(config: EmulatorConfig) -> TlsFiles | None:
    if not config.tls:
        return None
    from webchat_tui.emulator.tls import make_self_signed

    return make_self_signed((config.host, *config.public_hosts))


class EmbeddedEmulator:
    """The emulator on a background thread. Use as a (sync or async) context manager, or `start()` +
    `wait_ready()` + `stop()`. `seed` and `control_token` (the `X-Emulator-Token` of its control API; None
    when the check is off) are available right after construction; `base_url` once started.
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = _with_token(config or EmulatorConfig())
        self.control_token: str | None = self.config.control_token if self.config.control_auth else None
        self.seed: SeedInfo = make_seed(self.config.seed)
        self.host = self.config.host
        self.port = self.config.port
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._server: uvicorn.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.app: FastAPI | None = None
        self.tls: TlsFiles | None = _make_tls(self.config)

    @property
    def base_url(self) -> str:
        """`http://host:port` (`https` with TLS; no trailing slash)."""
        return f"{'https' if self.tls else 'http'}://{_url_host(self.host)}:{self.port}"

    @property
    def ws_url(self) -> str:
        """`ws://host:port` (`wss` with TLS; event stream URIs come from create-conversation)."""
        return f"{'wss' if self.tls else 'ws'}://{_url_host(self.host)}:{self.port}"

    @property
    def info(self) -> dict[str, Any]:
        """The keys of the standalone start line (seed ids, Web Messaging ids and URL, `tls_cert`)."""
        line = self.seed.public_dict(self.base_url, self.control_token)
        if self.tls:
            line["tls_cert"] = self.tls.cert
        return line

    @property
    def messaging_ws_url(self) -> str:
        """`ws(s)://host:port/v1`: the Web Messaging guest websocket (add `?deploymentId=...`)."""
        return f"{self.ws_url}/v1"

    @property
    def messaging_deployment_id(self) -> str:
        """The seeded Messenger deployment that starts with a bot."""
        return self.seed.messaging_deployment_id

    @property
    def messaging_direct_deployment_id(self) -> str:
        """The seeded Messenger deployment that goes straight to an agent."""
        return self.seed.messaging_direct_deployment_id

    @property
    def messaging_restricted_deployment_id(self) -> str:
        """The seeded Messenger deployment restricted to `messaging_allowed_origin`."""
        return self.seed.messaging_restricted_deployment_id

    @property
    def messaging_allowed_origin(self) -> str:
        """The one Origin the restricted deployment accepts."""
        return self.seed.messaging_allowed_origin

    @property
    def messaging_auth_deployment_id(self) -> str:
        """The seeded Messenger deployment that requires authenticated sessions."""
        return self.seed.messaging_auth_deployment_id

    @property
    def messaging_auth_code(self) -> str:
        """The sign-in code the authenticated deployment accepts (as `data.code` or for the code exchange)."""
        return self.seed.messaging_auth_code

    def start(self) -> None:
        """Bind the port and start serving in a daemon thread (returns at once)."""
        if self._thread is not None:
            return
        if self.tls is not None and not os.path.exists(self.tls.cert):  # removed by an earlier stop()
            self.tls = _make_tls(self.config)
        sock = _bind(self.config.host, self.config.port)
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._run, args=(sock,), name="webchat-emulator", daemon=True)
        self._thread.start()

    def _run(self, sock: socket.socket) -> None:
        try:
            from webchat_tui.emulator.app import create_app

            self.app = create_app(self.config, self.seed)
            self._server = _uvicorn_server(self.app, self.config, tls=self.tls)
            asyncio.run(self._serve(sock))
        except BaseException as exc:  # surfaced by wait_ready()
            self._error = exc
            self._ready.set()

    async def _serve(self, sock: socket.socket) -> None:
        assert self._server is not None
        self._loop = asyncio.get_running_loop()
        task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started and not task.done():
            await asyncio.sleep(0.002)
        if not self._server.started:
            await task  # re-raises the server's error, if it had one
            raise RuntimeError("uvicorn stopped before it started serving")
        self._ready.set()
        await task

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Block until the server accepts connections (raises if it failed or timed out)."""
        if not self._ready.wait(timeout):
            raise TimeoutError(f"emulator not ready after {timeout} s")
        if self._error is not None:
            raise RuntimeError("emulator failed to start") from self._error

    def stop(self, timeout: float = 5.0) -> None:
        """Shut down and join the thread; the `--tls` certificate's temporary folder (key included) is
        removed."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
        if self.tls is not None:
            self.tls.remove()

    def call(self, fn: Any, timeout: float = 10.0) -> Any:
        """Run `fn()` on the server loop (state is only touched there) and return its result."""
        if self._loop is None:
            raise RuntimeError("emulator is not running")

        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def reset(self) -> None:
        """Same as `POST /emulator/v1/reset` (callable from any thread)."""
        assert self.app is not None
        store = self.app.state.store
        self.call(store.reset)

    def __enter__(self) -> EmbeddedEmulator:
        try:
            self.start()
            self.wait_ready()
        except BaseException:
            self.stop()  # nothing left behind: the thread, the `--tls` folder
            raise
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> EmbeddedEmulator:
        try:
            self.start()
            await asyncio.to_thread(self.wait_ready)
        except BaseException:
            await asyncio.to_thread(self.stop)
            raise
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)


def run_standalone(
    host: str = "127.0.0.1",
    port: int = 8765,
    heartbeat_interval: float = 30.0,
    time_scale: float = 1.0,
    seed: int | None = None,
    *,
    control_token: str | None = None,
    control_auth: bool = True,
    public_hosts: tuple[str, ...] = (),
    request_read_timeout: float = 10.0,
    max_connections: int = 4096,
    log_level: str = "warning",
    access_log: bool = False,
    tls: bool = False,
    agents: str = "simulated",
    human_first_timeout: float = 60.0,
    stop_hint: bool = True,
) -> None:
    """Serve in the foreground; print one JSON line with the seed and the control token on stdout once
    listening, then a line for humans on stderr (where, and how to stop unless `stop_hint` is False: a
    supervisor that started this process says how to stop it); Ctrl+C stops cleanly. `log_level` and
    `access_log` go to uvicorn."""
    config = _with_token(
        EmulatorConfig(
            host=host,
            port=port,
            heartbeat_interval=heartbeat_interval,
            time_scale=time_scale,
            seed=seed,
            control_token=control_token,
            control_auth=control_auth,
            public_hosts=public_hosts,
            request_read_timeout=request_read_timeout,
            max_connections=max_connections,
            access_log=access_log,
            tls=tls,
            agents=agents,
            human_first_timeout=human_first_timeout,
        )
    )
    token = config.control_token if control_auth else None
    if not control_auth:
        print(
            "webchat-tui emulator: WARNING: --no-control-auth: the control API (/emulator/v1) takes no "
            "token; any program or web page that reaches this port can drive it",
            file=sys.stderr,
            flush=True,
        )
    seed_info = make_seed(seed)
    try:
        sock = _bind(host, port)
    except OSError as exc:  # port taken, unknown interface, no permission: say so, no traceback
        raise SystemExit(
            f"webchat-tui emulator: cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again under the handler it met:
    # Ctrl+C ends as KeyboardInterrupt; SIGTERM unwinds as `_Terminated` (its default action would kill the
    # process before the `--tls` folder is removed) and is raised once more, as it came, when all is cleaned.
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None
    terminated = False
    tls_files: TlsFiles | None = None
    try:
        tls_files = _make_tls(config)
        with contextlib.suppress(KeyboardInterrupt):
            _serve_standalone(config, seed_info, sock, token, log_level, tls_files, stop_hint)
    except _Terminated:
        terminated = True
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if tls_files is not None:
            tls_files.remove()
        sys.stdout.flush()
    if terminated:
        signal.raise_signal(signal.SIGTERM)


class _Terminated(Exception):
    """SIGTERM arrived: unwind (removing the `--tls` folder), then die of it as the sender expects."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def _serve_standalone(
    config: EmulatorConfig,
    seed_info: SeedInfo,
    sock: socket.socket,
    token: str | None,
    log_level: str,
    tls_files: TlsFiles | None,
    stop_hint: bool = True,
) -> None:
    from webchat_tui.emulator.app import create_app

    host, bound_port = config.host, sock.getsockname()[1]
    server = _uvicorn_server(create_app(config, seed_info), config, log_level=log_level, tls=tls_files)

    async def main() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.002)
        if server.started:
            scheme = "https" if tls_files else "http"
            base_url = f"{scheme}://{_url_host(host)}:{bound_port}"
            line = seed_info.public_dict(base_url, token)
            if tls_files:
                line["tls_cert"] = tls_files.cert
            print(json.dumps(line), flush=True)
            print(
                f"webchat-tui emulator listening on {base_url} (organization {seed_info.organization_id}, "
                f"deployment {seed_info.deployment_id})" + ("; press Ctrl+C to stop." if stop_hint else "."),
                file=sys.stderr,
                flush=True,
            )
        await task

    asyncio.run(main())
