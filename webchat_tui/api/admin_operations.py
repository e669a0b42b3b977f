"""The 8 admin operations (deployments and settings), authorised with an OAuth client-credentials token."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from webchat_tui.api._retry import OpClass
from webchat_tui.api.client_core import ADMIN_PATH, ClientCore, M
from webchat_tui.api.models import WebChatDeployment, WebChatDeploymentEntityListing, WebChatSettings
from webchat_tui.api.validation import validate_id, validate_required

__all__ = ["AdminOperations"]

_GONE_ON_RETRY = ((404, None),)  # a DELETE applied by an attempt whose response was lost


def _deployment_path(deployment_id: str) -> str:
    validate_id(deployment_id, "deploymentId")
    return f"{ADMIN_PATH}/deployments/{quote(deployment_id, safe='')}"


class AdminOperations(ClientCore):
    """Deployment and settings administration (``webchat:deployment:*`` permissions)."""

    async def _admin_call(
        self, model: type[M], operation: str, method: str, path: str, op_class: OpClass, json_body: Any = None
    ) -> M:
        response = await self._send(
            operation, method, path, op_class=op_class, auth="admin", json_body=json_body
        )
        return self._parse(model, response, operation)

    async def _admin_delete(self, operation: str, path: str) -> None:
        await self._send(
            operation,
            "DELETE",
            path,
            op_class=OpClass.IDEMPOTENT,
            auth="admin",
            success_on_retry=_GONE_ON_RETRY,
        )

    async def get_webchat_deployments(self) -> WebChatDeploymentEntityListing:
        """All deployments (``webchat:deployment:read``)."""
        return await self._admin_call(
            WebChatDeploymentEntityListing,
            "getWebchatDeployments",
            "GET",
            f"{ADMIN_PATH}/deployments",
            OpClass.SAFE,
        )

    async def post_webchat_deployments(self, body: WebChatDeployment) -> WebChatDeployment:
        """Create a deployment (``webchat:deployment:create``); retried only if it provably never arrived."""
        validate_required(body.name, "name")
        return await self._admin_call(
            WebChatDeployment,
            "postWebchatDeployments",
            "POST",
            f"{ADMIN_PATH}/deployments",
            OpClass.NON_IDEMPOTENT,
            body.to_wire(),
        )

    async def get_webchat_deployment(self, deployment_id: str) -> WebChatDeployment:
        """One deployment."""
        return await self._admin_call(
            WebChatDeployment, "getWebchatDeployment", "GET", _deployment_path(deployment_id), OpClass.SAFE
        )

    async def put_webchat_deployment(self, deployment_id: str, body: WebChatDeployment) -> WebChatDeployment:
        """Replace a deployment (``webchat:deployment:update``)."""
        return await self._admin_call(
            WebChatDeployment,
            "putWebchatDeployment",
            "PUT",
            _deployment_path(deployment_id),
            OpClass.IDEMPOTENT,
            body.to_wire(),
        )

    async def delete_webchat_deployment(self, deployment_id: str) -> None:
        """Delete a deployment (``webchat:deployment:delete``); a 404 on a retry after an ambiguous attempt is
        success."""
        await self._admin_delete("deleteWebchatDeployment", _deployment_path(deployment_id))

    async def get_webchat_settings(self) -> WebChatSettings:
        """The org's web chat settings."""
        return await self._admin_call(
            WebChatSettings, "getWebchatSettings", "GET", f"{ADMIN_PATH}/settings", OpClass.SAFE
        )

    async def put_webchat_settings(self, body: WebChatSettings) -> WebChatSettings:
        """Replace the org's web chat settings."""
        return await self._admin_call(
            WebChatSettings,
            "putWebchatSettings",
            "PUT",
            f"{ADMIN_PATH}/settings",
            OpClass.IDEMPOTENT,
            body.to_wire(),
        )

    async def delete_webchat_settings(self) -> None:
        """Delete the org's web chat settings; a 404 on a retry after an ambiguous attempt is success."""
        await self._admin_delete("deleteWebchatSettings", f"{ADMIN_PATH}/settings")
