"""Who may start a chat: the organization, the deployment (missing, disabled, authenticated guests only,
allowed origins), the org's `requireDeployment` setting and the queue name. No state is changed here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from webchat_tui.emulator.auth import verify_member_auth_token
from webchat_tui.emulator.config import QUEUES, SeedInfo
from webchat_tui.emulator.errors import EmulatorError


def admit(
    seed: SeedInfo,
    deployments: dict[str, dict[str, Any]],
    settings: dict[str, Any] | None,
    *,
    organization_id: str,
    deployment_id: str,
    queue: str,
    member_auth_token: str | None,
    origin: str | None,
) -> bool:
    """Raise the vendor error that refuses this chat, if any; else whether the guest is authenticated."""
    if organization_id != seed.organization_id:
        raise EmulatorError(
            "chat.error.bad.request",
            message="Unknown organizationId.",
            params={"organizationId": organization_id},
        )
    deployment = deployments.get(deployment_id)
    authenticated = False
    if deployment is None:
        if settings is not None and settings.get("requireDeployment"):
            raise EmulatorError(
                "not.found",
                message="The requested deployment was not found.",
                params={"deploymentId": deployment_id},
            )
    else:
        if deployment.get("disabled"):
            raise EmulatorError("chat.deployment.disabled")
        if deployment.get("authenticationRequired"):
            if not member_auth_token:
                raise EmulatorError("chat.deployment.require.auth")
            subject = verify_member_auth_token(
                seed.signing_secret, member_auth_token, org=seed.organization_id, deployment_id=deployment_id
            )
            if subject is None:
                raise EmulatorError("chat.deployment.bad.auth")
            authenticated = True
        allowed = deployment.get("allowedDomains") or []
        if origin and allowed and not origin_allowed(origin, allowed):
            raise EmulatorError(
                "origin.not.allowed",
                status=403,
                message="Chat creation is not allowed from this origin.",
                params={"origin": origin},
            )
    if queue not in QUEUES:
        raise EmulatorError("chat.error.invalid.queue", params={"targetAddress": queue})
    return authenticated


def _hostname(value: str) -> str | None:
    """The host of an origin or allowed-domain entry (`https://a.example`, `a.example`, `*.a.example`);
    None when it cannot be parsed (e.g. `http://[`)."""
    if "://" not in value:
        return value.lower() or None
    try:
        return urlsplit(value).hostname
    except ValueError:
        return None


def origin_allowed(origin: str, allowed: list[str]) -> bool:
    """Does the browser `Origin` match an entry of the deployment's `allowedDomains` (`*.` = subdomains)?"""
    host = _hostname(origin)
    if host is None:
        return False
    for entry in allowed:
        entry_host = _hostname(entry)
        if entry_host and (
            host == entry_host or (entry_host.startswith("*.") and host.endswith(entry_host[1:]))
        ):
            return True
    return False
