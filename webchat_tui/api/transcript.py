"""Transcript export of a chat: Markdown (chat text escaped, so it cannot add formatting, links or HTML) and
JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from webchat_tui.api.session_types import ChatMessage, MediaRequest, Member, SessionState

__all__ = ["Transcript", "transcript_json", "transcript_markdown"]


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


def transcript_markdown(t: Transcript) -> str:
    """The transcript as Markdown (chat text escaped so it cannot add formatting)."""
    lines = ["# Chat transcript", ""]
    if t.conversation_id:
        lines.append(f"- Conversation: `{t.conversation_id}`")
    if t.started_at:
        lines.append(f"- Started: {t.started_at.isoformat(timespec='seconds')}")
    names = ", ".join(f"{_md(m.display_name)} ({m.role.lower() or 'member'})" for m in t.members)
    if names:
        lines.append(f"- Members: {names}")
    if t.end_reason:
        lines.append(f"- Ended: {_md(t.end_reason)}")
    lines.append("")
    for message in t.messages:
        when = message.timestamp.astimezone(UTC).strftime("%H:%M:%S")
        name = _md(message.sender_name)
        if message.body_type == "standard":
            body = "  \n".join(_md(line) for line in message.body.split("\n"))
            lines.append(f"**{name}** ({when}): {body}")
        elif message.body_type == "member-join":
            lines.append(f"_{name} joined the chat ({when})_")
        elif message.body_type == "member-leave":
            lines.append(f"_{name} left the chat ({when})_")
        elif message.body_type == "media-request":
            lines.append(f"_{name} sent a media request ({when})_")
        else:
            lines.append(f"_{name} ({message.body_type}, {when}): {_md(message.body)}_")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def transcript_json(t: Transcript) -> str:
    """The transcript as JSON: conversation id, members, messages and media requests."""
    data: dict[str, Any] = {
        "conversationId": t.conversation_id,
        "startedAt": t.started_at.isoformat() if t.started_at else None,
        "state": t.state.value,
        "endReason": t.end_reason,
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
            {"id": r.id, "types": list(r.types), "state": r.state, "requestedBy": r.requested_by}
            for r in t.media_requests
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
_MD_BLOCK = re.compile(r"^(\s*)([#>+-])")
_MD_LIST = re.compile(r"^(\s*\d+)([.)])")


def _md(text: str) -> str:
    """Escape what would turn plain chat text into Markdown formatting, links or HTML."""
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_BLOCK.sub(r"\1\\\2", text)
    return _MD_LIST.sub(r"\1\\\2", text)
