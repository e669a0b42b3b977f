"""The members of one chat, in join order: REST details merged in, and states that only move forward
(ALERTING -> CONNECTED -> DISCONNECTED), so a stale frame replayed after a backfill cannot undo a newer
state."""

from __future__ import annotations

from dataclasses import replace

from webchat_tui.api.models import WebChatMemberInfo
from webchat_tui.api.session_types import Member
from webchat_tui.sanitize import sanitize_line

__all__ = ["MemberTable", "is_stale"]

_STATE_RANK = {"ALERTING": 0, "CONNECTED": 1, "DISCONNECTED": 2}


def is_stale(new_state: str, current_state: str) -> bool:
    """True when ``new_state`` would move a member backwards (unknown states rank as CONNECTED)."""
    return _STATE_RANK.get(new_state, 1) < _STATE_RANK.get(current_state, 1)


class MemberTable:
    """Members by id (`by_id` keeps join order) and which of them have their details."""

    def __init__(self) -> None:
        self.by_id: dict[str, Member] = {}
        self.detailed: set[str] = set()

    def add(self, member: Member, *, detailed: bool) -> None:
        """Add or replace ``member``."""
        self.by_id[member.id] = member
        if detailed:
            self.detailed.add(member.id)

    def merge(self, info: WebChatMemberInfo, *, self_id: str | None) -> tuple[Member, Member | None]:
        """Merge REST details; returns (current, previous). ``current == previous`` when nothing changed."""
        member_id = info.id or ""
        previous = self.by_id.get(member_id)
        new_state = sanitize_line(str(info.state)) if info.state is not None else None
        if previous is not None and new_state is not None and is_stale(new_state, previous.state):
            new_state = previous.state
        member = Member(
            id=member_id,
            display_name=info.display_name or (previous.display_name if previous else "") or "Unknown",
            role=sanitize_line(str(info.role))
            if info.role is not None
            else (previous.role if previous else ""),
            state=new_state or (previous.state if previous else "CONNECTED"),
            is_self=member_id == self_id,
            avatar_image_url=info.avatar_image_url or (previous.avatar_image_url if previous else None),
            join_date=info.join_date or (previous.join_date if previous else None),
            leave_date=info.leave_date or (previous.leave_date if previous else None),
        )
        self.detailed.add(member_id)
        if member != previous:
            self.by_id[member_id] = member
        return member, previous

    def advance(self, member: Member, state: str) -> Member | None:
        """Move ``member`` to ``state``; the updated member, or None when stale or unchanged."""
        if is_stale(state, member.state) or member.state == state:
            return None
        updated = replace(member, state=state)
        self.by_id[member.id] = updated
        return updated
