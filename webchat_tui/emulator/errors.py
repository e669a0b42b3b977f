"""The vendor error catalogue (from the swagger's `x-inin-error-codes`) and `EmulatorError` -> ErrorBody.

Every error the emulator returns is built here, so every body has the vendor shape: `message, code, status,
messageWithParams, messageParams, contextId, details, errors` and the `inin-correlation-id` header
equals `contextId`.
"""

from __future__ import annotations

import json
import math
from functools import cache
from typing import Any

from webchat_tui.emulator import spec

# Admin codes come from the 2018 platform swagger (protocol.md §5.4); the admin fragment carries no code
# lists.
_ADMIN_CODES: dict[str, tuple[int, str]] = {
    "resource.not.found": (404, "The resource could not be found."),
    "maximum.deployments.exceeded": (409, "No more than 10 deployments allowed"),
}


class EmulatorError(Exception):
    """An error response in the vendor shape. `code` must exist in the catalogue (or pass `status`)."""

    def __init__(
        self,
        code: str,
        *args: object,
        status: int | None = None,
        message: str | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        known = catalogue().get(code)
        if status is None:
            if known is None:
                raise KeyError(f"unknown error code {code!r}; pass status=")
            status = known[0]
        template = known[1] if known else (message or code)
        self.code = code
        self.status = status
        self.message = message or _fill(template, args)
        self.params = params
        self.headers = headers or {}
        super().__init__(f"{status} {code}: {self.message}")

    def body(self, context_id: str) -> dict[str, Any]:
        """The ErrorBody dict for this error."""
        out: dict[str, Any] = {
            "message": self.message,
            "code": self.code,
            "status": self.status,
            "messageWithParams": self.message,
            "contextId": context_id,
            "details": [],
            "errors": [],
        }
        if self.params:
            out["messageParams"] = dict(self.params)
        return out

    def render(self, context_id: str) -> tuple[int, bytes, dict[str, str]]:
        """(status, JSON bytes, extra headers)."""
        data = json.dumps(self.body(context_id), separators=(",", ":")).encode()
        return self.status, data, dict(self.headers)


def _fill(template: str, args: tuple[object, ...]) -> str:
    if not args:
        return template.replace("[%s]", "[]").replace("%s", "").strip() or template
    parts = template.split("%s")
    out = parts[0]
    for i, rest in enumerate(parts[1:]):
        out += (str(args[i]) if i < len(args) else "") + rest
    return out


@cache
def catalogue() -> dict[str, tuple[int, str]]:
    """code -> (HTTP status, message template), from every guest operation's `x-inin-error-codes`."""
    out: dict[str, tuple[int, str]] = {}
    for _method, _path, op in spec.operations().values():
        for status, resp in op.get("responses", {}).items():
            for code, template in resp.get("x-inin-error-codes", {}).items():
                out.setdefault(code, (int(status), template))
    out.update(_ADMIN_CODES)
    return out


@cache
def codes_for_operation(operation_id: str) -> dict[str, int]:
    """code -> status documented for one guest operation (empty for admin operations, which list none)."""
    _m, _p, op = spec.operations()[operation_id]
    out: dict[str, int] = {}
    for status, resp in op.get("responses", {}).items():
        for code in resp.get("x-inin-error-codes", {}):
            out[code] = int(status)
    return out


def not_active() -> EmulatorError:
    """The real 400 for a message sent before the socket attached (protocol.md §3.5)."""
    return EmulatorError(
        "chat.error.conversation.state",
        message="Conversation State",
        params={"message": "The conversation is not active"},
    )


def checked_number(value: object, name: str, low: float, high: float, *, integer: bool = False) -> float:
    """`value` when it is a finite JSON number (an integer if `integer`) within [low, high]; else 400
    `bad.request` in the vendor shape (so `1e400`, `10**400` and NaN never reach a timer or a header)."""
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        kind = "an integer" if integer else "a number"
        raise EmulatorError("bad.request", message=f"{name} must be {kind} within {low:g}..{high:g}")
    assert isinstance(value, (int, float))
    number = math.inf if isinstance(value, int) and value.bit_length() >= 64 else float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise EmulatorError("bad.request", message=f"{name} must be within {low:g}..{high:g}")
    return number
