"""One running chat as the TUI holds it: client, session and the session's event iterator the chat screen
drains.

No Textual here. The iterator (`ChatSession.events()`: bounded, coalescing) is opened *before*
`session.start()`, so the chat screen sees every event from the first one, however long it takes to open.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from webchat_tui.api.session_types import SessionState
from webchat_tui.config import ChatSettings

if TYPE_CHECKING:
    from webchat_tui.api import ChatSession, WebChatClient
    from webchat_tui.api.session_events import EventIterator

__all__ = ["ChatHandle", "open_chat"]


@dataclass
class ChatHandle:
    """A started chat: what the chat screen needs, and how to shut it down."""

    client: WebChatClient
    session: ChatSession
    settings: ChatSettings
    description: str
    """Where the chat runs, in words ("the local emulator", "Genesys Cloud (mypurecloud.ie)")."""
    events: EventIterator
    """The session's events in order (`get`/`get_nowait`/`empty`, like a queue)."""

    async def close(self, *, leave: bool = False, leave_timeout: float = 3.0) -> None:
        """Stop the session's background work and the HTTP client.

        Args:
            leave: first leave the chat (DELETE our member) if it is still going, so the agent is not left
                talking to a guest who has quit; bounded by `leave_timeout` seconds, failures ignored.
            leave_timeout: how long quitting may wait for the leave request.
        """
        if leave and self.session.state not in (SessionState.ENDED, SessionState.IDLE):
            try:
                await asyncio.wait_for(self.session.leave(), leave_timeout)
            except Exception:  # quitting anyway; the server's idle timeout ends the chat
                pass
        self.events.close()
        try:
            await self.session.close()
        finally:
            await self.client.aclose()


async def open_chat(
    settings: ChatSettings,
    *,
    base_url: str | None,
    environment: str | None,
    description: str,
    session_options: dict[str, Any] | None = None,
    client_options: dict[str, Any] | None = None,
) -> ChatHandle:
    """Create the client and session, open the session's event iterator, then start the chat.

    Raises:
        Exception: whatever `ChatSession.start()` or the client raised; the client is closed first (and a chat
            the server already created is left, e.g. when the start is cancelled).
    """
    from webchat_tui.api import ChatSession, GuestMemberInfo, WebChatClient

    options = client_options or {}
    if base_url is not None:
        client = WebChatClient(base_url=base_url, **options)
    else:
        client = WebChatClient(environment=environment, **options)
    session = ChatSession(client, **(session_options or {}))
    handle = ChatHandle(
        client=client, session=session, settings=settings, description=description, events=session.events()
    )
    member_info = GuestMemberInfo(
        display_name=settings.display_name.strip(),
        first_name=settings.first_name.strip() or None,
        last_name=settings.last_name.strip() or None,
        email=settings.email.strip() or None,
        phone_number=settings.phone.strip() or None,
        avatar_image_url=settings.avatar_url.strip() or None,
        custom_fields=dict(settings.custom_fields) or None,
    )
    try:
        await session.start(
            organization_id=settings.organization_id.strip(),
            deployment_id=settings.deployment_id.strip(),
            queue=settings.queue.strip(),
            member_info=member_info,
            skills=list(settings.skills) or None,
            language=settings.language.strip() or None,
            priority=settings.priority,
            member_auth_token=settings.member_auth_token.strip() or None,
        )
    except BaseException:
        await asyncio.shield(handle.close(leave=True))
        raise
    return handle
