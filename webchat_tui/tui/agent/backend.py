"""`DeskBackend`: what the agent console does on the emulator, through the one control client.

Every agent action is one `ControlClient` call run in a thread (the client is synchronous); the live feed
is the client's websocket (`ControlClient.open_feed`), reconnected with a growing pause when it drops. No
Textual here: the app turns feed events into messages.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import mimetypes
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.sanitize import sanitize_json

log = logging.getLogger(__name__)
T = TypeVar("T")
WEBCHAT, MESSAGING = "webchat", "messaging"
MAX_FILE_BYTES = 700_000
"""Largest file the console sends: base64 makes it about 930 KB, under the control API's 1 MiB body cap."""
RECONNECT_PAUSES = (0.2, 0.5, 1.0, 2.0, 5.0)


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

    async def history(self, channel: str, cid: str) -> list[tuple[str, str]]:
        """What was said before the console joined, as (who, text): who is guest, agent, bot or system."""
        if channel == WEBCHAT:
            conv = await self._run(self.client.conversation, cid)
            roles = {m["id"]: m["role"] for m in conv.get("members", [])}
            events = await self._run(self.client.record, cid)
            out = []
            for e in events:
                if e.get("kind") == "message" and e.get("bodyType") == "standard":
                    who = "guest" if roles.get(e.get("senderId")) == "CUSTOMER" else "agent"
                    out.append((who, str(e.get("body", ""))))
            return [(w, t) for w, t in sanitize_json(out)]
        messages = await self._run(self.client.messaging_messages, cid)
        out = []
        for m in messages:
            if m.get("type") not in ("Text", "Structured"):
                continue
            inbound = m.get("direction") == "Inbound"
            bot = (m.get("originatingEntity") == "Bot") and not inbound
            text = str(m.get("text") or "")
            for item in m.get("content") or []:
                if item.get("contentType") == "ButtonResponse":
                    text = text or str((item.get("buttonResponse") or {}).get("text", ""))
                elif item.get("contentType") == "Attachment":
                    text = (
                        text + " " if text else ""
                    ) + f"[file {(item.get('attachment') or {}).get('filename', '')}]"
                elif item.get("contentType"):
                    text = (text + " " if text else "") + f"[{item['contentType']}]"
            out.append(("guest" if inbound else ("bot" if bot else "agent"), text))
        return [(w, t) for w, t in sanitize_json(out)]

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

    async def quick_replies(self, cid: str, text: str, replies: list[str]) -> None:
        """Web Messaging: a question with quick-reply buttons."""
        body: dict[str, Any] = {"replies": replies}
        if text:
            body["text"] = text
        await self._run(self.client.messaging_agent, cid, "quickreplies", body)

    async def rich(self, cid: str, what: str, text: str = "") -> None:
        """Web Messaging: a sample `card`, `carousel`, `datepicker` or `listpicker`."""
        await self._run(self.client.messaging_agent, cid, what, {"text": text} if text else {})

    async def send_file(self, cid: str, path: Path) -> str:
        """Web Messaging: send the file at `path`; returns its name."""
        data = await self._run(path.read_bytes)
        if len(data) > MAX_FILE_BYTES:
            raise ValueError(
                f"{path.name} is {len(data):,} bytes; the console sends files up to {MAX_FILE_BYTES:,}"
            )
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        body = {"fileName": path.name, "mime": mime, "base64": base64.b64encode(data).decode()}
        await self._run(self.client.messaging_agent, cid, "attachment", body)
        return path.name

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
