"""Validation of `CreateWebChatConversationRequest` (the body of create-conversation) with the vendor's
codes: `chat.error.notnull.*` for missing required parts, `invalid.value` for a wrong JSON type.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from webchat_tui.emulator.errors import EmulatorError

_NOTNULL = "chat.error.notnull.createconversationrequest."
_MEMBER_STRINGS = ("firstName", "lastName", "email", "phoneNumber", "avatarImageUrl")


@dataclass(frozen=True)
class CreateRequest:
    """The parts of a valid create request that the store needs."""

    organization_id: str
    deployment_id: str
    queue: str
    member_info: dict[str, Any]
    member_auth_token: str | None


def parse_create_request(data: Any) -> CreateRequest:
    """Validate a parsed JSON body; raises `EmulatorError` (400) for the first problem found."""
    if not isinstance(data, dict):
        raise EmulatorError("chat.error.bad.request", message="The request must be a JSON object.")
    organization_id = data.get("organizationId")
    if organization_id is None or organization_id == "":
        raise EmulatorError("chat.error.bad.request", message="organizationId is required.")
    _expect_str(organization_id, "organizationId")
    deployment_id = data.get("deploymentId")
    if not isinstance(deployment_id, str) or not _is_uuid(deployment_id):
        raise EmulatorError(
            "chat.error.pattern.createconversationrequest.deploymentid",
            message="deploymentId must be a UUID.",
        )
    queue = _routing_target(data.get("routingTarget"))
    member_info = _member_info(data.get("memberInfo"))
    if data.get("journeyContext") is not None:
        _journey_context(data["journeyContext"])
    token = data.get("memberAuthToken")
    if token is not None and not isinstance(token, str):
        raise EmulatorError("chat.deployment.bad.auth")
    return CreateRequest(organization_id, deployment_id, queue, member_info, token)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _expect_str(value: Any, name: str) -> None:
    if not isinstance(value, str):
        raise EmulatorError("invalid.value", value, name, "string", params={"field": name})


def _optional(data: dict[str, Any], key: str, kind: type, name: str, allowed: str) -> None:
    """`data[key]` is absent, null or of `kind` (a JSON boolean is not an integer)."""
    value = data.get(key)
    if value is None:
        return
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise EmulatorError("invalid.value", value, name, allowed, params={"field": name})


def _string_list(data: dict[str, Any], key: str, name: str) -> None:
    value = data.get(key)
    if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
        raise EmulatorError("invalid.value", value, name, "list of strings", params={"field": name})


def _routing_target(target: Any) -> str:
    """The queue name of a valid `WebChatRoutingTarget`."""
    if target is None:
        raise EmulatorError(_NOTNULL + "routingtarget")
    if (
        not isinstance(target, dict)
        or not isinstance(target.get("targetType"), str)
        or target["targetType"].upper() != "QUEUE"
        or not isinstance(target.get("targetAddress"), str)
        or not target["targetAddress"]
    ):
        raise EmulatorError("chat.error.createconversationrequest.routingtarget")
    _string_list(target, "skills", "routingTarget.skills")
    _optional(target, "language", str, "routingTarget.language", "string")
    _optional(target, "priority", int, "routingTarget.priority", "integer")
    queue: str = target["targetAddress"]
    return queue


def _member_info(member_info: Any) -> dict[str, Any]:
    """A valid `GuestMemberInfo`."""
    code = _NOTNULL + "memberinfo.displayname"
    if not isinstance(member_info, dict):
        raise EmulatorError(code)
    name = member_info.get("displayName")
    if name is None or (isinstance(name, str) and not name.strip()):
        raise EmulatorError(code)
    _expect_str(name, "displayName")
    for key in _MEMBER_STRINGS:
        _optional(member_info, key, str, key, "string")
    custom = member_info.get("customFields")
    if custom is not None and (
        not isinstance(custom, dict) or not all(isinstance(v, str) for v in custom.values())
    ):
        raise EmulatorError("invalid.value", custom, "customFields", "map of strings")
    return member_info


def _journey_context(journey: Any) -> None:
    """A valid `JourneyContext` (customer required; session and triggering action optional)."""
    base = _NOTNULL + "journeycontext."
    if not isinstance(journey, dict):
        raise EmulatorError("invalid.value", journey, "journeyContext", "object")
    customer = journey.get("customer")
    if not isinstance(customer, dict):
        raise EmulatorError(base + "customer")
    _required_str(customer, "id", base + "customer.customerid", "journeyContext.customer.id")
    _required_str(customer, "idType", base + "customer.customeridtype", "journeyContext.customer.idType")
    session = journey.get("customerSession")
    if session is not None:
        if not isinstance(session, dict):
            raise EmulatorError(base + "customersession.sessionid")
        _required_str(session, "id", base + "customersession.sessionid", "journeyContext.customerSession.id")
        _required_str(
            session, "type", base + "customersession.sessionidtype", "journeyContext.customerSession.type"
        )
    action = journey.get("triggeringAction")
    if action is not None:
        if not isinstance(action, dict):
            raise EmulatorError(base + "triggeringaction.actionid")
        _required_str(action, "id", base + "triggeringaction.actionid", "journeyContext.triggeringAction.id")
        action_map = action.get("actionMap")
        if not isinstance(action_map, dict):
            raise EmulatorError(base + "triggeringaction.actionmapid")
        _required_str(
            action_map,
            "id",
            base + "triggeringaction.actionmapid",
            "journeyContext.triggeringAction.actionMap.id",
        )
        version = action_map.get("version")
        if version is None:
            raise EmulatorError(base + "triggeringaction.actionmapversion")
        _optional(action_map, "version", int, "journeyContext.triggeringAction.actionMap.version", "integer")


def _required_str(data: dict[str, Any], key: str, notnull_code: str, name: str) -> None:
    value = data.get(key)
    if value is None or value == "":
        raise EmulatorError(notnull_code)
    _expect_str(value, name)
