"""FastAPI assembly: routers, vendor-shaped error handlers (no 422, 404/405 as ErrorBody), correlation ids,
fault injection, and the guard (Host allow-list, control token, CORS for the vendor API only).
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webchat_tui.emulator import human_agents, messaging
from webchat_tui.emulator.agents import Director
from webchat_tui.emulator.config import EmulatorConfig, SeedInfo, make_seed, new_control_token
from webchat_tui.emulator.errors import EmulatorError
from webchat_tui.emulator.faults import operation_for
from webchat_tui.emulator.guard import Guard
from webchat_tui.emulator.routes import admin, control, guest, oauth, stream
from webchat_tui.emulator.state import Store

log = logging.getLogger("webchat_tui.emulator")
CORRELATION_HEADER = "inin-correlation-id"


def _context_id(request: Request) -> str:
    state = request.scope.get("state") or {}
    cid = state.get("correlation_id")
    return str(cid) if cid else str(uuid.uuid4())


def error_response(error: EmulatorError, context_id: str) -> Response:
    """The ErrorBody response for `error` (header `inin-correlation-id` == `contextId`)."""
    status, body, headers = error.render(context_id)
    headers[CORRELATION_HEADER] = context_id
    return Response(body, status_code=status, media_type="application/json", headers=headers)


async def _emulator_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EmulatorError)
    return error_response(exc, _context_id(request))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        err = EmulatorError("not.found", message="The requested operation failed with status 404")
    elif exc.status_code == 405:
        err = EmulatorError(
            "method.not.allowed",
            status=405,
            message="HTTP method not allowed for this resource.",
            headers={"Allow": _allowed_methods(request)},  # a 405 must list every method of the path
        )
    else:
        err = EmulatorError("bad.request", status=exc.status_code, message=str(exc.detail))
    return error_response(err, _context_id(request))


_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> str:
    """`Allow` for the request's path: every method some route fully matches (Starlette names only the
    methods of the first route whose path matched)."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    ]
    return ", ".join(allowed)


async def _validation_error(request: Request, exc: Exception) -> Response:
    return error_response(EmulatorError("bad.request"), _context_id(request))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("emulator bug while handling %s %s", request.method, request.url.path)
    return error_response(EmulatorError("internal.server.error"), _context_id(request))


class CorrelationAndFaults:
    """Pure ASGI middleware: a correlation id per HTTP request, and the HTTP rules of the fault plan."""

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context_id = str(uuid.uuid4())
        scope.setdefault("state", {})["correlation_id"] = context_id
        header = (CORRELATION_HEADER.encode(), context_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != header[0]]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        op = operation_for(scope["method"], scope["path"])
        rule = self.store.faults.match_http(op) if op else None
        if rule is None:
            await self.app(scope, receive, send_with_id)
            return
        if not rule.afterHandler:
            if rule.latencyMs:
                await asyncio.sleep(rule.latencyMs / 1000)
            if rule.status:
                await error_response(rule.error(), context_id)(scope, receive, send_with_id)
                return
            try:
                await self.app(scope, receive, send_with_id)
            except ClientDisconnect:
                pass  # the client gave up during the injected latency: nothing to answer, nothing to log
            return
        # Ambiguous failure: the real handler runs (state changes), then the client sees the fault.
        captured: list[Message] = []

        async def capture(message: Message) -> None:
            captured.append(message)

        await self.app(scope, receive, capture)
        if rule.latencyMs:
            await asyncio.sleep(rule.latencyMs / 1000)
        if rule.status:
            await error_response(rule.error(), context_id)(scope, receive, send_with_id)
        else:
            for message in captured:
                await send_with_id(message)


def create_app(config: EmulatorConfig | None = None, seed: SeedInfo | None = None) -> FastAPI:
    """A fully wired emulator app (state lives in `app.state.store`). Without `config.control_token` a random
    one is made (`app.state.control_token`; None when `config.control_auth` is off)."""
    config = config or EmulatorConfig()
    if config.control_auth and not config.control_token:
        config = config.copy(control_token=new_control_token())
    token = config.control_token if config.control_auth else None
    seed = seed or make_seed(config.seed)
    store = Store(config.copy(), seed)  # runtime changes (PUT /config) stay with this app, not the caller's
    director = Director(store)
    app = FastAPI(
        title="webchat-tui emulator", redirect_slashes=False, openapi_url=None, docs_url=None, redoc_url=None
    )
    app.state.store = store
    app.state.director = director
    app.state.control_token = token
    app.add_exception_handler(EmulatorError, _emulator_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
    for module in (guest, admin, oauth, stream, control):
        app.include_router(module.router)
    messaging.install(app, store)
    human_agents.install(app, store, director)
    app.add_middleware(CorrelationAndFaults, store=store)
    app.add_middleware(
        Guard,
        bound_host=config.host,
        public_hosts=config.public_hosts,
        control_token=token,
        expose_headers=[CORRELATION_HEADER, "Retry-After"],
    )
    return app
