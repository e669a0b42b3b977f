"""The 8 admin operations: deployments CRUD (at most 10) and the org's web chat settings (OAuth bearer)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from webchat_tui.emulator.errors import EmulatorError
from webchat_tui.emulator.routes._common import base_url, json_body, json_response, store_of
from webchat_tui.emulator.state import MAX_DEPLOYMENTS

router = APIRouter()
DEPLOYMENTS = "/api/v2/webchat/deployments"
SETTINGS = "/api/v2/webchat/settings"
_STR_FIELDS = ("name", "description", "authenticationUrl")
_BOOL_FIELDS = ("authenticationRequired", "disabled")
SKINS = ("basic", "modern-caret-skin")


def _require(request: Request, permission: str) -> None:
    store_of(request).oauth.require(request.headers.get("authorization"), permission)


def _deployment_wire(request: Request, dep: dict[str, Any]) -> dict[str, Any]:
    return {**dep, "selfUri": f"{base_url(request)}{DEPLOYMENTS}/{dep['id']}"}


def _clean_deployment(data: Any) -> dict[str, Any]:
    """Validate a WebChatDeployment body; keep only known, non-null fields (read-only ones are ignored)."""
    if not isinstance(data, dict):
        raise EmulatorError("bad.request", message="The deployment must be a JSON object.")
    out: dict[str, Any] = {}
    for key in _STR_FIELDS:
        value = data.get(key)
        if value is not None:
            if not isinstance(value, str):
                raise EmulatorError("invalid.value", value, key, "string", params={"field": key})
            out[key] = value
    for key in _BOOL_FIELDS:
        value = data.get(key)
        if value is not None:
            if not isinstance(value, bool):
                raise EmulatorError("invalid.value", value, key, "boolean", params={"field": key})
            out[key] = value
    domains = data.get("allowedDomains")
    if domains is not None:
        if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
            raise EmulatorError("invalid.value", domains, "allowedDomains", "list of strings")
        out["allowedDomains"] = list(domains)
    config = data.get("webChatConfig")
    if config is not None:
        skin = config.get("webChatSkin") if isinstance(config, dict) else None
        if not isinstance(config, dict) or (skin is not None and skin not in SKINS):
            raise EmulatorError("invalid.value", skin, "webChatConfig.webChatSkin", ", ".join(SKINS))
        out["webChatConfig"] = {"webChatSkin": skin} if skin else {}
    flow = data.get("flow")
    if flow is not None:
        if not isinstance(flow, dict) or not isinstance(flow.get("id"), str):
            raise EmulatorError("invalid.value", flow, "flow", "DomainEntityRef with an id")
        out["flow"] = {k: v for k, v in flow.items() if k in ("id", "name", "selfUri") and isinstance(v, str)}
    if not out.get("name", "").strip():
        raise EmulatorError("bad.request", message="A deployment needs a name.", params={"field": "name"})
    return out


def _find(request: Request, deployment_id: str) -> dict[str, Any]:
    dep = store_of(request).deployments.get(deployment_id)
    if dep is None:
        raise EmulatorError("resource.not.found")
    return dep


@router.get(DEPLOYMENTS, operation_id="getWebchatDeployments")
async def list_deployments(request: Request) -> Response:
    """All deployments (no paging)."""
    _require(request, "webchat:deployment:read")
    deps = list(store_of(request).deployments.values())
    return json_response(
        {
            "total": len(deps),
            "entities": [_deployment_wire(request, d) for d in deps],
            "selfUri": f"{base_url(request)}{DEPLOYMENTS}",
        }
    )


@router.post(DEPLOYMENTS, operation_id="postWebchatDeployments")
async def create_deployment(request: Request) -> Response:
    """Create a deployment (200, at most 10 per org)."""
    _require(request, "webchat:deployment:create")
    store = store_of(request)
    dep = _clean_deployment(await json_body(request))
    if len(store.deployments) >= MAX_DEPLOYMENTS:
        raise EmulatorError("maximum.deployments.exceeded")
    dep = {"id": store.ids.new(), **dep}
    dep.setdefault("authenticationRequired", False)
    dep.setdefault("disabled", False)
    store.deployments[dep["id"]] = dep
    return json_response(_deployment_wire(request, dep))


@router.get(DEPLOYMENTS + "/{deploymentId}", operation_id="getWebchatDeployment")
async def get_deployment(request: Request, deploymentId: str) -> Response:  # noqa: N803
    """One deployment."""
    _require(request, "webchat:deployment:read")
    return json_response(_deployment_wire(request, _find(request, deploymentId)))


@router.put(DEPLOYMENTS + "/{deploymentId}", operation_id="putWebchatDeployment")
async def put_deployment(request: Request, deploymentId: str) -> Response:  # noqa: N803
    """Replace a deployment's fields."""
    _require(request, "webchat:deployment:update")
    _find(request, deploymentId)
    dep = _clean_deployment(await json_body(request))
    dep = {"id": deploymentId, **dep}
    dep.setdefault("authenticationRequired", False)
    dep.setdefault("disabled", False)
    store_of(request).deployments[deploymentId] = dep
    return json_response(_deployment_wire(request, dep))


@router.delete(DEPLOYMENTS + "/{deploymentId}", operation_id="deleteWebchatDeployment")
async def delete_deployment(request: Request, deploymentId: str) -> Response:  # noqa: N803
    """Delete a deployment (204)."""
    _require(request, "webchat:deployment:delete")
    _find(request, deploymentId)
    del store_of(request).deployments[deploymentId]
    return Response(status_code=204)


@router.get(SETTINGS, operation_id="getWebchatSettings")
async def get_settings(request: Request) -> Response:
    """The org's settings (defaults to `requireDeployment: false` after a DELETE)."""
    _require(request, "webchat:deployment:read")
    settings = store_of(request).settings
    return json_response(dict(settings) if settings is not None else {"requireDeployment": False})


@router.put(SETTINGS, operation_id="putWebchatSettings")
async def put_settings(request: Request) -> Response:
    """Replace the settings (`requireDeployment` is honoured by create-conversation)."""
    _require(request, "webchat:deployment:update")
    data = await json_body(request)
    if not isinstance(data, dict):
        raise EmulatorError("bad.request", message="The settings must be a JSON object.")
    value = data.get("requireDeployment", False)
    if value is None:
        value = False
    if not isinstance(value, bool):
        raise EmulatorError("invalid.value", value, "requireDeployment", "boolean")
    store_of(request).settings = {"requireDeployment": value}
    return json_response({"requireDeployment": value})


@router.delete(SETTINGS, operation_id="deleteWebchatSettings")
async def delete_settings(request: Request) -> Response:
    """Remove the settings (204); a second DELETE is 404 `resource.not.found`."""
    _require(request, "webchat:deployment:delete")
    store = store_of(request)
    if store.settings is None:
        raise EmulatorError("resource.not.found")
    store.settings = None
    return Response(status_code=204)
