"""Media requests (screen share, co-browse) of one chat: reading the one a `media-request` message announces,
and keeping each request's latest state."""

from __future__ import annotations

from webchat_tui.api._redact import get_logger
from webchat_tui.api.guest_operations import GuestOperations
from webchat_tui.api.models import WebChatGuestMediaRequest
from webchat_tui.api.session_types import MediaRequest
from webchat_tui.api.validation import is_valid_id
from webchat_tui.sanitize import sanitize_line

__all__ = ["MediaRequestBook", "fetch_announced"]

log = get_logger("webchat_tui.api.session")


async def fetch_announced(
    client: GuestOperations, conversation_id: str, body: str
) -> list[WebChatGuestMediaRequest]:
    """The media request(s) a `media-request` message announces: its body is the request id (when it is not
    an id, every request of the conversation is read). Raises `WebChatError` when they cannot be read."""
    body = body.strip()
    if is_valid_id(body):
        return [await client.get_webchat_guest_conversation_mediarequest(conversation_id, body)]
    return list((await client.get_webchat_guest_conversation_mediarequests(conversation_id)).entities)


class MediaRequestBook:
    """Every media request seen, oldest first, each in its latest state.

    A request never goes back to PENDING once answered or ended: a read that started before the guest's
    answer (or the agent's cancel) and returned after it is stale.
    """

    def __init__(self) -> None:
        self._by_id: dict[str, MediaRequest] = {}

    def all(self) -> list[MediaRequest]:
        """Every request, oldest first."""
        return list(self._by_id.values())

    def pending(self) -> list[MediaRequest]:
        """Requests still waiting for the guest's answer."""
        return [r for r in self._by_id.values() if r.state == "PENDING"]

    def update(
        self, request: WebChatGuestMediaRequest, requested_by: str | None
    ) -> tuple[MediaRequest, MediaRequest | None, bool]:
        """Merge ``request``; returns (current, previous, changed)."""
        request_id = request.id or ""
        previous = self._by_id.get(request_id)
        state = sanitize_line(str(request.state)) if request.state is not None else None
        if state is None or (state == "PENDING" and previous is not None and previous.state != "PENDING"):
            if state is not None:
                log.debug("media request %s: ignoring a stale PENDING", request_id)
            state = previous.state if previous is not None else "PENDING"
        updated = MediaRequest(
            id=request_id,
            types=tuple(
                sanitize_line(str(t)) for t in (request.types or (previous.types if previous else ()))
            ),
            state=state,
            requested_by=(previous.requested_by if previous and previous.requested_by else requested_by),
            security_key=request.security_key or (previous.security_key if previous else None),
            communication_id=request.communication_id or (previous.communication_id if previous else None),
        )
        if updated == previous:
            return updated, previous, False
        self._by_id[request_id] = updated
        return updated, previous, True
