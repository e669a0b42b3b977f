"""The 8 admin operations (deployments and settings), authorised with an OAuth client-credentials token."""

from __future__ import annotations

from urllib.parse import quote

from webchat_tui.api._retry import OpClass
from webchat_tui.api.client_core import ADMIN_PATH, ClientCore
from webchat_tui.api.models import WebChatDeployment, WebChatDeploymentEntityListing, WebChatSettings
from webchat_tui.api.validation import validate_id, validate_required

__all__ = ["AdminOperations"]


class AdminOperations(ClientCore):
    """Deployment and settings administration (``webchat:deployment:*`` permissions)."""

    async def get_webchat_deployments(self) -> WebChatDeploymentEntityListing:
        """All deployments (``webchat:deployment:read``)."""
        response = await self._send(
            "getWebchatDeployments", "GET", f"{ADMIN_PATH}/deployments", op_class=OpClass.SAFE, auth="admin"
        )
        return self._parse(WebChatDeploymentEntityListing, response, "getWebchatDeployments")

    async def post_webchat_deployments(self, body: WebChatDeployment) -> WebChatDeployment:
        """Create a deployment (``webchat:deployment:create``); retried only if it provably never arrived."""
        validate_required(body.name, "name")
        response = await self._send(
            "postWebchatDeployments",
            "POST",
            f"{ADMIN_PATH}/deployments",
            op_class=OpClass.NON_IDEMPOTENT,
            auth="admin",
            json_body=body.to_wire(),
        )
        return self._parse(WebChatDeployment, response, "postWebchatDeployments")

    async def get_webchat_deployment(self, deployment_id: str) -> WebChatDeployment:
        """One deployment."""
        validate_id(deployment_id, "deploymentId")
        response = await self._send(
            "getWebchatDeployment",
            "GET",
            f"{ADMIN_PATH}/deployments/{quote(deployment_id, safe='')}",
            op_class=OpClass.SAFE,
            auth="admin",
        )
        return self._parse(WebChatDeployment, response, "getWebchatDeployment")

    async def put_webchat_deployment(self, deployment_id: str, body: WebChatDeployment) -> WebChatDeployment:
        """Replace a deployment (``webchat:deployment:update``)."""
        validate_id(deployment_id, "deploymentId")
        response = await self._send(
            "putWebchatDeployment",
            "PUT",
            f"{ADMIN_PATH}/deployments/{quote(deployment_id, safe='')}",
            op_class=OpClass.IDEMPOTENT,
            auth="admin",
            json_body=body.to_wire(),
        )
        return self._parse(WebChatDeployment, response, "putWebchatDeployment")

    async def delete_webchat_deployment(self, deployment_id: str) -> None:
        """Delete a deployment (``webchat:deployment:delete``); a 404 on a retry after an ambiguous attempt is
        success."""
        validate_id(deployment_id, "deploymentId")
        await self._send(
            "deleteWebchatDeployment",
            "DELETE",
            f"{ADMIN_PATH}/deployments/{quote(deployment_id, safe='')}",
            op_class=OpClass.IDEMPOTENT,
            auth="admin",
            success_on_retry=((404, None),),
        )

    async def get_webchat_settings(self) -> WebChatSettings:
        """The org's web chat settings."""
        response = await self._send(
            "getWebchatSettings", "GET", f"{ADMIN_PATH}/settings", op_class=OpClass.SAFE, auth="admin"
        )
        return self._parse(WebChatSettings, response, "getWebchatSettings")

    async def put_webchat_settings(self, body: WebChatSettings) -> WebChatSettings:
        """Replace the org's web chat settings."""
        response = await self._send(
            "putWebchatSettings",
            "PUT",
            f"{ADMIN_PATH}/settings",
            op_class=OpClass.IDEMPOTENT,
            auth="admin",
            json_body=body.to_wire(),
        )
        return self._parse(WebChatSettings, response, "putWebchatSettings")

    async def delete_webchat_settings(self) -> None:
        """Delete the org's web chat settings."""
        await self._send(
            "deleteWebchatSettings",
            "DELETE",
            f"{ADMIN_PATH}/settings",
            op_class=OpClass.IDEMPOTENT,
            auth="admin",
            success_on_retry=((404, None),),
        )
