"""The vendor contract, vendored: the guest swagger (with `x-inin-error-codes`) and the admin fragment.

Copied verbatim from `shared/reference/` so the installed package carries its own oracle. Loaded lazily
and cached.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

GUEST_SWAGGER = "guest-chat-swagger.json"
ADMIN_FRAGMENT = "admin-api-fragment.json"


@cache
def load(name: str) -> dict[str, Any]:
    """Return one vendored spec file, parsed (cached; treat as read-only)."""
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def definitions() -> dict[str, Any]:
    """All schema `definitions` of both files merged (the admin fragment reuses the guest ErrorBody)."""
    merged: dict[str, Any] = {}
    merged.update(load(GUEST_SWAGGER)["definitions"])
    merged.update(load(ADMIN_FRAGMENT)["definitions"])
    return merged


def operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (METHOD, path, operation object) for all 19 operations."""
    out: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for name in (GUEST_SWAGGER, ADMIN_FRAGMENT):
        for path, ops in load(name)["paths"].items():
            for method, op in ops.items():
                out[op["operationId"]] = (method.upper(), path, op)
    return out
