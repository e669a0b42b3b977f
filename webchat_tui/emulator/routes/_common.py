"""Small helpers shared by the routers: the store, body parsing, base URLs, JSON responses."""

from __future__ import annotations

import json
import re
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


_INTEGER = re.compile(r"[+-]?[0-9]+")
MAX_REQUEST_BYTES = 1_000_000  # vendor operations: larger bodies get 413 (the real limit is unknown)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _is_json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def json_body(request: Request, *, allow_empty: bool = False, vendor: bool = True) -> Any:
    """The parsed JSON body; 400 `bad.request` when it is not JSON. Empty body -> None if allowed.

    For the vendor operations (`vendor=True`) a body sent with a non-JSON `Content-Type` gets 415
    `unsupported.media.type` and one over `MAX_REQUEST_BYTES` gets 413 `request.entity.too.large`;
    a body without any `Content-Type` is read as JSON. The control API is not held to these rules.
    """
    raw = await request.body()
    if not raw.strip():
        if allow_empty:
            return None
        raise EmulatorError("bad.request", message="A request body is required.")
    if vendor:
        content_type = request.headers.get("content-type")
        if content_type is not None and not _is_json_media_type(content_type):
            raise EmulatorError("unsupported.media.type", params={"contentType": content_type})
        if len(raw) > MAX_REQUEST_BYTES:
            raise EmulatorError("request.entity.too.large", MAX_REQUEST_BYTES)
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
        # A \uD800-\uDFFF escape may leave a lone surrogate, which is not encodable text: refuse it.
        if b"\\ud" in raw or b"\\uD" in raw:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (UnicodeError, ValueError, RecursionError) as exc:
        raise EmulatorError("bad.request", message="The request body is not valid JSON.") from exc
    return data


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
    # Only plain ASCII digits: Python's int() would also take " 5", "1_0" and non-ASCII digits; and at most
    # 18 of them, so a 5,000-digit value is out of range instead of a ValueError from int().
    value = int(raw) if len(raw) <= 18 and _INTEGER.fullmatch(raw) else low - 1
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
