"""`webchat-tui serve`: the guest app in browsers, one app process per tab, all on one emulator.

Built on textual-serve's `Server` (pinned 1.1.3). What this module changes, and why:
- the page is our own template (`templates/app_index.html`): no Google Fonts, everything from this server;
- the websocket URL on the page is built from the `Host` the browser used, so port 0 and any address work;
- a websocket from another site's page (`Origin` not this server) is refused, so a web page the trainee
  visits cannot start app processes here;
- a request whose `Host` is a name other than localhost or a `--public-host` (IP addresses always pass) is
  refused with 400: that is a DNS-rebinding page, whose Origin and Host both carry its own name;
- at most `max_sessions` app processes run at once; on shutdown every app is asked to quit (each leaves its
  chat, so the agent sees the guest go) and any still running after a grace period is killed.

The emulator is started once, here, on 127.0.0.1 and an ephemeral port, and every app process is pointed at
it. Browsers never talk to it: only the app processes, on this machine, do.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import shlex
import signal
import socket
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import WSMsgType, web
from aiohttp.typedefs import Handler
from textual_serve.app_service import AppService
from textual_serve.server import Server

from webchat_tui.emulator.guard import allowed_hosts, normalize_host

__all__ = ["GuestServer", "guest_command", "run_serve"]

log = logging.getLogger("webchat-tui.serve")

TEMPLATES = Path(__file__).resolve().parent / "templates"
STOP_GRACE = 10.0
"""Seconds the app processes get to leave their chats and exit on shutdown before they are killed."""


def guest_command(
    base_url: str,
    organization_id: str,
    deployment_id: str,
    theme: str | None = None,
    *,
    channel: str = "messaging",
    messaging_deployment_id: str = "",
) -> str:
    """The shell command textual-serve runs for each tab. It starts it with a shell, hence the quoting; `exec`
    makes the app the shell's own process, so quitting or killing it reaches the app itself."""
    args = [sys.executable, "-m", "webchat_tui.web.guest", "--base-url", base_url]
    args += ["--org", organization_id, "--deployment", deployment_id, "--channel", channel]
    if messaging_deployment_id:
        args += ["--messaging-deployment", messaging_deployment_id]
    if theme:
        args += ["--theme", theme]
    return "exec " + shlex.join(args)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class GuestServer(Server):
    """textual-serve's server with an offline page, host-relative URLs, an Origin check and a session cap."""

    def __init__(
        self,
        command: str,
        *,
        host: str,
        port: int,
        title: str,
        max_sessions: int,
        public_hosts: Iterable[str] = (),
    ) -> None:
        """`command` is the shell command for one tab's app; `max_sessions` caps app processes at once;
        `public_hosts` are the names (besides IP addresses and localhost) a browser may reach the page by."""
        super().__init__(command, host=host, port=port, title=title, templates_path=TEMPLATES)
        self.max_sessions = max_sessions
        self.host_names = allowed_hosts(host, public_hosts)
        self.services: set[AppService] = set()
        """The app processes running now (one per open tab)."""

    def initialize_logging(self) -> None:
        """Plain log lines on stderr (textual-serve's Rich handler would draw its logo and colours)."""
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # a line per request is noise here

    async def on_startup(self, app: web.Application) -> None:
        """Nothing to print: `run_serve` prints the address once the socket listens."""

    async def on_shutdown(self, app: web.Application) -> None:
        """Ask every app to quit (each leaves its chat), then kill those still running after `STOP_GRACE`."""
        services = list(self.services)
        if not services:
            return
        stopping = asyncio.gather(*(service.stop() for service in services), return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping, STOP_GRACE)
        for service in services:
            process = service._process  # textual-serve keeps no public handle on it
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """The page, with its URLs built from the address the browser used."""
        font_size = request.query.get("fontsize", "16")
        scheme = "wss" if request.secure else "ws"
        return {
            "font_size": int(font_size) if font_size.isdigit() else 16,
            "app_websocket_url": f"{scheme}://{request.host}/ws",
            "config": {"static": {"url": "/static/"}},
            "application": {"name": self.title},
        }

    def host_allowed(self, host: str) -> bool:
        """Whether a `Host` header names this server: an IP address, localhost or a `--public-host` name.
        Any other name is what a DNS-rebinding page sends (its own name, resolved to this machine), and the
        Origin check alone cannot tell that page from ours: both carry the attacker's name."""
        name = normalize_host(host)
        if name in self.host_names:
            return True
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            return False
        return True

    @web.middleware
    async def host_guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse (400) every request whose `Host` is not one of this server's names."""
        if not self.host_allowed(request.host):
            log.warning("refused a request for host %r", request.host)
            raise web.HTTPBadRequest(text="unknown Host: open the address the trainer gave you")
        return await handler(request)

    def _same_origin(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:  # not a browser (browsers always send Origin on a websocket)
            return True
        return urlsplit(origin).netloc.lower() == request.host.lower()

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One browser tab: start an app process and pipe the tab's keys and the app's frames both ways."""
        if not self._same_origin(request):
            log.warning("refused a websocket from origin %r", request.headers.get("Origin"))
            raise web.HTTPForbidden(text="websocket from another origin")
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        if len(self.services) >= self.max_sessions:
            log.warning("refused a tab: %d sessions already running (--max-sessions)", len(self.services))
            await websocket.close(code=1013, message=b"too many sessions; try again later")
            return websocket
        width = _int(request.query.get("width"), 80)
        height = _int(request.query.get("height"), 24)

        async def close() -> None:
            await websocket.close()

        service = AppService(
            self.command,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=close,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        self.services.add(service)
        try:
            await service.start(width, height)
            pump = asyncio.create_task(self._pump(websocket, service))
            app_done = service._task  # set by start(); done when the app process has exited
            assert app_done is not None
            await asyncio.wait({pump, app_done}, return_when=asyncio.FIRST_COMPLETED)
            if not pump.done():  # the app ended (quit, or crashed): end the tab's session too
                pump.cancel()
                await websocket.close()
        except asyncio.CancelledError:
            await websocket.close()
        except Exception:
            log.exception("browser session failed")
        finally:
            try:
                await service.stop()
            finally:
                self.services.discard(service)
        return websocket

    async def _pump(self, websocket: web.WebSocketResponse, service: AppService) -> None:
        """The tab's messages to the app: keys, size, focus (textual-serve's protocol)."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = message.json()
                kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
            except (ValueError, TypeError, IndexError, KeyError):
                continue  # not the page's protocol: ignore rather than end the session
            if kind == "stdin" and isinstance(data, str):
                await service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                await service.set_terminal_size(_int(data.get("width"), 80), _int(data.get("height"), 24))
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()


def _int(value: object, default: int) -> int:
    try:
        return max(1, int(str(value)))
    except ValueError:
        return default


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def _serve(
    server: GuestServer, sock: socket.socket, announce: dict[str, Any], stop_hint: bool = True
) -> None:
    app = await server._make_app()
    app.middlewares.insert(0, server.host_guard)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=STOP_GRACE + 5)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await web.SockSite(runner, sock).start()
        print(json.dumps(announce), flush=True)
        where = announce["url"]
        if server.host in ("0.0.0.0", "::"):  # every interface: the URL as printed is not one to type
            where = f"http://<this machine's address>:{sock.getsockname()[1]}/"
        print(
            f"webchat-tui serve: trainees open {where} in a browser"
            + ("; Ctrl+C stops." if stop_hint else "."),
            file=sys.stderr,
            flush=True,
        )
        await stop.wait()
    finally:
        await runner.cleanup()


def run_serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    api_base: str | None = None,
    organization_id: str | None = None,
    deployment_id: str | None = None,
    theme: str | None = None,
    time_scale: float = 1.0,
    max_sessions: int = 60,
    public_hosts: Iterable[str] = (),
    stop_hint: bool = True,
    channel: str = "messaging",
    messaging_deployment_id: str | None = None,
) -> None:
    """Serve the guest app until SIGINT/SIGTERM. Prints one JSON line once listening:
    `{"url": page URL, "emulator": the emulator's info line, or null with --api-base}`.

    Without `api_base` one emulator is started here and shared by every tab (Web Messaging on its bot-first
    deployment, as the app's local emulator); with it (and the ids), the tabs use that running emulator. The
    tabs' join form starts on `channel`.
    """
    try:
        sock = _bind(host, port)
    except OSError as exc:
        raise SystemExit(
            f"webchat-tui serve: cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None
    emulator: Any = None
    emulator_info: dict[str, Any] | None = None
    try:
        if api_base is None:
            from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig

            emulator = EmbeddedEmulator(EmulatorConfig(host="127.0.0.1", port=0, time_scale=time_scale))
            emulator.start()
            emulator.wait_ready(30.0)
            api_base = emulator.base_url
            organization_id = emulator.seed.organization_id
            deployment_id = emulator.seed.deployment_id
            messaging_deployment_id = emulator.seed.messaging_deployment_id
            emulator_info = emulator.seed.public_dict(emulator.base_url, emulator.control_token)
        if not (organization_id and deployment_id):
            raise SystemExit("webchat-tui serve: --api-base needs --org and --deployment")
        if channel == "messaging" and not messaging_deployment_id:
            raise SystemExit(
                "webchat-tui serve: --api-base needs --messaging-deployment (or --channel webchat)"
            )
        command = guest_command(
            api_base,
            organization_id,
            deployment_id,
            theme,
            channel=channel,
            messaging_deployment_id=messaging_deployment_id or "",
        )
        server = GuestServer(
            command,
            host=host,
            port=port,
            title="webchat-tui",
            max_sessions=max_sessions,
            public_hosts=public_hosts,
        )
        server.initialize_logging()
        bound = sock.getsockname()[1]
        announce = {"url": f"http://{_url_host(host)}:{bound}/", "emulator": emulator_info}
        asyncio.run(_serve(server, sock, announce, stop_hint))
    finally:
        sock.close()
        if emulator is not None:
            emulator.stop()
