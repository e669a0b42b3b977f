"""The 11 guest operations (all but the message send, see `webchat_tui.api.message_send`): they carry the
conversation's JWT, remembered from the create response or given with ``jwt=``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any

from webchat_tui.api._redact import get_logger
from webchat_tui.api._retry import OpClass
from webchat_tui.api.client_core import GUEST_PATH, ClientCore, M
from webchat_tui.api.errors import ClientValidationError, InvalidResponseError, PagingError
from webchat_tui.api.events import MessageEvent, message_from_rest
from webchat_tui.api.models import (
    CreateWebChatConversationRequest,
    CreateWebChatConversationResponse,
    WebChatGuestMediaRequest,
    WebChatGuestMediaRequestEntityList,
    WebChatMemberInfo,
    WebChatMemberInfoEntityList,
    WebChatMessage,
    WebChatMessageEntityList,
    WebChatTyping,
)
from webchat_tui.api.paging import CursorPage, PageLimits, follow_cursor
from webchat_tui.api.validation import parse_body, validate_id, validate_member_info, validate_required

__all__ = ["GuestOperations"]

_SORT_ORDERS = ("ascending", "descending")
_GET_MESSAGES = "getWebchatGuestConversationMessages"
log = get_logger("webchat_tui.api.client")


MEMBER_PAGE_LIMITS = PageLimits(max_pages=50, max_seconds=60.0)
"""A chat has a handful of members; 50 pages of 100 is already absurd."""


def _message_event(entity: Any) -> MessageEvent | None:
    return message_from_rest(entity) if isinstance(entity, dict) else None


class GuestOperations(ClientCore):
    """Guest chat operations: create, members, messages (read), typing, media requests."""

    async def _guest_call(
        self,
        model: type[M],
        operation: str,
        method: str,
        conversation_id: str,
        *parts: str,
        op_class: OpClass,
        jwt: str | None,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> M:
        """One guest operation on ``conversations/{conversation_id}/<parts>``, parsed into ``model``."""
        response = await self._send(
            operation,
            method,
            self._guest_path(conversation_id, *parts),
            op_class=op_class,
            auth="guest",
            conversation_id=conversation_id,
            jwt=jwt,
            params=params,
            json_body=json_body,
        )
        return self._parse(model, response, operation)

    async def post_webchat_guest_conversations(
        self, body: CreateWebChatConversationRequest
    ) -> CreateWebChatConversationResponse:
        """Create a guest chat (no auth). Routing starts once the event stream is attached.

        Never retried automatically once it may have reached the server: a second chat would be routed to a
        second agent. Remembers the returned JWT for the conversation's other guest operations.
        """
        validate_required(body.organization_id, "organizationId")
        validate_required(body.deployment_id, "deploymentId")
        validate_required(body.routing_target.target_address, "routingTarget.targetAddress")
        validate_member_info(body.member_info)
        if body.member_auth_token:
            self.secrets.add(body.member_auth_token)
        response = await self._send(
            "postWebchatGuestConversations",
            "POST",
            GUEST_PATH,
            op_class=OpClass.NON_IDEMPOTENT,
            auth="none",
            json_body=body.to_wire(),
        )
        data = response.json()
        if isinstance(data, dict):
            self.secrets.add(data.get("jwt") if isinstance(data.get("jwt"), str) else None)
        created = self._parse(CreateWebChatConversationResponse, response, "postWebchatGuestConversations")
        self.set_guest_token(created.id, created.jwt)
        return created

    async def get_webchat_guest_conversation_members(
        self,
        conversation_id: str,
        *,
        page_size: int | None = None,
        page_number: int | None = None,
        exclude_disconnected_members: bool | None = None,
        jwt: str | None = None,
    ) -> WebChatMemberInfoEntityList:
        """One page of the conversation's members."""
        params: dict[str, str] = {}
        if page_size is not None:
            if not 1 <= page_size <= 100:
                raise ClientValidationError("pageSize", "must be between 1 and 100")
            params["pageSize"] = str(page_size)
        if page_number is not None:
            if page_number < 1:
                raise ClientValidationError("pageNumber", "must be 1 or more")
            params["pageNumber"] = str(page_number)
        if exclude_disconnected_members is not None:
            params["excludeDisconnectedMembers"] = "true" if exclude_disconnected_members else "false"
        return await self._guest_call(
            WebChatMemberInfoEntityList,
            "getWebchatGuestConversationMembers",
            "GET",
            conversation_id,
            "members",
            op_class=OpClass.SAFE,
            jwt=jwt,
            params=params,
        )

    async def list_all_members(
        self, conversation_id: str, *, exclude_disconnected_members: bool = False, jwt: str | None = None
    ) -> list[WebChatMemberInfo]:
        """Every member, reading all pages (at most `MEMBER_PAGE_LIMITS`, else `PagingError`)."""

        async def fetch(cursor: str | None) -> CursorPage[WebChatMemberInfo]:
            number = int(cursor or "1")
            page = await self.get_webchat_guest_conversation_members(
                conversation_id,
                page_size=100,
                page_number=number,
                exclude_disconnected_members=exclude_disconnected_members,
                jwt=jwt,
            )
            more = bool(page.entities) and page.has_next_page
            return CursorPage(page.entities, str(number + 1) if more else None)

        members: list[WebChatMemberInfo] = []
        pages = follow_cursor(
            fetch, after=None, limits=MEMBER_PAGE_LIMITS, operation="getWebchatGuestConversationMembers"
        )
        async for page in pages:
            members.extend(page.items)
        return members

    async def get_webchat_guest_conversation_member(
        self, conversation_id: str, member_id: str, *, jwt: str | None = None
    ) -> WebChatMemberInfo:
        """One member's details (display name, role, state ...)."""
        validate_id(member_id, "memberId")
        return await self._guest_call(
            WebChatMemberInfo,
            "getWebchatGuestConversationMember",
            "GET",
            conversation_id,
            "members",
            member_id,
            op_class=OpClass.SAFE,
            jwt=jwt,
        )

    async def delete_webchat_guest_conversation_member(
        self, conversation_id: str, member_id: str, *, jwt: str | None = None
    ) -> None:
        """Remove a member (the guest leaving). Retried as idempotent: on a retry after an ambiguous attempt a
        404 or a member-state error means the first attempt worked."""
        validate_id(member_id, "memberId")
        await self._send(
            "deleteWebchatGuestConversationMember",
            "DELETE",
            self._guest_path(conversation_id, "members", member_id),
            op_class=OpClass.IDEMPOTENT,
            auth="guest",
            conversation_id=conversation_id,
            jwt=jwt,
            success_on_retry=(
                (404, None),
                (400, "chat.error.member.state"),
                (400, "chat.error.conversation.state"),
            ),
        )

    async def post_webchat_guest_conversation_member_typing(
        self, conversation_id: str, member_id: str, *, jwt: str | None = None
    ) -> WebChatTyping:
        """Send a typing indicator. Never retried (a late indicator is worse than none)."""
        validate_id(member_id, "memberId")
        return await self._guest_call(
            WebChatTyping,
            "postWebchatGuestConversationMemberTyping",
            "POST",
            conversation_id,
            "members",
            member_id,
            "typing",
            op_class=OpClass.EPHEMERAL,
            jwt=jwt,
        )

    async def get_webchat_guest_conversation_messages(
        self,
        conversation_id: str,
        *,
        after: str | None = None,
        before: str | None = None,
        sort_order: str | None = None,
        max_results: int | None = None,
        jwt: str | None = None,
    ) -> WebChatMessageEntityList:
        """One page of messages (cursor paging with ``after`` / ``before`` message ids)."""
        data = await self._get_messages_json(
            conversation_id,
            after=after,
            before=before,
            sort_order=sort_order,
            max_results=max_results,
            jwt=jwt,
        )
        return parse_body(WebChatMessageEntityList, data, 200, _GET_MESSAGES)

    async def get_message_events_page(
        self, conversation_id: str, *, after: str | None = None, page_size: int = 100, jwt: str | None = None
    ) -> CursorPage[MessageEvent]:
        """One ascending page of messages after ``after`` as lightweight `MessageEvent`s (the event stream's
        backfill). Malformed entries are skipped; `CursorPage.next_cursor` is None on the last page."""
        data = await self._get_messages_json(
            conversation_id, after=after, sort_order="ascending", max_results=page_size, jwt=jwt
        )
        entities = data.get("entities")
        if entities is None:
            entities = []
        if not isinstance(entities, list):
            raise InvalidResponseError(
                200, f"{_GET_MESSAGES}: entities is not a list", operation=_GET_MESSAGES
            )
        events = [e for e in map(_message_event, entities) if e is not None]
        if len(events) != len(entities):
            log.warning("%d malformed message(s) skipped in a page", len(entities) - len(events))
        if not entities or not data.get("next"):
            return CursorPage(events, None)
        if not events:
            raise PagingError(
                f"{_GET_MESSAGES}: a page without one usable message id cannot be followed",
                operation=_GET_MESSAGES,
            )
        return CursorPage(events, events[-1].id)

    async def _get_messages_json(
        self,
        conversation_id: str,
        *,
        after: str | None = None,
        before: str | None = None,
        sort_order: str | None = None,
        max_results: int | None = None,
        jwt: str | None = None,
    ) -> dict[str, Any]:
        """`getWebchatGuestConversationMessages` as decoded JSON (an object, else `InvalidResponseError`)."""
        params: dict[str, str] = {}
        if after is not None:
            validate_id(after, "after")
            params["after"] = after
        if before is not None:
            validate_id(before, "before")
            params["before"] = before
        if sort_order is not None:
            if sort_order not in _SORT_ORDERS:
                raise ClientValidationError("sortOrder", "must be 'ascending' or 'descending'")
            params["sortOrder"] = sort_order
        if max_results is not None:
            if not 1 <= max_results <= 100:
                raise ClientValidationError("maxResults", "must be between 1 and 100")
            params["maxResults"] = str(max_results)
        response = await self._send(
            _GET_MESSAGES,
            "GET",
            self._guest_path(conversation_id, "messages"),
            op_class=OpClass.SAFE,
            auth="guest",
            conversation_id=conversation_id,
            jwt=jwt,
            params=params,
        )
        data = response.json()
        if not isinstance(data, dict):
            raise InvalidResponseError(
                response.status, "the messages response is not a JSON object", operation=_GET_MESSAGES
            )
        return data

    def iter_message_event_pages(
        self,
        conversation_id: str,
        *,
        after: str | None = None,
        jwt: str | None = None,
        page_size: int = 100,
        limits: PageLimits | None = None,
    ) -> AsyncIterator[CursorPage[MessageEvent]]:
        """Every page of `MessageEvent`s after ``after``, ascending (`follow_cursor`: bounded, the cursor must
        advance, `PagingError` otherwise)."""

        def fetch(cursor: str | None) -> Awaitable[CursorPage[MessageEvent]]:
            return self.get_message_events_page(conversation_id, after=cursor, page_size=page_size, jwt=jwt)

        return follow_cursor(fetch, after=after, limits=limits or PageLimits(), operation=_GET_MESSAGES)

    async def iter_messages(
        self,
        conversation_id: str,
        *,
        after: str | None = None,
        jwt: str | None = None,
        page_size: int = 100,
        limits: PageLimits | None = None,
    ) -> AsyncIterator[WebChatMessage]:
        """Every message after ``after`` (or from the start), ascending, reading pages to the end (bounded
        like `iter_message_event_pages`)."""

        async def fetch(cursor: str | None) -> CursorPage[WebChatMessage]:
            page = await self.get_webchat_guest_conversation_messages(
                conversation_id, after=cursor, sort_order="ascending", max_results=page_size, jwt=jwt
            )
            last = page.entities[-1].id if page.entities and page.next else None
            return CursorPage(page.entities, last)

        pages = follow_cursor(fetch, after=after, limits=limits or PageLimits(), operation=_GET_MESSAGES)
        async for page in pages:
            for message in page.items:
                yield message

    async def get_webchat_guest_conversation_message(
        self, conversation_id: str, message_id: str, *, jwt: str | None = None
    ) -> WebChatMessage:
        """One message by id."""
        validate_id(message_id, "messageId")
        return await self._guest_call(
            WebChatMessage,
            "getWebchatGuestConversationMessage",
            "GET",
            conversation_id,
            "messages",
            message_id,
            op_class=OpClass.SAFE,
            jwt=jwt,
        )

    async def get_webchat_guest_conversation_mediarequests(
        self, conversation_id: str, *, jwt: str | None = None
    ) -> WebChatGuestMediaRequestEntityList:
        """All media requests of the conversation."""
        return await self._guest_call(
            WebChatGuestMediaRequestEntityList,
            "getWebchatGuestConversationMediarequests",
            "GET",
            conversation_id,
            "mediarequests",
            op_class=OpClass.SAFE,
            jwt=jwt,
        )

    async def get_webchat_guest_conversation_mediarequest(
        self, conversation_id: str, media_request_id: str, *, jwt: str | None = None
    ) -> WebChatGuestMediaRequest:
        """One media request."""
        validate_id(media_request_id, "mediaRequestId")
        return await self._guest_call(
            WebChatGuestMediaRequest,
            "getWebchatGuestConversationMediarequest",
            "GET",
            conversation_id,
            "mediarequests",
            media_request_id,
            op_class=OpClass.SAFE,
            jwt=jwt,
        )

    async def patch_webchat_guest_conversation_mediarequest(
        self,
        conversation_id: str,
        media_request_id: str,
        body: WebChatGuestMediaRequest | str,
        *,
        jwt: str | None = None,
    ) -> WebChatGuestMediaRequest:
        """Answer a media request: ``body`` is a `WebChatGuestMediaRequest` or just the new state
        (``ACCEPTED``, ``DECLINED`` or ``ERRORED``)."""
        validate_id(media_request_id, "mediaRequestId")
        request = body if isinstance(body, WebChatGuestMediaRequest) else WebChatGuestMediaRequest(state=body)
        if request.state is None:
            raise ClientValidationError("state", "is required")
        if str(request.state) not in ("ACCEPTED", "DECLINED", "ERRORED"):
            raise ClientValidationError("state", "a guest may only set ACCEPTED, DECLINED or ERRORED")
        return await self._guest_call(
            WebChatGuestMediaRequest,
            "patchWebchatGuestConversationMediarequest",
            "PATCH",
            conversation_id,
            "mediarequests",
            media_request_id,
            op_class=OpClass.IDEMPOTENT,
            jwt=jwt,
            json_body=request.to_wire(),
        )
