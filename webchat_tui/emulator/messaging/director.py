"""The simulated contact centre behind Web Messaging: a bot that offers quick replies, a card, a carousel
and a date picker on keywords and hands over to an agent; the same agents, delays and keywords as Web Chat v2
(`emulator.agents`): typing before replies, transfer, bye (Presence Disconnect, read-only), "file" (the agent
sends an attachment), the idle timeout. All delays follow the shared time scale; with `autoAgent` off nothing
happens on its own and the control API drives the conversation.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from webchat_tui.emulator.agents import (
    _BYE,
    _TRANSFER,
    ANSWER_DELAY,
    REPLY_DELAY,
    ROUTE_DELAY,
    SPARE_AGENTS,
    TYPING_DELAY,
)
from webchat_tui.emulator.config import AGENTS
from webchat_tui.emulator.messaging import frames
from webchat_tui.emulator.messaging.session import AGENT, BOT, NEW, QUEUED, MessagingSession

if TYPE_CHECKING:
    from webchat_tui.emulator.human_agents import HumanDesk
    from webchat_tui.emulator.messaging.store import MessagingStore

MESSAGING_QUEUE = "Support"
_AGENT = re.compile(r"\b(agent|human|person|someone)\b", re.IGNORECASE)
_CARD = re.compile(r"\bcard\b", re.IGNORECASE)
_CAROUSEL = re.compile(r"\bcarousel\b", re.IGNORECASE)
_DATE = re.compile(r"\b(date|appointment|book|booking)\b", re.IGNORECASE)
_FILE = re.compile(r"\bfile\b", re.IGNORECASE)
BOT_MENU = (("Talk to an agent", "agent"), ("Show me a card", "card"), ("Book an appointment", "date"))
AGENT_FILE_NAME = "emulator-receipt.txt"


def sample_card(n: int = 1) -> dict[str, Any]:
    """A Card with a Postback and a Link button (fixture 12 shape)."""
    return {
        "title": f"Emulator plan {n}",
        "description": "A sample offer from the emulator's bot.",
        "image": f"https://example.com/emulator/plan-{n}.png",
        "actions": [
            {"type": "Postback", "text": f"Choose plan {n}", "payload": f"plan-{n}"},
            {"type": "Link", "text": "Read more", "url": f"https://example.com/emulator/plan-{n}"},
        ],
    }


def sample_list_picker() -> dict[str, Any]:
    """A ListPicker with one single-choice section of three items (schema `ContentListPicker`)."""
    items = [
        {"id": f"plan-{n}", "title": f"Emulator plan {n}", "subtitle": f"Option {n} of 3"} for n in (1, 2, 3)
    ]
    return {
        "id": "emulator-plans",
        "sections": [{"title": "Plans", "multipleSelection": False, "items": items}],
        "receivedMessage": {"title": "Choose a plan", "buttonLabel": "Choose"},
        "replyMessage": {"title": "Thanks for your choice"},
    }


def sample_date_picker(slots: int = 3) -> dict[str, Any]:
    """A DatePicker with `slots` one-hour slots on the next days at 10:00 UTC (fixture 14 shape)."""
    day = dt.datetime.now(dt.UTC).replace(hour=10, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    times: list[dict[str, Any]] = [
        {"dateTime": (day + dt.timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%SZ"), "duration": 3600}
        for i in range(slots)
    ]
    return {
        "title": "Book an appointment",
        "subtitle": "Pick a time that suits you",
        "availableTimes": times,
        "dateMinimum": times[0]["dateTime"][:10],
        "dateMaximum": times[-1]["dateTime"][:10],
        "dateDisplayFormat": "dayMonthYear",
    }


class MessagingDirector:
    """Reacts to guest activity with bot and agent behaviour (one per messaging store)."""

    def __init__(self, store: MessagingStore) -> None:
        self.store = store
        self.desk: HumanDesk | None = None  # set by `human_agents.install`: conversations a person answers
        store.director = self

    @property
    def auto(self) -> bool:
        """Bot and agents act on their own (the shared `autoAgent` setting)."""
        return self.store.core.config.auto_agent

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds * self.store.scale)

    # --- hooks from the store ---
    def on_join(self, session: MessagingSession) -> None:
        """Autostart (Presence Join): the conversation starts."""
        if session.phase == NEW and (self.auto or self._wants_human(session)):
            self._start(session)

    def on_guest_activity(self, session: MessagingSession) -> None:
        """Typing: restarts the agent's idle timer; the agent desk sees it."""
        if session.phase == AGENT:
            self.arm_idle(session)
        if self.desk is not None:
            self.desk.messaging_typing(session)

    def on_guest_message(self, session: MessagingSession, text: str, content: list[dict[str, Any]]) -> None:
        """A guest message (text, button response or attachment)."""
        if session.phase == AGENT:
            self.arm_idle(session)
        if self.desk is not None:
            self.desk.messaging_message(session, text, content)
            if self.desk.handles("messaging", session.id):
                return  # a person has it (waiting or answering): no bot, no simulated agent
        if not self.auto:
            if session.phase == NEW and self._wants_human(session):
                self._start(session, greet=False)
            return
        payload, kind = "", ""
        for item in content:
            if item.get("contentType") == "ButtonResponse":
                payload = str(item["buttonResponse"].get("payload", ""))
                kind = str(item["buttonResponse"].get("type", ""))
        if session.phase == NEW:
            self._start(session, greet=not (text or payload))
            if session.phase == BOT and (text or payload):
                self.store.spawn(session, self._bot_reply(session, text, payload, kind))
        elif session.phase == BOT:
            self.store.spawn(session, self._bot_reply(session, text, payload, kind))
        elif session.phase == AGENT:
            self.store.spawn(session, self._agent_reply(session, text or payload, content))

    # --- control ---
    def ensure_agent(self, session: MessagingSession) -> str:
        """The connected agent's name; a control-API send without one connects the first agent silently."""
        if session.agent_name is None or session.phase != AGENT:
            self._connect(session, self._pick_agent(session))
        assert session.agent_name is not None
        return session.agent_name

    def connect(self, session: MessagingSession, name: str) -> None:
        """An agent (a person at the desk) joins now, without a greeting."""
        self._connect(session, name)

    def requeue(self, session: MessagingSession) -> None:
        """The conversation waits for an agent again (a transfer to a queue)."""
        session.phase = QUEUED
        session.agent_name = None
        self._queue(session)

    def on_ended(self, session: MessagingSession) -> None:
        """The conversation ended (disconnect, expiry, clear, logout)."""
        if self.desk is not None:
            self.desk.messaging_ended(session)

    def _wants_human(self, session: MessagingSession) -> bool:
        return self.desk is not None and self.desk.wants_messaging(session)

    def _queue(self, session: MessagingSession) -> None:
        """Route to an agent: a person's conversation waits at the desk, else a simulated agent answers."""

        def route() -> None:
            self.store.spawn(session, self._route(session))

        if self.desk is None or not self.desk.claim_messaging(session, route):
            route()

    def transfer(self, session: MessagingSession, to_agent: str | None = None) -> None:
        """The agent hands over to a colleague, who greets the guest."""
        name = to_agent or self._pick_agent(session)
        session.phase = QUEUED
        session.agent_name = None
        if self.auto:
            self.store.spawn(session, self._answer(session, name))
        else:
            self._connect(session, name)

    def arm_idle(self, session: MessagingSession) -> None:
        """(Re)start the agent's idle timer (shared `idleTimeout`, scaled)."""
        if session.idle_task is not None:
            session.idle_task.cancel()
        session.idle_task = asyncio.get_running_loop().create_task(self._idle(session))

    # --- tasks ---
    def _start(self, session: MessagingSession, greet: bool = True) -> None:
        if session.deployment.bot_first and self.auto:
            session.phase = BOT
            if greet:
                self.store.spawn(
                    session, self._bot_menu(session, "Hi, I'm the emulator's bot. How can I help?")
                )
        else:
            session.phase = QUEUED
            self._queue(session)

    def _pick_agent(self, session: MessagingSession) -> str:
        roster = AGENTS.get(MESSAGING_QUEUE, ()) + SPARE_AGENTS
        for name in roster:
            if name not in session.served_agents:
                return name
        return roster[len(session.served_agents) % len(roster)]

    def _connect(self, session: MessagingSession, name: str) -> None:
        session.phase = AGENT
        session.agent_name = name
        session.served_agents.append(name)
        self.arm_idle(session)

    async def _route(self, session: MessagingSession) -> None:
        await self._sleep(ROUTE_DELAY)
        if session.phase == QUEUED:
            await self._answer(session, self._pick_agent(session))

    async def _answer(self, session: MessagingSession, name: str) -> None:
        await self._sleep(ANSWER_DELAY)
        if session.phase != QUEUED:
            return
        self._connect(session, name)
        await self._say(session, f"Hi, I'm {name.split()[0]}. How can I help you today?")

    async def _say(
        self,
        session: MessagingSession,
        text: str | None,
        *,
        bot: bool = False,
        content: list[dict[str, Any]] | None = None,
    ) -> bool:
        """Typing first, then the message; False when the conversation moved on meanwhile."""
        phase = session.phase
        await self._sleep(TYPING_DELAY)
        if session.phase != phase or not session.live:
            return False
        self.store.outbound(session, events=[frames.typing_event()], bot=bot, keep=False)
        await self._sleep(REPLY_DELAY)
        if session.phase != phase or not session.live:
            return False
        self.store.outbound(session, text=text, content=content, bot=bot)
        return True

    async def _bot_menu(self, session: MessagingSession, text: str) -> None:
        await self._say(session, text, bot=True, content=[frames.quick_reply(t, p) for t, p in BOT_MENU])

    async def _bot_reply(self, session: MessagingSession, text: str, payload: str, kind: str) -> None:
        said = f"{text} {payload}"
        if kind == "DatePicker":
            await self._say(session, f"You're booked for {payload}. Anything else?", bot=True)
        elif kind == "Button":
            await self._say(session, f"Good choice: {payload}.", bot=True)
        elif _BYE.search(said):
            if await self._say(session, "Goodbye!", bot=True):
                self.store.disconnect_conversation(session, read_only=session.deployment.read_only_disconnect)
        elif _AGENT.search(said):
            if await self._say(session, "Let me connect you with an agent.", bot=True):
                session.phase = QUEUED
                self._queue(session)
        elif _CAROUSEL.search(said):
            cards = [sample_card(i) for i in (1, 2, 3)]
            await self._say(
                session, "Here are our plans.", bot=True, content=[frames.carousel_content(cards)]
            )
        elif _CARD.search(said):
            await self._say(
                session, "Here is our best plan.", bot=True, content=[frames.card_content(sample_card())]
            )
        elif _DATE.search(said):
            picker = frames.date_picker_content(sample_date_picker())
            await self._say(session, None, bot=True, content=[picker])
        else:
            await self._bot_menu(
                session, "I can show you a card or a carousel, book an appointment, or get you an agent."
            )

    async def _agent_reply(self, session: MessagingSession, text: str, content: list[dict[str, Any]]) -> None:
        if _BYE.search(text):
            if await self._say(session, "Thanks for chatting with us. Goodbye!"):
                self.store.disconnect_conversation(session, read_only=session.deployment.read_only_disconnect)
        elif _TRANSFER.search(text):
            if await self._say(session, "Sure, let me transfer you to a colleague."):
                self.transfer(session)
        elif _FILE.search(text):
            if await self._say(session, "Here is the file you asked for."):
                base = session.base_url
                data = b"Emulator receipt\nThis file was sent by the emulator's agent.\n"
                self.store.agent_attachment(session, AGENT_FILE_NAME, "text/plain", data, base, None)
        elif any(c.get("contentType") == "Attachment" for c in content):
            await self._say(session, "Thanks, I received your file.")
        else:
            snippet = " ".join(text.split())[:80]
            await self._say(session, f'Thanks for your message ("{snippet}"). Let me check that for you.')

    async def _idle(self, session: MessagingSession) -> None:
        await asyncio.sleep(self.store.core.config.idle_timeout * self.store.scale)
        session.idle_task = None
        if session.phase == AGENT and session.live:
            self.store.outbound(session, text="This conversation was closed because of inactivity.")
            self.store.disconnect_conversation(session, read_only=session.deployment.read_only_disconnect)
