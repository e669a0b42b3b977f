"""The reducer of a guest chat: stream items in, state and `SessionEvent`s out.

`SessionReducer` owns everything a `ChatSession` knows about its chat (state machine, members, messages,
typing, media requests, why it ended) and changes it only in `apply` (stream items, in order) and in the few
calls the session's actions make (`set_state`, `finish`, `update_media`, `add_member`). What it needs from the
network (member details, media requests, the member list) comes through `ReducerIO`, so the reducer itself
holds no client, stream or task.

State machine: ``idle -> connecting -> waiting_for_agent <-> connected -> ended``, with ``reconnecting``
while the event stream is re-established.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Protocol

from webchat_tui.api._redact import get_logger
from webchat_tui.api.errors import StreamAuthError, WebChatError
from webchat_tui.api.events import MemberChangeEvent, MessageEvent, TypingEvent
from webchat_tui.api.media_requests import MediaRequestBook
from webchat_tui.api.member_table import MemberTable, is_stale
from webchat_tui.api.models import WebChatGuestMediaRequest, WebChatMemberInfo
from webchat_tui.api.session_types import (
    ChatMessage,
    EndCause,
    MediaRequest,
    MediaRequestChanged,
    Member,
    MemberChanged,
    MemberRole,
    MessagesAdded,
    Notice,
    SessionEvent,
    SessionState,
    StateChanged,
    TypingChanged,
)
from webchat_tui.api.stream import MembersSnapshot, StreamItem, StreamStatus
from webchat_tui.api.typing_tracker import TypingTracker

__all__ = ["EndCause", "Ending", "LeaveStatus", "ReducerIO", "SessionReducer"]

log = get_logger("webchat_tui.api.session")


class Ending(Enum):
    """How a Web Chat v2 chat ended: its `EndCause` and the plain words `ChatSession.end_reason` shows."""

    GUEST_LEFT = (EndCause.GUEST_LEFT, "You left the chat")
    AGENT_ENDED = (EndCause.AGENT_ENDED, "The agent ended the chat")
    CHAT_ENDED = (EndCause.AGENT_ENDED, "The chat ended")
    CREDENTIALS_REFUSED = (
        EndCause.ERROR,
        "The service no longer knows this chat (its credentials were refused)",
    )
    CONNECTION_FAILED = (EndCause.ERROR, "The connection to the chat failed")
    CONNECTION_CLOSED = (EndCause.ERROR, "The connection to the chat closed")

    @property
    def cause(self) -> EndCause:
        """The protocol-neutral cause."""
        return self.value[0]

    def describe(self, detail: str | None = None) -> str:
        """The plain-words reason, with ``detail`` for a failed connection."""
        words: str = self.value[1]
        return f"{words}: {detail}" if detail and self is Ending.CONNECTION_FAILED else words


class LeaveStatus(StrEnum):
    """Where the guest's own leave request is."""

    STAYING = "staying"
    LEAVING = "leaving"
    """`leave()` is under way."""
    LEFT = "left"
    """Our DELETE succeeded (whatever order the stream reports the departures in)."""


class ReducerIO(Protocol):
    """What the reducer asks of the network side (`ChatSession` provides it)."""

    async def fetch_member(self, member_id: str) -> WebChatMemberInfo:
        """One member's details (raises `WebChatError`)."""
        ...

    async def fetch_media(self, body: str) -> list[WebChatGuestMediaRequest]:
        """The media request(s) a media-request message announces (raises `WebChatError`)."""
        ...

    async def list_members(self) -> list[WebChatMemberInfo]:
        """Every member (raises `WebChatError`)."""
        ...

    def ended(self) -> None:
        """The chat is over (stop reconnecting, wake waiters)."""
        ...


class SessionReducer:
    """The state of one guest chat, changed by stream items; every change is published with ``emit``."""

    def __init__(self, io: ReducerIO, emit: Callable[[SessionEvent], None], *, typing_expiry: float) -> None:
        self._io = io
        self._emit = emit
        self.state = SessionState.IDLE
        self.me_id: str | None = None
        self.leave = LeaveStatus.STAYING
        self.end_cause: EndCause | None = None
        self.end_reason: str | None = None
        self._table = MemberTable()
        self._members = self._table.by_id  # the same dict: read on every frame
        self._agent_id: str | None = None
        self._had_agent = False
        self._agent_left_last = False
        self.messages: list[ChatMessage] = []
        self._message_ids: set[str] = set()
        self.media = MediaRequestBook()
        self.typing = TypingTracker(typing_expiry, self._emit_typing)
        self._last_typing: tuple[Member, ...] = ()

    # ----------------------------------------------------------------------------------------------------
    # Read-only views

    @property
    def members(self) -> dict[str, Member]:
        """Members by id, in join order."""
        return self._members

    @property
    def me(self) -> Member | None:
        """The guest."""
        return self._members.get(self.me_id) if self.me_id else None

    @property
    def agent(self) -> Member | None:
        """The currently connected agent, if any."""
        return self._members.get(self._agent_id) if self._agent_id else None

    @property
    def typing_members(self) -> tuple[Member, ...]:
        """Other members currently typing."""
        return tuple(self._members[m] for m in self.typing.member_ids if m in self._members)

    def add_member(self, member: Member) -> None:
        """Add a member known in full (the guest, from the create response)."""
        self._table.add(member, detailed=True)
        self._emit(MemberChanged(member, None))

    def guest_is_leaving(self) -> None:
        """`leave()` started: an agent leaving from now on, before us, means the agent ended it."""
        self.leave = LeaveStatus.LEAVING
        self._agent_left_last = False

    # ----------------------------------------------------------------------------------------------------
    # Applying stream items

    async def apply(self, items: list[StreamItem]) -> None:
        """Apply stream items in order, publishing the events they cause."""
        pending: list[ChatMessage] = []
        members = self._members
        me_id = self.me_id
        messages = self.messages
        message_ids = self._message_ids
        typing = self.typing
        typing_dirty = False
        for item in items:
            kind = item.kind
            if kind == "message":
                assert isinstance(item, MessageEvent)
                sender_id = item.sender_id
                sender = members.get(sender_id)
                if sender is None or sender_id not in self._table.detailed:
                    self._flush(pending)
                    sender = await self._ensure_member(sender_id)
                if item.id in message_ids:
                    continue
                ts = item.timestamp
                try:
                    timestamp = datetime.fromisoformat(ts) if ts else datetime.now(UTC)
                except ValueError:
                    timestamp = datetime.now(UTC)
                message = ChatMessage(
                    item.id,
                    sender_id,
                    sender.display_name,
                    sender.role,
                    item.body,
                    item.body_type,
                    timestamp,
                    sender_id == me_id,
                )
                messages.append(message)
                message_ids.add(item.id)
                pending.append(message)
                if sender_id in typing and typing.stop(sender_id):
                    typing_dirty = True
                if item.body_type == "media-request":
                    self._flush(pending)
                    await self._on_media_request_message(item, sender)
            elif kind == "typing":
                assert isinstance(item, TypingEvent)
                if item.sender_id != me_id and self.state is not SessionState.ENDED:
                    if item.sender_id not in members:
                        self._flush(pending)
                        await self._ensure_member(item.sender_id)
                    typing_dirty |= typing.start(item.sender_id)
            else:
                self._flush(pending)
                if typing_dirty:
                    self._emit_typing()
                    typing_dirty = False
                if kind == "member-change":
                    assert isinstance(item, MemberChangeEvent)
                    await self._on_member_change(item.member_id, item.state)
                elif kind == "members":
                    assert isinstance(item, MembersSnapshot)
                    await self._on_snapshot(item.members)
                elif kind == "status":
                    assert isinstance(item, StreamStatus)
                    if item.status in ("failed", "closed") and not isinstance(item.error, StreamAuthError):
                        await self._check_members()  # did the chat simply end while we were away?
                    self._on_status(item)
        self._flush(pending)
        if typing_dirty:
            self._emit_typing()

    def _flush(self, pending: list[ChatMessage]) -> None:
        if pending:
            self._emit(MessagesAdded(tuple(pending)))
            pending.clear()

    # Typing ----------------------------------------------------------------------------------------------

    def _emit_typing(self) -> None:
        current = self.typing_members
        if current != self._last_typing:
            self._last_typing = current
            self._emit(TypingChanged(current))

    def clear_typing(self) -> None:
        if self.typing.clear():
            self._emit_typing()

    # Members ---------------------------------------------------------------------------------------------

    async def _ensure_member(self, member_id: str) -> Member:
        """The member with details, fetching them once per id (a placeholder when the fetch fails)."""
        member = self._members.get(member_id)
        detailed = self._table.detailed
        if member is not None and member_id in detailed:
            return member
        detailed.add(member_id)  # once per id, even if the fetch fails
        try:
            info = await self._io.fetch_member(member_id)
        except WebChatError as exc:
            log.debug("member details unavailable: %s", exc)
            if member is None:
                member = Member(member_id, "Unknown", "", "CONNECTED", member_id == self.me_id)
                self._table.add(member, detailed=True)
                self._emit(MemberChanged(member, None))
            return member
        return self._merge_member(info)

    def _merge_member(self, info: WebChatMemberInfo) -> Member:
        """Merge REST details into the member table; emits MemberChanged when something changed."""
        member, previous = self._table.merge(info, self_id=self.me_id)
        if member != previous:
            self._emit(MemberChanged(member, previous.state if previous else None))
        return member

    async def _on_member_change(self, member_id: str, state: str) -> None:
        member = self._members.get(member_id)
        if member is None or member_id not in self._table.detailed:
            member = await self._ensure_member(member_id)
        if is_stale(state, member.state):
            log.debug("ignoring a stale member state (%s after %s)", state, member.state)
            return
        updated = self._table.advance(member, state)
        if updated is not None:
            self._emit(MemberChanged(updated, member.state))
            if state == "DISCONNECTED" and self.typing.stop(member_id):
                self._emit_typing()
        self._recompute_state()

    async def _check_members(self) -> None:
        """One REST read of the member list (REST keeps working after the stream gave up)."""
        if self.state is SessionState.ENDED:
            return
        try:
            members = await self._io.list_members()
        except WebChatError as exc:
            log.debug("member list unavailable: %s", exc)
            return
        await self._on_snapshot(tuple(members))

    async def _on_snapshot(self, infos: tuple[WebChatMemberInfo, ...]) -> None:
        for info in infos:
            if info.id:
                self._merge_member(info)
        self._recompute_state()

    def _recompute_state(self, *, after_reconnect: bool = False) -> None:
        if self.state is SessionState.ENDED:
            return
        me = self.me
        if me is not None and me.state == "DISCONNECTED":
            if self.leave is LeaveStatus.LEFT:
                cause = Ending.GUEST_LEFT
            elif self._agent_left_last:
                cause = Ending.AGENT_ENDED
            elif self.leave is LeaveStatus.LEAVING:
                cause = Ending.GUEST_LEFT
            else:
                cause = Ending.CHAT_ENDED
            self.finish(cause)
            return
        connected = [
            m for m in self._members.values() if m.role == MemberRole.AGENT and m.state == "CONNECTED"
        ]
        if self._agent_id is not None and not any(m.id == self._agent_id for m in connected):
            self._agent_left_last = True
            self._agent_id = None
        agent = connected[-1] if connected else None
        if agent is not None and agent.id != self._agent_id:
            transferred = self._had_agent
            self._agent_id = agent.id
            self._had_agent = True
            self._agent_left_last = False
            if transferred:
                self._emit(
                    Notice(
                        f"You were transferred to {agent.display_name}",
                        kind="transfer",
                        details={"agent": agent.display_name, "agentId": agent.id},
                    )
                )
        if self.state is SessionState.RECONNECTING and not after_reconnect:
            return
        target = SessionState.CONNECTED if agent is not None else SessionState.WAITING_FOR_AGENT
        if target is not self.state:
            self.set_state(target, agent=agent if target is SessionState.CONNECTED else None)

    def _on_status(self, status: StreamStatus) -> None:
        if status.status == "reconnecting":
            if self.state in (SessionState.WAITING_FOR_AGENT, SessionState.CONNECTED):
                self.set_state(SessionState.RECONNECTING, "The connection dropped; reconnecting")
            self._emit(
                Notice(
                    "Connection lost; reconnecting",
                    level="warning",
                    kind="reconnecting",
                    details={"detail": status.detail},
                )
            )
        elif status.status == "reconnected":
            self._recompute_state(after_reconnect=True)
            if self.state is not SessionState.ENDED:
                self._emit(
                    Notice("Reconnected", kind="reconnected", details={"backfilled": str(status.backfilled)})
                )
        elif status.status == "resynced":
            self._recompute_state()
            self._emit(
                Notice(
                    "Caught up with the conversation",
                    kind="resynced",
                    details={"backfilled": str(status.backfilled)},
                )
            )
        elif status.status == "connected":
            self._recompute_state()
        elif status.status == "failed":
            if self.leave is not LeaveStatus.STAYING:
                self.finish(Ending.GUEST_LEFT)
                return
            if isinstance(status.error, StreamAuthError):
                cause, detail = Ending.CREDENTIALS_REFUSED, None
            else:
                cause, detail = Ending.CONNECTION_FAILED, status.detail
            text = cause.describe(detail)
            self._emit(Notice(text, level="error", kind="stream-failed"))
            self.finish(cause, detail)
        elif status.status == "closed":
            if self.state is not SessionState.ENDED:
                leaving = self.leave is not LeaveStatus.STAYING
                self.finish(Ending.GUEST_LEFT if leaving else Ending.CONNECTION_CLOSED)

    # Media requests --------------------------------------------------------------------------------------

    async def _on_media_request_message(self, message: MessageEvent, sender: Member) -> None:
        try:
            found = await self._io.fetch_media(message.body)
        except WebChatError as exc:
            log.debug("media request not available: %s", exc)
            self._emit(
                Notice("A media request could not be read", level="warning", kind="media-request-failed")
            )
            return
        for request in found:
            self.update_media(request, sender.display_name)

    def update_media(self, request: WebChatGuestMediaRequest, requested_by: str | None) -> MediaRequest:
        updated, previous, changed = self.media.update(request, requested_by)
        if changed:
            self._emit(MediaRequestChanged(updated, previous.state if previous else None))
        return updated

    # State -----------------------------------------------------------------------------------------------

    def set_state(self, state: SessionState, reason: str | None = None, agent: Member | None = None) -> None:
        previous = self.state
        if state is previous:
            return
        self.state = state
        cause = self.end_cause if state is SessionState.ENDED else None
        self._emit(StateChanged(state, previous, reason, agent, cause))

    def finish(self, ending: Ending, detail: str | None = None) -> None:
        """End the chat (once): record why, stop typing indicators, tell the I/O side, publish ENDED."""
        if self.state is SessionState.ENDED:
            return
        self.end_cause = ending.cause
        self.end_reason = ending.describe(detail)
        self._agent_id = None
        self.clear_typing()
        self._io.ended()
        self.set_state(SessionState.ENDED, self.end_reason)
