"""Simulated contact centre: ACD routing, agent personas that greet and reply, idle and media-request timers.

All delays are multiplied by `config.time_scale`. With `auto_agent` off nothing happens on its own: the
control
API drives the agent (connect, messages, typing, media requests, transfer, end). Timers (idle timeout, media
request timeout) run in both modes.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from webchat_tui.emulator.config import AGENTS
from webchat_tui.emulator.errors import EmulatorError
from webchat_tui.emulator.state import ACTIVE, CONNECTED, ENDED, QUEUED, Conversation, MediaRequest, Message

if TYPE_CHECKING:
    from webchat_tui.emulator.human_agents import HumanDesk
    from webchat_tui.emulator.state import Store

ROUTE_DELAY = 1.5  # seconds from attach to ALERTING
ANSWER_DELAY = 1.0  # ALERTING -> CONNECTED
TYPING_DELAY = 0.6  # before typing starts
REPLY_DELAY = 1.2  # typing -> message
SPARE_AGENTS = ("Taylor Brooks", "Morgan Blake", "Casey Nguyen")

_SCREEN = re.compile(r"screen\s*-?\s*share", re.IGNORECASE)
_COBROWSE = re.compile(r"co-?\s*brows", re.IGNORECASE)
_TRANSFER = re.compile(r"\btransfer\b", re.IGNORECASE)
_BYE = re.compile(r"\bbye\b", re.IGNORECASE)


class Director:
    """Reacts to store events with simulated agent behaviour (one instance per store)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.desk: HumanDesk | None = None  # set by `human_agents.install`: chats a person answers
        store.director = self

    @property
    def scale(self) -> float:
        """Current time scale."""
        return self.store.config.time_scale

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds * self.scale)

    # --- hooks ---
    def on_attach(self, conv: Conversation) -> None:
        """Routing starts: a person's chat waits at the agent desk; else, with auto agents and a staffed
        queue, an agent is offered after a short wait."""
        if self.desk is not None and self.desk.claim_webchat(conv):
            return
        if self.store.config.auto_agent and AGENTS.get(conv.queue):
            self.store.spawn(conv, self._route(conv))

    def on_auto_agent_enabled(self) -> None:
        """The auto agent was switched on: chats already waiting in a staffed queue get routed now."""
        for conv in list(self.store.conversations.values()):
            if conv.state == QUEUED and conv.agent_id is None and not self._human(conv):
                self.on_attach(conv)

    def on_guest_message(self, conv: Conversation, msg: Message) -> None:
        """Guest activity resets the idle timer; the agent answers standard messages."""
        self.touch(conv)
        if self.desk is not None:
            self.desk.webchat_message(conv, msg)
        if self._human(conv):
            return
        if self.store.config.auto_agent and msg.body_type == "standard" and conv.agent is not None:
            self.store.spawn(conv, self._reply(conv, msg.body))

    def on_media_patch(self, conv: Conversation, mr: MediaRequest) -> None:
        """The agent acknowledges the guest's answer to a media request (a person sees it on the feed)."""
        if self.desk is not None:
            self.desk.webchat_media(conv, mr)
        if self._human(conv) or not self.store.config.auto_agent or conv.agent is None:
            return
        text = {
            "ACCEPTED": "Thanks, the session is starting now.",
            "DECLINED": "No problem, we can continue here in the chat.",
            "ERRORED": "It looks like that did not work on your side. We can keep chatting here.",
        }.get(mr.state)
        if text:
            self.store.spawn(conv, self._say(conv, text, typing_first=False))

    def on_guest_typing(self, conv: Conversation) -> None:
        """The guest is typing: activity for the idle timer, and an event for the agent desk."""
        self.touch(conv)
        if self.desk is not None:
            self.desk.webchat_typing(conv)

    def on_ended(self, conv: Conversation) -> None:
        """The conversation ended (whoever ended it)."""
        if self.desk is not None:
            self.desk.webchat_ended(conv)

    def _human(self, conv: Conversation) -> bool:
        return self.desk is not None and self.desk.handles("webchat", conv.id)

    def touch(self, conv: Conversation) -> None:
        """(Re)start the idle timer; it only runs while an agent is connected (protocol.md §6.3)."""
        if conv.idle_task is not None:
            conv.idle_task.cancel()
            conv.idle_task = None
        if conv.state == ACTIVE and conv.agent is not None:
            conv.idle_task = asyncio.get_running_loop().create_task(self._idle(conv))

    def arm_media_timeout(self, conv: Conversation, mr: MediaRequest) -> None:
        """PENDING requests time out after `media_request_timeout` x scale."""
        mr.timeout_task = asyncio.get_running_loop().create_task(self._media_timeout(conv, mr))

    # --- control ---
    def connect_now(self, conv: Conversation, name: str | None = None) -> None:
        """Route a queued chat to an agent immediately: ALERTING -> CONNECTED, member-join, no greeting."""
        agent = self.store.offer_agent(conv, name or self._pick_agent(conv))
        self.store.connect_agent(conv, agent)

    def transfer(self, conv: Conversation, to_agent: str | None = None) -> None:
        """The current agent leaves; another joins (ALERTING, then CONNECTED)."""
        current = self.store.require_agent(conv)
        if to_agent is not None and to_agent == current.display_name:
            raise EmulatorError("bad.request", message=f"{to_agent} is already the connected agent.")
        name = to_agent or self._pick_agent(conv)
        self.store.agent_leave(conv)
        if self.store.config.auto_agent:
            self.store.spawn(conv, self._offer_and_answer(conv, name, greet=True))
        else:
            self.connect_now(conv, name)

    async def offer_and_answer(self, conv: Conversation) -> None:
        """Offer the chat to the next simulated agent, who answers and greets (a human-first fallback)."""
        await self._offer_and_answer(conv, self._pick_agent(conv), greet=True)

    # --- tasks ---
    def _pick_agent(self, conv: Conversation) -> str:
        roster = AGENTS.get(conv.queue, ()) + SPARE_AGENTS
        for name in roster:
            if name not in conv.served_agents:
                return name
        return roster[len(conv.served_agents) % len(roster)]

    async def _route(self, conv: Conversation) -> None:
        await self._sleep(ROUTE_DELAY)
        if conv.state == ENDED or conv.agent_id is not None:
            return
        await self._offer_and_answer(conv, self._pick_agent(conv), greet=True)

    async def _offer_and_answer(self, conv: Conversation, name: str, *, greet: bool) -> None:
        agent = self.store.offer_agent(conv, name)
        await self._sleep(ANSWER_DELAY)
        if conv.state == ENDED or agent.state != "ALERTING":
            return
        self.store.connect_agent(conv, agent)
        if greet:
            first = name.split()[0]
            await self._say(conv, f"Hi {conv.guest.display_name}, I'm {first}. How can I help you today?")

    async def _say(
        self, conv: Conversation, text: str, *, typing_first: bool = True, body_type: str = "standard"
    ) -> None:
        if typing_first:
            await self._sleep(TYPING_DELAY)
            agent = conv.agent
            if agent is None:
                return
            self.store.typing(conv, agent)
        await self._sleep(REPLY_DELAY)
        agent = conv.agent
        if agent is None or conv.state == ENDED:
            return
        self.store.add_message(conv, agent, text, body_type)

    async def _reply(self, conv: Conversation, body: str) -> None:
        if _BYE.search(body):
            await self._say(conv, "Thanks for chatting with us. Goodbye!")
            if conv.state != ENDED:
                self.store.agent_end(conv)
        elif _TRANSFER.search(body):
            await self._say(conv, "Sure, let me transfer you to a colleague.")
            if conv.agent is not None:
                self.transfer(conv)
        elif _SCREEN.search(body):
            await self._say(conv, "Of course. I'm sending you a screen share request now.")
            if conv.agent is not None:
                self.store.create_media_request(conv, ["SCREENSHARE"])
        elif _COBROWSE.search(body):
            await self._say(conv, "Sure, I'm sending you a co-browse request now.")
            if conv.agent is not None:
                self.store.create_media_request(conv, ["COBROWSE"])
        else:
            snippet = " ".join(body.split())[:80]
            await self._say(conv, f'Thanks for your message ("{snippet}"). Let me check that for you.')

    async def _idle(self, conv: Conversation) -> None:
        await asyncio.sleep(self.store.config.idle_timeout * self.scale)
        conv.idle_task = None
        if conv.state == ACTIVE and conv.guest.state == CONNECTED:
            agent = conv.agent
            if agent is not None:
                self.store.add_message(conv, agent, "This chat was closed because of inactivity.", "notice")
            self.store.agent_end(conv)

    async def _media_timeout(self, conv: Conversation, mr: MediaRequest) -> None:
        await asyncio.sleep(self.store.config.media_request_timeout * self.scale)
        if mr.state == "PENDING" and conv.state != ENDED:
            self.store.agent_media_change(conv, mr, "TIMEDOUT")
            if self.desk is not None:
                self.desk.webchat_media(conv, mr)
