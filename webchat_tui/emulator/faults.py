"""Fault plan: HTTP rules (status/code/latency/Retry-After per operation) and websocket faults (drop after N
frames, refuse handshakes, duplicate frames). Randomness comes from a seeded generator so failures replay.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

from webchat_tui.emulator import spec
from webchat_tui.emulator.errors import EmulatorError, catalogue, checked_number


@dataclass
class HttpRule:
    """One HTTP fault rule (see the emulator contract)."""

    operation: str = "*"
    status: int | None = None
    code: str | None = None
    retryAfter: int | None = None  # noqa: N815 - wire name
    latencyMs: int = 0  # noqa: N815
    times: int | None = None
    probability: float = 1.0
    afterHandler: bool = False  # noqa: N815

    def error(self) -> EmulatorError:
        """The ErrorBody this rule returns."""
        assert self.status
        headers = {"Retry-After": str(self.retryAfter)} if self.retryAfter is not None else None
        code = self.code or _default_code(self.status)
        args: tuple[object, ...] = (self.retryAfter,) if self.retryAfter is not None else ()
        known = catalogue().get(code)
        if known is not None and known[0] == self.status:
            return EmulatorError(code, *args, headers=headers)
        return EmulatorError(
            code,
            *args,
            status=self.status,
            headers=headers,
            message=known[1] if known else f"Injected fault {self.status}",
        )


@dataclass
class WebsocketFaults:
    """Websocket fault settings (see the emulator contract)."""

    dropAfterFrames: int = 0  # noqa: N815
    dropTimes: int | None = None  # noqa: N815
    refuseHandshakes: int = 0  # noqa: N815
    refuseStatus: int = 503  # noqa: N815
    duplicateEveryFrames: int = 0  # noqa: N815
    closeCode: int = 1011  # noqa: N815


@dataclass
class FaultPlan:
    """The active fault plan (mutated only on the server loop)."""

    seed: int | None = None
    http: list[HttpRule] = field(default_factory=list)
    websocket: WebsocketFaults = field(default_factory=WebsocketFaults)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def clear(self) -> None:
        """No faults."""
        self.http = []
        self.websocket = WebsocketFaults()

    def replace(self, data: Any) -> None:
        """Replace the plan from its JSON form; 400 on anything malformed (the old plan is kept then)."""
        if not isinstance(data, dict):
            raise EmulatorError("bad.request", message="The fault plan must be a JSON object.")
        unknown = set(data) - {"http", "websocket"}
        if unknown:
            raise EmulatorError("bad.request", message=f"Unknown fault plan keys: {sorted(unknown)}")
        http = data.get("http") or []
        if not isinstance(http, list) or len(http) > MAX_HTTP_RULES:
            raise EmulatorError(
                "bad.request", message=f"http must be a list of at most {MAX_HTTP_RULES} rules"
            )
        rules = [_build(HttpRule, r, "http rule") for r in http]
        for rule in rules:
            if rule.operation != "*" and rule.operation not in _operation_ids():
                raise EmulatorError("bad.request", message=f"Unknown operation {rule.operation!r}.")
            checked_number(rule.probability, "http rule.probability", 0.0, 1.0)
            if rule.status and not 400 <= rule.status <= 599:
                raise EmulatorError("bad.request", message="http rule status must be 400..599 (or 0/null)")
            _in_range(rule, _HTTP_RANGES, "http rule")
        ws = _build(WebsocketFaults, data.get("websocket") or {}, "websocket")
        if not 400 <= ws.refuseStatus <= 599:
            raise EmulatorError("bad.request", message="websocket.refuseStatus must be 400..599")
        if not _sendable_close_code(ws.closeCode):
            raise EmulatorError(
                "bad.request", message="websocket.closeCode must be 1000-1003, 1007-1014 or 3000-4999"
            )
        _in_range(ws, _WEBSOCKET_RANGES, "websocket")
        self.http = rules
        self.websocket = ws

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON."""
        return {"http": [asdict(r) for r in self.http], "websocket": asdict(self.websocket)}

    def match_http(self, operation_id: str) -> HttpRule | None:
        """The first rule that fires for this call (consumes one of its `times`)."""
        for rule in self.http:
            if rule.operation not in ("*", operation_id):
                continue
            if rule.times is not None and rule.times <= 0:
                continue
            if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                continue
            if rule.times is not None:
                rule.times -= 1
            return rule
        return None

    def take_refusal(self) -> int | None:
        """HTTP status to refuse this handshake with, if a refusal is pending."""
        if self.websocket.refuseHandshakes > 0:
            self.websocket.refuseHandshakes -= 1
            return self.websocket.refuseStatus
        return None

    def drop_limit(self) -> int:
        """Frames after which a new connection is dropped (0 = never)."""
        ws = self.websocket
        if ws.dropAfterFrames > 0 and (ws.dropTimes is None or ws.dropTimes > 0):
            return ws.dropAfterFrames
        return 0

    def consume_drop(self) -> int:
        """Account for one dropped connection; returns the close code to use."""
        ws = self.websocket
        if ws.dropTimes is not None and ws.dropTimes > 0:
            ws.dropTimes -= 1
        return ws.closeCode


def _build(cls: Any, data: Any, what: str) -> Any:
    if not isinstance(data, dict):
        raise EmulatorError("bad.request", message=f"{what} must be a JSON object")
    names = set(cls.__dataclass_fields__)
    unknown = set(data) - names
    if unknown:
        raise EmulatorError("bad.request", message=f"Unknown {what} keys: {sorted(unknown)}")
    clean = {
        k: v
        for k, v in data.items()
        if v is not None or k in ("times", "dropTimes", "status", "code", "retryAfter")
    }
    for key, value in clean.items():
        if value is None:
            continue
        expected = cls.__dataclass_fields__[key].type
        ok = (
            isinstance(value, bool)
            if "bool" in expected
            else isinstance(value, (int, float)) and not isinstance(value, bool)
            if "float" in expected
            else isinstance(value, int) and not isinstance(value, bool)
            if "int" in expected
            else isinstance(value, str)
        )
        if not ok:
            raise EmulatorError("bad.request", message=f"{what}.{key}: wrong type {type(value).__name__}")
    return cls(**clean)


MAX_HTTP_RULES = 100
_COUNT = (0, 1_000_000_000)
_HTTP_RANGES: dict[str, tuple[int, int]] = {
    "retryAfter": (0, 86_400),
    "latencyMs": (0, 600_000),
    "times": _COUNT,
}
_WEBSOCKET_RANGES: dict[str, tuple[int, int]] = {
    "dropAfterFrames": _COUNT,
    "dropTimes": _COUNT,
    "refuseHandshakes": _COUNT,
    "duplicateEveryFrames": _COUNT,
}


def _in_range(obj: object, ranges: dict[str, tuple[int, int]], what: str) -> None:
    for name, (low, high) in ranges.items():
        value = getattr(obj, name)
        if value is not None:
            checked_number(value, f"{what}.{name}", low, high, integer=True)


def _sendable_close_code(code: int) -> bool:
    """A close code a server may send (RFC 6455 §7.4: not 1004-1006 or 1015; 3000-4999 for applications)."""
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def _default_code(status: int) -> str:
    return {
        400: "bad.request",
        401: "bad.credentials",
        403: "not.authorized",
        404: "not.found",
        408: "client.timeout",
        409: "request.conflict",
        413: "request.entity.too.large",
        415: "unsupported.media.type",
        429: "too.many.requests.retry.after",
        500: "internal.server.error",
        503: "service.unavailable",
        504: "request.timeout",
    }.get(status, "internal.server.error")


@cache
def _operation_ids() -> frozenset[str]:
    return frozenset(spec.operations())


@cache
def _route_table() -> tuple[tuple[str, re.Pattern[str], str], ...]:
    rows = []
    for op_id, (method, path, _op) in spec.operations().items():
        rows.append((method, re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), op_id))
    return tuple(rows)


def operation_for(method: str, path: str) -> str | None:
    """The operationId of a request, or None (control API, OAuth, unknown paths)."""
    if not path.startswith("/api/v2/webchat/"):
        return None
    for m, pattern, op_id in _route_table():
        if m == method and pattern.match(path):
            return op_id
    return None
