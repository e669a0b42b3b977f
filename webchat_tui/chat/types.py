"""The protocol-neutral vocabulary of a guest chat: state, participants, messages (with rich content),
media requests and session events.

Both `webchat_tui.api.ChatSession` (Web Chat v2) and `webchat_tui.messaging.MessagingSession` (Web Messaging)
hold these and publish `SessionEvent`s; the TUI, headless tools and tests consume them. Nothing here knows
about Textual, Rich, httpx, pydantic or websockets. All remote text in these objects has already been passed
through `webchat_tui.sanitize` by the session that made them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "SessionState",
    "ACTIVE_STATES",
    "FINISHED_STATES",
    "EndCause",
    "ParticipantKind",
    "participant_kind",
    "MemberRole",
    "MemberState",
    "Member",
    "ChatMessage",
    "Content",
    "QuickReply",
    "CardAction",
    "Card",
    "Carousel",
    "TimeSlot",
    "DatePicker",
    "ListPickerItem",
    "ListPickerSection",
    "ListPicker",
    "Attachment",
    "ContentChoice",
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
    READ_ONLY = "read_only"
    """The conversation was ended by the other side but its history stays readable; sending is refused
    (Web Messaging's read-only disconnect). Starting a new conversation is still possible."""
    ENDED = "ended"
    """The chat is over (agent ended it, guest left, idle timeout, expiry, cleared, or a fatal error)."""


ACTIVE_STATES = (SessionState.WAITING_FOR_AGENT, SessionState.CONNECTED, SessionState.RECONNECTING)
"""The states in which the guest can send (a drop being repaired included)."""
FINISHED_STATES = (SessionState.ENDED, SessionState.READ_ONLY)
"""The states in which the conversation is over for this guest (read-only history included)."""


class EndCause(StrEnum):
    """Why a session reached ENDED (or READ_ONLY); carried by `StateChanged.cause`."""

    AGENT_ENDED = "agent_ended"
    """The agent or the flow ended the conversation."""
    GUEST_LEFT = "guest_left"
    """The guest left or closed the conversation."""
    IDLE_TIMEOUT = "idle_timeout"
    """The service ended an idle conversation."""
    EXPIRED = "expired"
    """The guest session's lifetime ran out (Web Messaging 4006 / SessionExpiredEvent)."""
    CLEARED = "cleared"
    """The guest cleared the conversation; its history is gone."""
    CLOSED_ELSEWHERE = "closed_elsewhere"
    """Another connection of the same guest closed the session, or the per-guest connection limit was hit."""
    SIGNED_IN_ELSEWHERE = "signed_in_elsewhere"
    """The guest signed in on another device (authenticated step-up)."""
    LOGGED_OUT = "logged_out"
    """The authenticated guest logged out."""
    ERROR = "error"
    """A fatal error (refused credentials, session not found, unreachable service...)."""


class ParticipantKind(StrEnum):
    """Who a participant is, independent of the protocol's own role names."""

    CUSTOMER = "customer"
    AGENT = "agent"
    BOT = "bot"
    SYSTEM = "system"


class MemberRole(StrEnum):
    """Roles from the contract's `WebChatMemberInfo.role`; unknown values are kept as plain strings."""

    AGENT = "AGENT"
    CUSTOMER = "CUSTOMER"
    WORKFLOW = "WORKFLOW"
    ACD = "ACD"
    BOT = "BOT"
    """A bot or automated flow (Web Messaging ``originatingEntity: Bot``)."""
    SYSTEM = "SYSTEM"
    """The service itself (system lines, presence events)."""


_KIND_BY_ROLE: dict[str, ParticipantKind] = {
    MemberRole.AGENT: ParticipantKind.AGENT,
    MemberRole.CUSTOMER: ParticipantKind.CUSTOMER,
    MemberRole.WORKFLOW: ParticipantKind.BOT,
    MemberRole.BOT: ParticipantKind.BOT,
    MemberRole.ACD: ParticipantKind.SYSTEM,
    MemberRole.SYSTEM: ParticipantKind.SYSTEM,
}


def participant_kind(role: str) -> ParticipantKind:
    """The `ParticipantKind` of a `MemberRole` value; an unknown role counts as SYSTEM."""
    return _KIND_BY_ROLE.get(role, ParticipantKind.SYSTEM)


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

    @property
    def kind(self) -> ParticipantKind:
        """Customer, agent, bot or system."""
        return participant_kind(self.role)


# ----------------------------------------------------------------------------------------------------
# Rich content carried by a message (Web Messaging structured messages; Web Chat v2 has none).


@dataclass(frozen=True, slots=True)
class QuickReply:
    """One quick-reply option: tapping it sends `text` with `payload` back."""

    text: str
    payload: str
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class CardAction:
    """A card button: ``Postback`` sends `payload` back; ``Link`` opens `url`."""

    type: str
    text: str
    payload: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Card:
    """A card: title, optional description and image, and buttons."""

    title: str
    description: str | None = None
    image_url: str | None = None
    actions: tuple[CardAction, ...] = ()
    default_action: CardAction | None = None


@dataclass(frozen=True, slots=True)
class Carousel:
    """Several cards side by side."""

    cards: tuple[Card, ...]


@dataclass(frozen=True, slots=True)
class TimeSlot:
    """One offered time of a date picker."""

    date_time: datetime | None
    """None when the service sent a time this client cannot parse (see `raw`)."""
    raw: str
    """The time exactly as sent; what a choice sends back."""
    duration_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class DatePicker:
    """A request to choose one of `times`."""

    title: str | None = None
    subtitle: str | None = None
    image_url: str | None = None
    times: tuple[TimeSlot, ...] = ()


@dataclass(frozen=True, slots=True)
class ListPickerItem:
    """One selectable row of a list picker."""

    id: str
    title: str
    subtitle: str | None = None
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class ListPickerSection:
    """A titled group of list-picker items."""

    title: str
    items: tuple[ListPickerItem, ...]
    multiple_selection: bool = False


@dataclass(frozen=True, slots=True)
class ListPicker:
    """A request to choose items from sections."""

    title: str | None = None
    sections: tuple[ListPickerSection, ...] = ()


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a message. `url` may expire (ask the session for a fresh one)."""

    id: str | None
    filename: str | None = None
    mime: str | None = None
    media_type: str | None = None
    """``Image``, ``Video``, ``Audio``, ``File`` or ``Link``."""
    url: str | None = None
    size_bytes: int | None = None


Content = QuickReply | Card | Carousel | DatePicker | ListPicker | Attachment
"""One item of rich content attached to a `ChatMessage`."""


@dataclass(frozen=True, slots=True)
class ContentChoice:
    """The guest's answer to rich content: a quick reply, a card button, a time slot or list items."""

    message_id: str
    """The id of the message that offered the choice."""
    kind: str
    """``QuickReply``, ``Button``, ``DatePicker`` or ``ListPicker``."""
    text: str
    payload: str


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat message (standard text, notice, member-join/leave or media-request system line), with any
    rich content (quick replies, cards, carousels, date and list pickers, attachments)."""

    id: str
    sender_id: str
    sender_name: str
    sender_role: str
    body: str
    body_type: str
    """`standard`, `notice`, `member-join`, `member-leave`, `media-request`, or an unknown raw value."""
    timestamp: datetime
    is_own: bool = False
    content: tuple[Content, ...] = ()
    """Rich content, in the order the service sent it (empty for plain text)."""

    @property
    def sender_kind(self) -> ParticipantKind:
        """Customer, agent, bot or system."""
        return participant_kind(self.sender_role)


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
    cause: EndCause | None = None
    """Why, when `state` is ENDED or READ_ONLY (None when the protocol does not say)."""


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
"""Every event a session (`ChatSession`, `MessagingSession`) publishes."""
