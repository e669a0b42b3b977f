"""Web Messaging structured messages -> the protocol-neutral vocabulary (`webchat_tui.chat.types`).

Who sent what (protocol.md §5.1): ``Inbound`` is the guest (including the echo of the guest's own message);
``Outbound`` with ``originatingEntity: Bot`` is a bot; any other ``Outbound`` is an agent (named by
``channel.from``). Presence events become system lines; typing events are not messages.
"""

from __future__ import annotations

from datetime import UTC, datetime

from webchat_tui.chat.types import (
    Attachment,
    Card,
    CardAction,
    Carousel,
    ChatMessage,
    Content,
    DatePicker,
    ListPicker,
    ListPickerItem,
    ListPickerSection,
    Member,
    MemberRole,
    MemberState,
    QuickReply,
    TimeSlot,
)
from webchat_tui.messaging.frames import (
    ContentCard,
    ContentCardAction,
    ContentItem,
    StructuredMessage,
    parse_time,
)

__all__ = ["GUEST_ID", "sender_of", "message_id", "to_content", "to_chat_message", "presence_line"]

GUEST_ID = "guest"
"""The participant id of the guest (Web Messaging has no member ids)."""

_PRESENCE_LINES = {
    "Disconnect": ("member-leave", "The conversation was ended."),
    "SignIn": ("notice", "Signed in."),
    "SessionExpired": ("notice", "The session expired."),
}


def sender_of(message: StructuredMessage, guest: Member) -> Member:
    """The participant who sent ``message``."""
    if message.is_inbound:
        return guest
    who = message.channel.from_ if message.channel is not None else None
    name = who.display_name if who is not None else None
    if message.originating_entity == "Bot":
        return Member(
            id=f"bot:{name or 'bot'}",
            display_name=name or "Bot",
            role=MemberRole.BOT,
            state=MemberState.CONNECTED,
            avatar_image_url=who.image if who is not None else None,
        )
    return Member(
        id=f"agent:{name or 'agent'}",
        display_name=name or "Agent",
        role=MemberRole.AGENT,
        state=MemberState.CONNECTED,
        avatar_image_url=who.image if who is not None else None,
    )


def message_id(message: StructuredMessage, fallback: str) -> str:
    """The message's id, else `channel.messageId`, else ``fallback``."""
    if message.id:
        return message.id
    if message.channel is not None and message.channel.message_id:
        return message.channel.message_id
    return fallback


def _action(action: ContentCardAction) -> CardAction:
    return CardAction(type=action.type, text=action.text, payload=action.payload, url=action.url)


def _card(card: ContentCard) -> Card:
    return Card(
        title=card.title,
        description=card.description,
        image_url=card.image,
        actions=tuple(_action(a) for a in card.actions),
        default_action=_action(card.default_action) if card.default_action is not None else None,
    )


def to_content(item: ContentItem) -> Content | None:
    """One content item as neutral `Content`, or None for what a guest does not see (button echoes,
    content types this client does not model)."""
    kind = item.content_type
    if kind == "Attachment" and item.attachment is not None:
        a = item.attachment
        size = a.file_size if a.file_size is not None else a.content_size_bytes
        return Attachment(
            id=a.id,
            filename=a.filename,
            mime=a.mime,
            media_type=a.media_type,
            url=a.url,
            size_bytes=int(size) if size is not None else None,
        )
    if kind == "QuickReply" and item.quick_reply is not None:
        q = item.quick_reply
        return QuickReply(text=q.text, payload=q.payload, image_url=q.image)
    if kind == "Card" and item.card is not None:
        return _card(item.card)
    if kind == "Carousel" and item.carousel is not None:
        return Carousel(cards=tuple(_card(c) for c in item.carousel.cards))
    if kind == "DatePicker" and item.date_picker is not None:
        d = item.date_picker
        return DatePicker(
            title=d.title,
            subtitle=d.subtitle,
            image_url=d.image_url,
            times=tuple(
                TimeSlot(parse_time(t.date_time), t.date_time, t.duration) for t in d.available_times
            ),
        )
    if kind == "ListPicker" and item.list_picker is not None:
        lp = item.list_picker
        return ListPicker(
            title=lp.received_message.title if lp.received_message is not None else None,
            sections=tuple(
                ListPickerSection(
                    title=s.title,
                    multiple_selection=s.multiple_selection,
                    items=tuple(ListPickerItem(i.id, i.title, i.subtitle, i.image_url) for i in s.items),
                )
                for s in lp.sections
            ),
        )
    return None


def to_chat_message(
    message: StructuredMessage,
    guest: Member,
    *,
    fallback_id: str,
    received_at: datetime | None = None,
    sender: Member | None = None,
) -> ChatMessage | None:
    """A Text or Structured message as a `ChatMessage`; None for events (see `presence_line`) and for a
    message with neither text nor content. ``sender``: the participant when the caller already knows it."""
    if message.type not in ("Text", "Structured"):
        return None
    if sender is None:
        sender = sender_of(message, guest)
    content = (
        tuple(c for c in (to_content(item) for item in message.content) if c is not None)
        if message.content
        else ()
    )
    body = message.text or ""
    if not body:
        for item in message.content:
            if item.button_response is not None:  # the echo of a quick-reply tap sent with empty text
                body = item.button_response.text
                break
    if not body and not content:
        return None  # nothing a guest could see (a malformed or empty frame)
    return ChatMessage(
        id=message_id(message, fallback_id),
        sender_id=sender.id,
        sender_name=sender.display_name,
        sender_role=sender.role,
        body=body,
        body_type="standard",
        timestamp=message.time or received_at or datetime.now(UTC),
        is_own=message.is_inbound,
        content=content,
    )


def presence_line(
    message: StructuredMessage, presence: str, *, fallback_id: str, received_at: datetime | None = None
) -> ChatMessage | None:
    """A system line for a Presence event the guest should see (Disconnect, SignIn, SessionExpired)."""
    line = _PRESENCE_LINES.get(presence)
    if line is None:
        return None
    body_type, text = line
    if presence == "SignIn" and message.channel is not None and message.channel.from_ is not None:
        name = message.channel.from_.display_name
        if name:
            text = f"Signed in as {name}."
    return ChatMessage(
        id=message_id(message, fallback_id),
        sender_id="system",
        sender_name="System",
        sender_role=MemberRole.SYSTEM,
        body=text,
        body_type=body_type,
        timestamp=message.time or received_at or datetime.now(UTC),
    )
