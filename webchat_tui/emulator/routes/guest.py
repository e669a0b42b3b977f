"""The 11 guest operations (`/api/v2/webchat/guest/...`): create is open, the rest need the
conversation's JWT."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from webchat_tui.emulator.errors import EmulatorError
from webchat_tui.emulator.routes._common import (
    base_url,
    bool_param,
    int_param,
    json_body,
    json_response,
    store_of,
)
from webchat_tui.emulator.routes.create_request import parse_create_request
from webchat_tui.emulator.state import DISCONNECTED, MEDIA_TYPES, Conversation, Message

router = APIRouter()
PREFIX = "/api/v2/webchat/guest/conversations"
MAX_BODY = 4000
GUEST_BODY_TYPES = ("standard", "notice")


def message_wire(base: str, conv: Conversation, msg: Message) -> dict[str, Any]:
    """WebChatMessage (sender carries id and role; conversation.selfUri points at the generic API like
    the real)."""
    return {
        "id": msg.id,
        "conversation": {"id": conv.id, "selfUri": f"{base}/api/v2/conversations/{conv.id}"},
        "sender": {"id": msg.sender_id, "role": msg.sender_role},
        "body": msg.body,
        "bodyType": msg.body_type,
        "timestamp": msg.timestamp,
        "selfUri": f"{base}{PREFIX}/{conv.id}/messages/{msg.id}",
    }


@router.post(PREFIX, operation_id="postWebchatGuestConversations")
async def create_conversation(request: Request) -> Response:
    """Create a chat (no auth); routing waits until a socket attaches to `eventStreamUri`."""
    store = store_of(request)
    parsed = parse_create_request(await json_body(request))
    conv = store.create_conversation(
        organization_id=parsed.organization_id,
        deployment_id=parsed.deployment_id,
        queue=parsed.queue,
        member_info=parsed.member_info,
        member_auth_token=parsed.member_auth_token,
        origin=request.headers.get("origin"),
    )
    jwt = store.issue_jwt(conv)
    return json_response(
        {
            "id": conv.id,
            "jwt": jwt,
            "eventStreamUri": f"{base_url(request, websocket=True)}/v1/token/{jwt}",
            "member": conv.guest.wire(),
        }
    )


def _auth(request: Request, conversation_id: str) -> Conversation:
    return store_of(request).authorize(request.headers.get("authorization"), conversation_id)


@router.get(PREFIX + "/{conversationId}/members", operation_id="getWebchatGuestConversationMembers")
async def list_members(request: Request, conversationId: str) -> Response:  # noqa: N803
    """Members, numbered pages (protocol.md §11)."""
    conv = _auth(request, conversationId)
    page_size = int_param(request, "pageSize", 25, 1, 100)
    page_number = int_param(request, "pageNumber", 1, 1, 1_000_000)
    exclude = bool_param(request, "excludeDisconnectedMembers", False)
    members = [m for m in conv.members.values() if not (exclude and m.state == DISCONNECTED)]
    total = len(members)
    page_count = max(1, math.ceil(total / page_size)) if total else 0
    start = (page_number - 1) * page_size
    base = f"{base_url(request)}{PREFIX}/{conv.id}/members"

    def uri(number: int) -> str:
        query = {"pageSize": page_size, "pageNumber": number}
        if exclude:
            query["excludeDisconnectedMembers"] = "true"  # type: ignore[assignment]
        return f"{base}?{urlencode(query)}"

    out: dict[str, Any] = {
        "entities": [m.wire() for m in members[start : start + page_size]],
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "pageCount": page_count,
        "firstUri": uri(1),
        "selfUri": uri(page_number),
        "lastUri": uri(max(1, page_count)),
    }
    if page_number > 1:
        out["previousUri"] = uri(min(page_number - 1, max(1, page_count)))
    if page_number < page_count:
        out["nextUri"] = uri(page_number + 1)
    return json_response(out)


@router.get(PREFIX + "/{conversationId}/members/{memberId}", operation_id="getWebchatGuestConversationMember")
async def get_member(request: Request, conversationId: str, memberId: str) -> Response:  # noqa: N803
    """One member (how a guest learns an agent's name and role)."""
    conv = _auth(request, conversationId)
    member = conv.members.get(memberId)
    if member is None:
        raise EmulatorError("chat.error.not.found", status=404, message="member was not found")
    return json_response(member.wire())


@router.delete(
    PREFIX + "/{conversationId}/members/{memberId}", operation_id="deleteWebchatGuestConversationMember"
)
async def delete_member(request: Request, conversationId: str, memberId: str) -> Response:  # noqa: N803
    """The guest leaves; the conversation ends for everyone."""
    conv = _auth(request, conversationId)
    store_of(request).guest_leave(conv, memberId)
    return Response(status_code=204)


@router.post(
    PREFIX + "/{conversationId}/members/{memberId}/messages",
    operation_id="postWebchatGuestConversationMemberMessages",
)
async def post_message(request: Request, conversationId: str, memberId: str) -> Response:  # noqa: N803
    """Send a message (400 `chat.error.conversation.state` until the socket attached)."""
    conv = _auth(request, conversationId)
    data = await json_body(request, allow_empty=True)
    if data is None:
        raise EmulatorError("chat.error.notnull.createconversationmessagerequest.body")
    if not isinstance(data, dict):
        raise EmulatorError("bad.request", message="The message request must be a JSON object.")
    body = data.get("body")
    if body is None:
        raise EmulatorError("chat.error.notnull.createconversationmessagerequest.body")
    if not isinstance(body, str):
        raise EmulatorError("invalid.value", body, "body", "string", params={"field": "body"})
    if not body or len(body) > MAX_BODY:
        raise EmulatorError(
            "constraint.validation",
            f"body: size must be between 1 and {MAX_BODY}",
            params={"field": "body", "maxLength": str(MAX_BODY)},
        )
    body_type = data.get("bodyType", "standard")
    if body_type is None:
        body_type = "standard"
    if not isinstance(body_type, str) or body_type.lower() not in GUEST_BODY_TYPES:
        raise EmulatorError(
            "invalid.value", body_type, "bodyType", ", ".join(GUEST_BODY_TYPES), params={"field": "bodyType"}
        )
    msg = store_of(request).guest_message(conv, memberId, body, body_type.lower())
    return json_response(message_wire(base_url(request), conv, msg))


@router.post(
    PREFIX + "/{conversationId}/members/{memberId}/typing",
    operation_id="postWebchatGuestConversationMemberTyping",
)
async def post_typing(request: Request, conversationId: str, memberId: str) -> Response:  # noqa: N803
    """Typing indicator; accepts an empty body, `null` and `{}`."""
    conv = _auth(request, conversationId)
    data = await json_body(request, allow_empty=True)
    if data is not None and not isinstance(data, dict):
        raise EmulatorError("bad.request", message="The typing request takes no body.")
    typing = store_of(request).guest_typing(conv, memberId)
    base = base_url(request)
    sender = conv.members[typing["sender"]["id"]]
    return json_response(
        {
            "id": typing["id"],
            "conversation": {"id": conv.id, "selfUri": f"{base}/api/v2/conversations/{conv.id}"},
            "sender": {"id": sender.id, "role": sender.role},
            "timestamp": typing["timestamp"],
        }
    )


@router.get(PREFIX + "/{conversationId}/messages", operation_id="getWebchatGuestConversationMessages")
async def list_messages(request: Request, conversationId: str) -> Response:  # noqa: N803
    """Messages with cursor paging (`after`/`before`, `sortOrder`, `maxResults` <= 100)."""
    conv = _auth(request, conversationId)
    max_results = int_param(request, "maxResults", 100, 1, 100)
    sort = request.query_params.get("sortOrder") or "ascending"
    if sort.lower() not in ("ascending", "descending"):
        raise EmulatorError(
            "invalid.query.param.value",
            sort,
            "sortOrder",
            "ascending, descending",
            params={"value": sort, "parameter": "sortOrder"},
        )
    descending = sort.lower() == "descending"
    after, before = request.query_params.get("after") or None, request.query_params.get("before") or None
    lo, hi = 0, len(conv.messages)  # candidate slice [lo, hi) in chronological order
    for name, cursor in (("after", after), ("before", before)):
        if cursor is None:
            continue
        index = conv.message_index.get(cursor)
        if index is None:
            raise EmulatorError(
                "invalid.query.param.value",
                cursor,
                name,
                "a message id of this conversation",
                params={"value": cursor, "parameter": name},
            )
        if name == "after":
            lo = max(lo, index + 1)
        else:
            hi = min(hi, index)
    # Take the page next to the cursor: walking forward from `after`, backward from `before` / the newest end.
    take_from_start = (after is not None and before is None) or (
        after is None and before is None and not descending
    )
    if hi <= lo:
        start = end = lo
    elif take_from_start:
        start, end = lo, min(hi, lo + max_results)
    else:
        start, end = max(lo, hi - max_results), hi
    page = conv.messages[start:end]
    if descending:
        page = page[::-1]
    base = base_url(request)
    path = f"{base}{PREFIX}/{conv.id}/messages"

    def uri(**cursor: str) -> str:
        return f"{path}?{urlencode({**cursor, 'sortOrder': sort.lower(), 'maxResults': max_results})}"

    self_query = {k: v for k, v in (("after", after), ("before", before)) if v}
    out: dict[str, Any] = {
        "pageSize": len(page),
        "entities": [message_wire(base, conv, m) for m in page],
        "selfUri": uri(**self_query),
    }
    if end > start:
        older_exist, newer_exist = start > 0, end < len(conv.messages)
        oldest, newest = conv.messages[start].id, conv.messages[end - 1].id
        # `next` continues in the sort direction, `previousPage` goes the other way.
        if descending:
            if older_exist:
                out["next"] = uri(before=oldest)
            if newer_exist:
                out["previousPage"] = uri(after=newest)
        else:
            if newer_exist:
                out["next"] = uri(after=newest)
            if older_exist:
                out["previousPage"] = uri(before=oldest)
    return json_response(out)


@router.get(
    PREFIX + "/{conversationId}/messages/{messageId}", operation_id="getWebchatGuestConversationMessage"
)
async def get_message(request: Request, conversationId: str, messageId: str) -> Response:  # noqa: N803
    """One message."""
    conv = _auth(request, conversationId)
    index = conv.message_index.get(messageId)
    if index is None:
        raise EmulatorError("chat.error.not.found", status=404, message="message was not found")
    return json_response(message_wire(base_url(request), conv, conv.messages[index]))


@router.get(
    PREFIX + "/{conversationId}/mediarequests", operation_id="getWebchatGuestConversationMediarequests"
)
async def list_media_requests(request: Request, conversationId: str) -> Response:  # noqa: N803
    """All media requests of the conversation (not paginated)."""
    conv = _auth(request, conversationId)
    base = base_url(request)
    return json_response({"entities": [mr.wire(base, conv.id) for mr in conv.media_requests.values()]})


@router.get(
    PREFIX + "/{conversationId}/mediarequests/{mediaRequestId}",
    operation_id="getWebchatGuestConversationMediarequest",
)
async def get_media_request(request: Request, conversationId: str, mediaRequestId: str) -> Response:  # noqa: N803
    """One media request."""
    conv = _auth(request, conversationId)
    mr = store_of(request).get_media_request(conv, mediaRequestId)
    return json_response(mr.wire(base_url(request), conv.id))


@router.patch(
    PREFIX + "/{conversationId}/mediarequests/{mediaRequestId}",
    operation_id="patchWebchatGuestConversationMediarequest",
)
async def patch_media_request(request: Request, conversationId: str, mediaRequestId: str) -> Response:  # noqa: N803
    """Guest answers a media request: ACCEPTED, DECLINED or ERRORED (partial body `{"state": ...}`)."""
    conv = _auth(request, conversationId)
    store = store_of(request)
    store.get_media_request(conv, mediaRequestId)
    data = await json_body(request)
    if not isinstance(data, dict):
        raise EmulatorError("bad.request", message="The media request body must be a JSON object.")
    _check_media_request_fields(data)
    state = data.get("state")
    if not isinstance(state, str) or not state:
        raise EmulatorError("constraint.validation", "state: may not be null", params={"field": "state"})
    state = state.upper()
    if state not in ("ACCEPTED", "DECLINED", "ERRORED"):
        raise EmulatorError(
            "invalid.value", state, "state", "ACCEPTED, DECLINED, ERRORED", params={"field": "state"}
        )
    mr = store.guest_patch_media(conv, mediaRequestId, state)
    return json_response(mr.wire(base_url(request), conv.id))


_MEDIA_STRING_FIELDS = ("id", "name", "communicationId", "securityKey", "selfUri")


def _check_media_request_fields(data: dict[str, Any]) -> None:
    """400 `invalid.value` for a WebChatGuestMediaRequest field of the wrong type or outside its enum (the
    guest changes only `state`; the other fields are checked like any body, then ignored)."""
    for key in _MEDIA_STRING_FIELDS:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise EmulatorError("invalid.value", value, key, "string", params={"field": key})
    types = data.get("types")
    if types is not None and (
        not isinstance(types, list) or not all(isinstance(t, str) and t.upper() in MEDIA_TYPES for t in types)
    ):
        raise EmulatorError(
            "invalid.value", types, "types", ", ".join(MEDIA_TYPES), params={"field": "types"}
        )
