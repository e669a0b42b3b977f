"""Compatibility re-export: the session vocabulary moved to the protocol-neutral `webchat_tui.chat.types`.

Every name that was importable from here still is; new code should import from `webchat_tui.chat`.
"""

from __future__ import annotations

from webchat_tui.chat.types import (
    ChatMessage,
    EndCause,
    MediaRequest,
    MediaRequestChanged,
    Member,
    MemberChanged,
    MemberRole,
    MemberState,
    MessagesAdded,
    Notice,
    ParticipantKind,
    SessionEvent,
    SessionState,
    StateChanged,
    TypingChanged,
)

__all__ = [
    "SessionState",
    "EndCause",
    "ParticipantKind",
    "MemberRole",
    "MemberState",
    "Member",
    "ChatMessage",
    "MediaRequest",
    "StateChanged",
    "MessagesAdded",
    "MemberChanged",
    "TypingChanged",
    "MediaRequestChanged",
    "Notice",
    "SessionEvent",
]
