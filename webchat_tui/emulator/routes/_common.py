"""Small helpers shared by the routers: the store, body parsing, base URLs, JSON responses."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from webchat_tui.emulator.errors import EmulatorError
from webchat_tui.emulator.state import Store


def store_of(request: Request) -> Store:
    """The emulator store behind this app."""
    store: Store = request.app.state.store
    return store


def base_url(request: Request, *, websocket: bool = False) -> str:
    """`http(s)://<host the request arrived on>` (or `ws(s)://` for the event stream)."""
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    secure = request.url.scheme in ("https", "wss")
    if websocket:
        return f"{'wss' if secure else 'ws'}://{host}"
    return f"{'https' if secure else 'http'}://{host}"


async def json_body(request: Request, *, allow_empty: bool = False) -> Any:
    """The parsed JSON body; 400 `bad.request` when it is not JSON. Empty body -> None if allowed."""
    raw = await request.body()
    if not raw.strip():
        if allow_empty:
            return None
        raise EmulatorError("bad.request", message="A request body is required.")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise EmulatorError("bad.request", message="The request body is not valid JSON.") from exc


def json_response(data: Any, status: int = 200) -> Response:
    """A compact JSON response (bodies are built as dicts with absent fields omitted)."""
    return Response(
        json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        status_code=status,
        media_type="application/json",
    )


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high]; 400 `invalid.query.param.value` otherwise."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise EmulatorError(
            "invalid.query.param.value",
            raw,
            name,
            f"integers {low}..{high}",
            params={"value": raw, "parameter": name},
        )
    return value


def bool_param(request: Request, name: str, default: bool) -> bool:
    """A boolean query parameter (`true`/`false`, any case)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise EmulatorError(
        "invalid.query.param.value", raw, name, "true, false", params={"value": raw, "parameter": name}
    )
