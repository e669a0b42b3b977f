"""The UI-agnostic vocabulary of a guest chat: state, members, messages, media requests and session events.

`ChatSession` (in `session.py`) holds these and publishes `SessionEvent`s; the TUI, headless tools and tests
consume them. Nothing here knows about Textual, Rich, httpx or websockets. All remote text in these objects
has already been passed through `webchat_tui.sanitize` by the session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "SessionState",
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


class SessionState(StrEnum):
    """Where a guest chat is in its life."""

    IDLE = "idle"
    """Created, `start()` not called yet."""
    CONNECTING = "connecting"
    """Creating the conversation and attaching the event stream."""
    WAITING_FOR_AGENT = "waiting_for_agent"
    """Stream attached, routed to a queue, no agent connected yet (also between a transfer's two agents)."""
    CONNECTED = "connected"
    """An agent is connected."""
    RECONNECTING = "reconnecting"
    """The event stream dropped and is being re-established; REST still works."""
    ENDED = "ended"
    """The chat is over (agent ended it, guest left, idle timeout, or a fatal error)."""


class MemberRole(StrEnum):
    """Roles from the contract's `WebChatMemberInfo.role`; unknown values are kept as plain strings."""

    AGENT = "AGENT"
    CUSTOMER = "CUSTOMER"
    WORKFLOW = "WORKFLOW"
    ACD = "ACD"


class MemberState(StrEnum):
    """Member states from the contract's `WebChatMemberInfo.state`."""

    ALERTING = "ALERTING"
    CONNECTED = "CONNECTED"
    DISCONNECTED = "DISCONNECTED"


@dataclass(frozen=True, slots=True)
class Member:
    """One member of the conversation as the guest sees it."""

    id: str
    display_name: str
    role: str
    """A `MemberRole` value, or the raw string for a role this client does not know."""
    state: str
    """A `MemberState` value, or the raw string for a state this client does not know."""
    is_self: bool = False
    avatar_image_url: str | None = None
    join_date: datetime | None = None
    leave_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat message (standard text, notice, member-join/leave or media-request system line)."""

    id: str
    sender_id: str
    sender_name: str
    sender_role: str
    body: str
    body_type: str
    """`standard`, `notice`, `member-join`, `member-leave`, `media-request`, or an unknown raw value."""
    timestamp: datetime
    is_own: bool = False


@dataclass(frozen=True, slots=True)
class MediaRequest:
    """A co-browse / screen-share request from the agent."""

    id: str
    types: tuple[str, ...]
    """`COBROWSE` and/or `SCREENSHARE`."""
    state: str
    """`PENDING`, `ACCEPTED`, `DECLINED`, `TIMEDOUT`, `CANCELLED` or `ERRORED`."""
    requested_by: str | None = None
    """Display name of the agent who asked, when known."""
    security_key: str | None = field(default=None, repr=False)
    """Secret for the co-browse/screen-share component; kept out of reprs and logs."""
    communication_id: str | None = None


# ----------------------------------------------------------------------------------------------------
# Session events: what a consumer (TUI, headless tool, test) is told, in order.


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The session moved from `previous` to `state`."""

    state: SessionState
    previous: SessionState
    reason: str | None = None
    """Plain-words reason, e.g. "The agent ended the chat", "You left the chat", "Idle timeout"."""
    agent: Member | None = None
    """The connected agent when `state` is CONNECTED."""


@dataclass(frozen=True, slots=True)
class MessagesAdded:
    """New chat messages, in conversation order, never seen before by this consumer.

    A burst arrives as one (or a few) large batches."""

    messages: tuple[ChatMessage, ...]


@dataclass(frozen=True, slots=True)
class MemberChanged:
    """A member joined, changed state, or its details became known."""

    member: Member
    previous_state: str | None
    """None when the member is new to this session."""


@dataclass(frozen=True, slots=True)
class TypingChanged:
    """The set of other members currently typing changed (indicators expire ~4 s after the last one)."""

    typing: tuple[Member, ...]


@dataclass(frozen=True, slots=True)
class MediaRequestChanged:
    """A media request appeared or changed state (including TIMEDOUT and CANCELLED from the agent side)."""

    request: MediaRequest
    previous_state: str | None


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should be told that is not a chat message (transfer, reconnect, resync, errors)."""

    text: str
    level: str = "info"
    """`info`, `warning` or `error`."""
    kind: str = "info"
    """Machine-readable kind, e.g. `transfer`, `reconnected`, `resynced`, `send-failed`, `typing-failed`."""
    details: dict[str, str] = field(default_factory=dict)


SessionEvent = StateChanged | MessagesAdded | MemberChanged | TypingChanged | MediaRequestChanged | Notice
"""Every event a `ChatSession` publishes."""
