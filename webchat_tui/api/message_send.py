"""Sending a chat message without losing or duplicating it.

Resent blind only when the request provably never reached the server. After any other failure the
conversation's messages are read first (reconciliation): if the message is there, it is returned instead of
being sent again. Messages this client already stored are never taken for the one being sent, so the same
text sent twice on purpose is stored twice. The loop is the one retry engine (`_retry.run_with_retries`); the
reconciliation is its hook.
"""

from __future__ import annotations

import time
from collections.abc import Collection

from webchat_tui.api._retry import OpClass
from webchat_tui.api._transport import HttpResponse
from webchat_tui.api.guest_operations import GuestOperations
from webchat_tui.api.models import CreateWebChatMessageRequest, WebChatMessage
from webchat_tui.api.validation import validate_id, validate_message_body
from webchat_tui.sanitize import sanitize_text

__all__ = ["MessageSending"]


class MessageSending(GuestOperations):
    """`post_webchat_guest_conversation_member_messages` and its reconciliation."""

    async def post_webchat_guest_conversation_member_messages(
        self,
        conversation_id: str,
        member_id: str,
        body: str | CreateWebChatMessageRequest,
        body_type: str | None = None,
        *,
        jwt: str | None = None,
        reconcile_after: str | None = None,
        exclude_ids: Collection[str] = (),
    ) -> WebChatMessage:
        """Send a message as ``member_id``. Lose nothing, duplicate nothing.

        Resent without checking only when the request provably never reached the server. After any other
        failure (timeout, dropped connection, 429/5xx) the conversation's messages are read first: if our
        message is there (same sender and body, an id neither in ``exclude_ids`` nor already returned by this
        client for an earlier send, after ``reconcile_after`` when given, else recent) it is returned instead
        of sending again.
        """
        request = (
            body
            if isinstance(body, CreateWebChatMessageRequest)
            else CreateWebChatMessageRequest(body=body, body_type=body_type)
        )
        validate_message_body(request.body)
        validate_id(member_id, "memberId")
        path = self._guest_path(conversation_id, "members", member_id, "messages")
        wire = request.to_wire()
        operation = "postWebchatGuestConversationMemberMessages"
        started_wall = time.time()
        sent_ids = self._sent_message_ids.setdefault(conversation_id, set())
        found: list[WebChatMessage] = []

        async def reconcile() -> HttpResponse | None:
            message = await self._reconcile_message(
                conversation_id,
                member_id,
                request,
                jwt=jwt,
                after=reconcile_after,
                exclude_ids=sent_ids.union(exclude_ids),
                since_wall=started_wall,
            )
            if message is None:
                return None
            found.append(message)
            return HttpResponse(status=200, headers={}, content=b"")

        response = await self._send(
            operation,
            "POST",
            path,
            op_class=OpClass.NON_IDEMPOTENT,
            auth="guest",
            conversation_id=conversation_id,
            jwt=jwt,
            json_body=wire,
            reconcile=reconcile,
        )
        stored = found[-1] if found else self._parse(WebChatMessage, response, operation)
        sent_ids.add(stored.id)
        return stored

    async def _reconcile_message(
        self,
        conversation_id: str,
        member_id: str,
        request: CreateWebChatMessageRequest,
        *,
        jwt: str | None,
        after: str | None,
        exclude_ids: Collection[str],
        since_wall: float,
    ) -> WebChatMessage | None:
        body = sanitize_text(request.body)
        body_type = str(request.body_type) if request.body_type is not None else "standard"

        def matches(message: WebChatMessage) -> bool:
            return (
                message.sender.id == member_id
                and message.body == body
                and str(message.body_type) == body_type
                and message.id not in exclude_ids
            )

        if after is not None:
            async for message in self.iter_messages(conversation_id, after=after, jwt=jwt):
                if matches(message):
                    return message
            return None
        page = await self.get_webchat_guest_conversation_messages(
            conversation_id, sort_order="descending", max_results=100, jwt=jwt
        )
        for message in page.entities:
            # Without a cursor, only consider messages stamped after the send began (minus clock skew).
            if matches(message) and message.timestamp.timestamp() >= since_wall - 30.0:
                return message
        return None
