"""`DeskBackend`: what the agent console does on the emulator, through the one control client.

Every agent action is one `ControlClient` call run in a thread (the client is synchronous); the live feed
is the client's websocket (`ControlClient.open_feed`), reconnected with a growing pause when it drops. No
Textual here: the app turns feed events into messages.

Messages (the history, and what the console sends with rich content) come back as the guest's own
`ChatMessage`s, each with its service time: Web Messaging bodies go through the guest app's converter
(`messaging.convert`), so the console shows a card, its buttons and the time as the guest sees them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import mimetypes
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from webchat_tui.chat.types import ChatMessage, Member, MemberRole, MemberState
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.messaging.convert import GUEST_ID, to_chat_message
from webchat_tui.messaging.frames import parse_history_page, parse_time
from webchat_tui.sanitize import sanitize_json, sanitize_line

log = logging.getLogger(__name__)
T = TypeVar("T")
WEBCHAT, MESSAGING = "webchat", "messaging"
MAX_FILE_BYTES = 700_000
"""Largest file the console sends: base64 makes it about 930 KB, under the control API's 1 MiB body cap."""
RECONNECT_PAUSES = (0.2, 0.5, 1.0, 2.0, 5.0)


def messaging_chat_messages(bodies: list[Any], guest_name: str) -> list[ChatMessage]:
    """Web Messaging StructuredMessage bodies (the transcript, or what an agent route answered it sent) as
    the guest app sees them: text and rich content, sender, and `channel.time` (every string inert)."""
    guest = Member(GUEST_ID, guest_name, MemberRole.CUSTOMER, MemberState.CONNECTED)
    out: list[ChatMessage] = []
    for number, message in enumerate(parse_history_page({"entities": bodies}).entities):
        converted = to_chat_message(message, guest, fallback_id=f"console-{number}")
        if converted is not None:
            out.append(converted)
    return out


def _sent_messages(answer: Any, guest_name: str) -> list[ChatMessage]:
    bodies = answer.get("messages") if isinstance(answer, dict) else None
    return messaging_chat_messages(bodies if isinstance(bodies, list) else [], guest_name)


class DeskBackend:
    """The agent's actions and the live feed of one emulator (`client`), as `agent_name`."""

    def __init__(self, client: ControlClient, agent_name: str) -> None:
        self.client = client
        self.agent_name = agent_name

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    # --- the feed ---
    async def feed(self) -> AsyncIterator[dict[str, Any]]:
        """Feed events (inert: every string sanitized), forever; after a reconnect the first event is a
        fresh snapshot."""
        attempt = 0
        while True:
            try:
                connection = await self.client.open_feed()
            except Exception as exc:  # noqa: BLE001 - any failure: retry later
                log.info("agent feed: cannot connect (%s)", exc)
                await asyncio.sleep(RECONNECT_PAUSES[min(attempt, len(RECONNECT_PAUSES) - 1)])
                attempt += 1
                yield {"type": "offline"}
                continue
            attempt = 0
            try:
                async for raw in connection:
                    try:
                        event = json.loads(raw)
                    except ValueError:
                        continue
                    if isinstance(event, dict):
                        yield sanitize_json(event)
            except Exception as exc:  # noqa: BLE001 - the socket dropped: reconnect
                log.info("agent feed dropped (%s)", exc)
            finally:
                await connection.close()
            yield {"type": "offline"}
            await asyncio.sleep(RECONNECT_PAUSES[0])

    # --- the desk ---
    async def take(self, channel: str, cid: str) -> dict[str, Any]:
        """Answer a waiting conversation."""
        return await self._run(self.client.take, channel, cid, self.agent_name)

    async def history(self, channel: str, cid: str, guest_name: str) -> list[ChatMessage]:
        """What was said before the console joined (the guest, agents, a bot), oldest first, with times."""
        if channel == WEBCHAT:
            conv = await self._run(self.client.conversation, cid)
            members = {str(m.get("id")): m for m in conv.get("members", []) if isinstance(m, dict)}
            events = await self._run(self.client.record, cid)
            out = []
            for e in sanitize_json(events):
                if e.get("kind") != "message" or e.get("bodyType") != "standard":
                    continue
                member = members.get(str(e.get("senderId")), {})
                guest = member.get("role") == "CUSTOMER"
                name = guest_name if guest else str(member.get("displayName") or "Agent")
                out.append(
                    ChatMessage(
                        id=str(e.get("id", "")),
                        sender_id=str(e.get("senderId", "")),
                        sender_name=sanitize_line(name),
                        sender_role=MemberRole.CUSTOMER if guest else MemberRole.AGENT,
                        body=str(e.get("body", "")),
                        body_type="standard",
                        timestamp=parse_time(str(e.get("timestamp") or "")) or datetime.now(UTC),
                        is_own=guest,
                    )
                )
            return out
        messages = await self._run(self.client.messaging_messages, cid)
        return messaging_chat_messages(messages, guest_name)

    async def send_text(self, channel: str, cid: str, text: str) -> None:
        """Send a text message."""
        if channel == WEBCHAT:
            await self._run(self.client.agent_messages, cid, text)
        else:
            await self._run(self.client.messaging_agent_messages, cid, text)

    async def typing(self, channel: str, cid: str) -> None:
        """Tell the guest the agent is typing."""
        if channel == WEBCHAT:
            await self._run(self.client.agent_typing, cid)
        else:
            await self._run(self.client.messaging_agent, cid, "typing")

    async def quick_replies(
        self, cid: str, text: str, replies: list[str], guest_name: str
    ) -> list[ChatMessage]:
        """Web Messaging: a question with quick-reply buttons; returns what the guest got."""
        body: dict[str, Any] = {"replies": replies}
        if text:
            body["text"] = text
        answer = await self._run(self.client.messaging_agent, cid, "quickreplies", body)
        return _sent_messages(answer, guest_name)

    async def rich(self, cid: str, what: str, guest_name: str, text: str = "") -> list[ChatMessage]:
        """Web Messaging: a sample `card`, `carousel`, `datepicker` or `listpicker`; returns what the guest
        got."""
        answer = await self._run(self.client.messaging_agent, cid, what, {"text": text} if text else {})
        return _sent_messages(answer, guest_name)

    async def send_file(self, cid: str, path: Path, guest_name: str) -> list[ChatMessage]:
        """Web Messaging: send the file at `path`; returns what the guest got."""
        data = await self._run(path.read_bytes)
        if len(data) > MAX_FILE_BYTES:
            raise ValueError(
                f"{path.name} is {len(data):,} bytes; the console sends files up to {MAX_FILE_BYTES:,}"
            )
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        body = {"fileName": path.name, "mime": mime, "base64": base64.b64encode(data).decode()}
        answer = await self._run(self.client.messaging_agent, cid, "attachment", body)
        return _sent_messages(answer, guest_name)

    async def media_request(self, cid: str, kind: str) -> dict[str, Any]:
        """Web Chat v2: a co-browse (`COBROWSE`) or screen-share (`SCREENSHARE`) request."""
        return await self._run(self.client.media_request, cid, [kind])

    async def transfer(self, channel: str, cid: str, *, queue: str | None = None) -> None:
        """To the next simulated agent, or to `queue`."""
        await self._run(self.client.desk_transfer, channel, cid, queue=queue)

    async def end(self, channel: str, cid: str) -> None:
        """End the conversation."""
        if channel == WEBCHAT:
            await self._run(self.client.end, cid)
        else:
            await self._run(self.client.messaging_agent, cid, "disconnect")
