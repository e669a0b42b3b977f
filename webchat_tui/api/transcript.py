"""The transcript of a chat: the lines a reader sees, in order, and their exports (Markdown, JSON).

`describe_event` is the one place where a session event becomes words ("Alex Rivera joined the chat", "The
screen share request was cancelled", "Chat ended: ..."). `TranscriptRecorder` keeps those lines with the time
of each; the chat pane shows exactly the recorded lines, and both exports write every one of them, so a saved
transcript carries every line the pane showed. Markdown exports escape chat text (inline and block syntax),
so it cannot add formatting, headings, links or HTML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from webchat_tui.api.session_types import (
    ChatMessage,
    MediaRequest,
    MediaRequestChanged,
    Member,
    MessagesAdded,
    Notice,
    SessionEvent,
    SessionState,
    StateChanged,
)
from webchat_tui.chat.types import Attachment, Card, Carousel, DatePicker, ListPicker, QuickReply, TimeSlot

__all__ = [
    "Transcript",
    "TranscriptLine",
    "TranscriptRecorder",
    "describe_event",
    "describe_size",
    "describe_slot",
    "CONTENT_KINDS",
    "carousel_words",
    "describe_media_types",
    "escape_markdown",
    "transcript_json",
    "transcript_markdown",
]

_ROLE_KEYS = {"AGENT": "agent", "CUSTOMER": "customer", "WORKFLOW": "bot", "ACD": "bot", "BOT": "bot"}
CONTENT_KINDS = frozenset({"quick-replies", "card", "carousel", "date-picker", "list-picker", "attachment"})
"""Line kinds that describe a message's rich content (the pane draws their choices from the message)."""
_TYPE_WORDS = {"COBROWSE": "co-browse with you", "SCREENSHARE": "see your screen"}
_TYPE_NAMES = {"COBROWSE": "co-browse", "SCREENSHARE": "screen share"}
_OUTCOME_WORDS = {
    "ACCEPTED": "You accepted the {noun} request",
    "DECLINED": "You declined the {noun} request",
    "TIMEDOUT": "The {noun} request timed out",
    "CANCELLED": "The {noun} request was cancelled",
    "ERRORED": "The {noun} request failed",
}


def describe_media_types(types: Sequence[str], *, as_noun: bool = False) -> str:
    """Words for what a media request asks for: "see your screen" or, as a noun, "screen share"."""
    table = _TYPE_NAMES if as_noun else _TYPE_WORDS
    words = [table.get(t, t.lower()) for t in types] or ["share media"]
    return " and ".join(words)


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """One line of the transcript as the reader sees it."""

    at: datetime
    """When it happened (the message's own time for messages)."""
    sender: str
    """Sender display name for chat messages; empty for system lines."""
    role: str
    """`agent`, `customer`, `own`, `bot` (messages); `system`, `notice`, `error` (system lines); `failed`
    (a message of ours that was not sent); `content` (a message's rich content)."""
    text: str
    kind: str = "message"
    """What it records: `message`, `join`, `leave`, `notice`, `media`, `state`, `ended`, `failed`, `local`,
    `choice` (an answer the guest picked), `saved` (a file saved), or one of `CONTENT_KINDS`."""
    data: dict[str, str] = field(default_factory=dict)
    """Machine-readable details for the JSON export (media request id, type and state, end reason...)."""


def describe_size(size: int | None) -> str:
    """`812 bytes`, `12.3 KB`, `4.0 MB` (1 KB = 1000 bytes, as the service counts)."""
    if size is None:
        return "size unknown"
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1000:.1f} KB"
    return f"{size / 1_000_000:.1f} MB"


def describe_slot(slot: TimeSlot) -> str:
    """A date picker's time slot in words: `Mon 01 Dec 2026 10:00 UTC (60 min)`."""
    text = slot.date_time.strftime("%a %d %b %Y %H:%M UTC") if slot.date_time is not None else slot.raw
    if slot.duration_seconds:
        text += f" ({slot.duration_seconds // 60} min)"
    return text


def _content_lines(message: ChatMessage) -> list[TranscriptLine]:
    """One line per item of rich content (quick replies together), in words the exports keep."""
    at = message.timestamp
    out: list[TranscriptLine] = []
    replies = [c for c in message.content if isinstance(c, QuickReply)]
    base = {"id": message.id}
    if replies:
        words = " · ".join(r.text for r in replies)
        out.append(TranscriptLine(at, "", "content", f"Quick replies: {words}", "quick-replies", dict(base)))
    for index, item in enumerate(message.content):
        data = {**base, "index": str(index)}
        if isinstance(item, Card):
            out.append(TranscriptLine(at, "", "content", _card_words(item), "card", data))
        elif isinstance(item, Carousel):
            out.append(TranscriptLine(at, "", "content", carousel_words(item), "carousel", data))
        elif isinstance(item, DatePicker):
            title = " — ".join(t for t in (item.title, item.subtitle) if t) or "Choose a time"
            slots = " · ".join(describe_slot(t) for t in item.times) or "no times offered"
            out.append(
                TranscriptLine(at, "", "content", f"Date picker: {title}: {slots}", "date-picker", data)
            )
        elif isinstance(item, ListPicker):
            titles = " · ".join(i.title for section in item.sections for i in section.items)
            words = f"List: {item.title or 'Choose'}: {titles or 'nothing offered'}"
            out.append(TranscriptLine(at, "", "content", words, "list-picker", data))
        elif isinstance(item, Attachment):
            name = item.filename or "attachment"
            kind = item.mime or item.media_type or "file"
            words = f"Attachment: {name} ({kind}, {describe_size(item.size_bytes)})"
            extra = {"attachmentId": item.id or "", "filename": name, "size": str(item.size_bytes or "")}
            out.append(TranscriptLine(at, "", "content", words, "attachment", {**data, **extra}))
    return out


def carousel_words(carousel: Carousel) -> str:
    """A carousel as one item: a heading, then each card on its own line, numbered as the pane numbers them
    in its choices ("Card 2: Choose plan 2")."""
    count = len(carousel.cards)
    heading = f"Carousel of {count} card{'' if count == 1 else 's'}:"
    cards = [_card_words(card, f"Card {n}: ") for n, card in enumerate(carousel.cards, 1)]
    return "\n".join([heading, *cards])


def _card_words(card: Card, heading: str = "Card: ") -> str:
    parts = [heading + card.title]
    if card.description:
        parts.append(card.description)
    if card.image_url:
        parts.append(f"image {card.image_url}")
    buttons = [a.text + (f" <{a.url}>" if a.url else "") for a in card.actions]
    if buttons:
        parts.append("buttons: " + " · ".join(buttons))
    return " — ".join(parts)


def _message_lines(message: ChatMessage) -> list[TranscriptLine]:
    line = _message_line(message)
    if not message.content:
        return [line] if line is not None else []
    lines = [line] if line is not None and message.body else []
    return lines + _content_lines(message)


def _message_line(message: ChatMessage) -> TranscriptLine | None:
    kind = message.body_type
    name = message.sender_name or ("You" if message.is_own else "Unknown")
    at = message.timestamp
    if kind == "media-request":
        return None  # told by the media request's own changes, in words, with its type and outcome
    if kind in ("member-join", "member-leave") and message.sender_role == "SYSTEM" and message.body:
        return TranscriptLine(
            at, "", "notice", message.body, "notice"
        )  # presence told in the service's words
    if kind == "member-join":
        return TranscriptLine(at, "", "system", f"{name} joined the chat", "join", {"member": name})
    if kind == "member-leave":
        return TranscriptLine(at, "", "system", f"{name} left the chat", "leave", {"member": name})
    if kind == "notice":
        return TranscriptLine(at, "", "notice", message.body, "notice")
    role = "own" if message.is_own else _ROLE_KEYS.get(message.sender_role, "customer")
    return TranscriptLine(at, name, role, message.body, "message", {"id": message.id})


def _media_line(event: MediaRequestChanged, at: datetime, agent: str) -> TranscriptLine | None:
    request = event.request
    noun = describe_media_types(request.types, as_noun=True)
    data = {"mediaRequestId": request.id, "types": ",".join(request.types), "state": request.state}
    if request.state == "PENDING":
        if event.previous_state == "PENDING":
            return None
        who = request.requested_by or agent
        return TranscriptLine(at, "", "system", f"{who} asks to start a {noun}", "media", data)
    words = _OUTCOME_WORDS.get(request.state, "The {noun} request is now " + request.state.lower())
    role = "system" if request.state in ("ACCEPTED", "DECLINED") else "notice"
    return TranscriptLine(at, "", role, words.format(noun=noun), "media", data)


def describe_event(event: SessionEvent, at: datetime, agent: str = "The agent") -> list[TranscriptLine]:
    """The transcript lines `event` adds (none for typing, member and most state changes).

    `at` stamps lines that carry no time of their own; `agent` names the requester of a media request whose
    sender is unknown.
    """
    if isinstance(event, MessagesAdded):
        return [line for m in event.messages for line in _message_lines(m)]
    if isinstance(event, MediaRequestChanged):
        line = _media_line(event, at, agent)
        return [line] if line is not None else []
    if isinstance(event, Notice):
        role = {"error": "error", "warning": "notice"}.get(event.level, "notice")
        return [TranscriptLine(at, "", role, event.text, "notice", {"kind": event.kind, **event.details})]
    if isinstance(event, StateChanged) and event.state is SessionState.READ_ONLY:
        words = event.reason or "The conversation has ended"
        return [TranscriptLine(at, "", "notice", f"Read-only: {words}", "read-only", {"reason": words})]
    if isinstance(event, StateChanged) and event.state is SessionState.ENDED:
        words = event.reason or "The chat has ended"
        return [TranscriptLine(at, "", "notice", f"Chat ended: {words}", "ended", {"reason": words})]
    return []


class TranscriptRecorder:
    """Every transcript line of one chat, in the order they happened (fed with each session event)."""

    def __init__(self) -> None:
        self.lines: list[TranscriptLine] = []
        """The lines so far, oldest first."""
        self.agent = "The agent"
        """Who a media request of unknown sender is attributed to (the connected agent, when known)."""
        self.end_words: str | None = None
        """Why the chat ended, in the words the transcript uses (None while it runs)."""

    def record(self, event: SessionEvent) -> None:
        """Add the lines `event` describes, stamped now when it carries no time of its own."""
        now = datetime.now(UTC)
        if isinstance(event, StateChanged):
            if event.agent is not None:
                self.agent = event.agent.display_name
            if event.state is SessionState.ENDED:
                words = self._closing_notice() or event.reason or "The chat has ended"
                self.end_words = words
                self.lines.append(
                    TranscriptLine(now, "", "notice", f"Chat ended: {words}", "ended", {"reason": words})
                )
                return
        self.lines.extend(describe_event(event, now, self.agent))

    def _closing_notice(self) -> str | None:
        """The service's own notice just before the agent side ended the chat ("closed because of
        inactivity"): the real reason, better than "the agent ended the chat"."""
        for line in reversed(self.lines[-5:]):
            if line.kind == "leave":
                continue
            if line.kind == "notice" and "kind" not in line.data:  # a notice message, not a client notice
                return line.text
            return None
        return None

    def add(self, line: TranscriptLine) -> None:
        """Add a line that is not a session event (a message that could not be sent, a local note)."""
        self.lines.append(line)


@dataclass(frozen=True, slots=True)
class Transcript:
    """What a transcript shows of a session."""

    conversation_id: str | None
    started_at: datetime | None
    state: SessionState
    end_reason: str | None
    members: Sequence[Member]
    messages: Sequence[ChatMessage]
    media_requests: Sequence[MediaRequest]
    lines: Sequence[TranscriptLine] = ()
    """Every line the chat showed, in order (what both exports are written from)."""


def _clock(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M:%S")


def transcript_markdown(t: Transcript) -> str:
    """The transcript as Markdown: a header, then every line (chat text escaped so it cannot add formatting).

    Times are UTC, `HH:MM:SS`.
    """
    lines = ["# Chat transcript", ""]
    if t.conversation_id:
        lines.append(f"- Conversation: `{t.conversation_id}`")
    if t.started_at:
        lines.append(f"- Started: {t.started_at.isoformat(timespec='seconds')}")
    names = ", ".join(f"{escape_markdown(m.display_name)} ({m.role.lower() or 'member'})" for m in t.members)
    if names:
        lines.append(f"- Members: {names}")
    ended = next((line.data["reason"] for line in t.lines if line.kind == "ended"), t.end_reason)
    if ended:
        lines.append(f"- Ended: {escape_markdown(ended)}")
    lines.append("- Times: UTC")
    lines.append("")
    for line in t.lines:
        when = _clock(line.at)
        body = "  \n".join(escape_markdown(part) for part in line.text.split("\n"))
        if line.role == "failed":
            lines.append(f"**{escape_markdown(line.sender)}** ({when}, not sent): {body}")
        elif line.sender:
            lines.append(f"**{escape_markdown(line.sender)}** ({when}): {body}")
        else:
            lines.append(f"_{body} ({when})_")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def transcript_json(t: Transcript) -> str:
    """The transcript as JSON: conversation, members, every line as shown, messages and media requests (each
    request with the time of each state change)."""
    history: dict[str, list[dict[str, str]]] = {}
    for line in t.lines:
        if line.kind == "media" and "mediaRequestId" in line.data:
            history.setdefault(line.data["mediaRequestId"], []).append(
                {"state": line.data["state"], "at": line.at.isoformat()}
            )
    data: dict[str, Any] = {
        "conversationId": t.conversation_id,
        "startedAt": t.started_at.isoformat() if t.started_at else None,
        "state": t.state.value,
        "endReason": next((line.data["reason"] for line in t.lines if line.kind == "ended"), t.end_reason),
        "members": [
            {
                "id": m.id,
                "displayName": m.display_name,
                "role": m.role,
                "state": m.state,
                "isSelf": m.is_self,
            }
            for m in t.members
        ],
        "lines": [
            {
                "at": line.at.isoformat(),
                "kind": line.kind,
                "role": line.role,
                "sender": line.sender,
                "text": line.text,
                **({"data": line.data} if line.data else {}),
            }
            for line in t.lines
        ],
        "messages": [
            {
                "id": m.id,
                "senderId": m.sender_id,
                "senderName": m.sender_name,
                "senderRole": m.sender_role,
                "body": m.body,
                "bodyType": m.body_type,
                "timestamp": m.timestamp.isoformat(),
                "isOwn": m.is_own,
            }
            for m in t.messages
        ],
        "mediaRequests": [
            {
                "id": r.id,
                "types": list(r.types),
                "state": r.state,
                "requestedBy": r.requested_by,
                "changes": history.get(r.id, []),
            }
            for r in t.media_requests
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
_MD_BLOCK = re.compile(r"^(\s*)([#>+=-])")
_MD_LIST = re.compile(r"^(\s*\d+)([.)])")
_MD_INDENT = re.compile(r"^[ \t]+")


def escape_markdown(text: str) -> str:
    """Escape what would turn plain chat text into Markdown: inline formatting, links and HTML, and block
    syntax (headings, `===`/`---` underlines and rules, quotes, lists, fences, indented code)."""
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_BLOCK.sub(r"\1\\\2", text)
    text = _MD_LIST.sub(r"\1\\\2", text)
    # leading spaces would make an indented code block; non-breaking spaces keep the look, not the meaning
    return _MD_INDENT.sub(lambda m: "\u00a0" * len(m.group(0).expandtabs(4)), text)
