"""Human agents: conversations a person answers from the agent console (`webchat-tui agent`).

The agent mode (`simulated`, `human`, `human-first`) is chosen per deployment, else per queue, else for the
whole emulator (`--agents`). In a human mode a conversation that would be routed to a simulated agent waits
at the `HumanDesk` instead: the console sees it on the live feed, takes it, and then the simulated agents
stay silent in it. `human-first` hands a conversation nobody took to a simulated agent after
`human_first_timeout` seconds (time-scaled like every emulator delay).

The desk publishes agent-side events (waiting, taken, guest messages and typing, media-request answers,
released, ended) as JSON objects to every feed subscriber (`routes/agent_feed.py`). Web Messaging has no
queues; its conversations count as queue `MESSAGING_QUEUE` until transferred to another one.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from webchat_tui.emulator import wire
from webchat_tui.emulator.config import AGENTS, QUEUES
from webchat_tui.emulator.domain import CONNECTED, ENDED, QUEUED, Member
from webchat_tui.emulator.errors import EmulatorError

if TYPE_CHECKING:
    from webchat_tui.emulator.agents import Director
    from webchat_tui.emulator.domain import Conversation, MediaRequest, Message
    from webchat_tui.emulator.messaging.director import MessagingDirector
    from webchat_tui.emulator.messaging.session import MessagingSession
    from webchat_tui.emulator.messaging.store import MessagingStore
    from webchat_tui.emulator.state import Store

SIMULATED, HUMAN, HUMAN_FIRST = "simulated", "human", "human-first"
AGENT_MODES = (SIMULATED, HUMAN, HUMAN_FIRST)
WEBCHAT, MESSAGING = "webchat", "messaging"
CHANNELS = (WEBCHAT, MESSAGING)
MESSAGING_QUEUE = "Support"  # the queue Web Messaging conversations wait in (the director's queue)
FEED_QUEUE_LIMIT = 10_000
"""Events a feed subscriber may fall behind by; beyond it the subscriber is dropped (it reconnects and
starts again from a snapshot)."""
DEFAULT_AGENT_NAME = "Workshop Agent"


@dataclass
class DeskEntry:
    """One conversation at the desk: waiting for a person, or taken by one."""

    channel: str
    id: str
    guest: str
    queue: str
    deployment_id: str
    fields: dict[str, str]
    since: float  # epoch seconds it started waiting
    agent: str | None = None
    fallback: asyncio.Task[None] | None = field(default=None, repr=False)

    def wire(self) -> dict[str, Any]:
        """The feed and control-API shape."""
        return {
            "channel": self.channel,
            "id": self.id,
            "state": "taken" if self.agent else "waiting",
            "guest": self.guest,
            "queue": self.queue,
            "deploymentId": self.deployment_id,
            "fields": dict(self.fields),
            "since": self.since,
            "agent": self.agent,
        }


class FeedSubscriber:
    """One feed websocket's queue of JSON texts (`put` never blocks; overflow marks it for closing)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.overflowed = asyncio.Event()

    def put(self, text: str) -> None:
        """Queue one event."""
        if self.queue.qsize() >= FEED_QUEUE_LIMIT:
            self.overflowed.set()
            return
        self.queue.put_nowait(text)


def _guest_name(attrs: dict[str, str], session_id: str) -> str:
    for key in ("displayName", "name", "firstName", "nickname"):
        value = attrs.get(key)
        if value:
            return value
    return f"Guest {session_id[:8]}"


def _content_summary(content: list[dict[str, Any]]) -> tuple[str, str]:
    """(kind, words) for a guest message's content items (button answers, files)."""
    for item in content:
        kind = item.get("contentType")
        if kind == "ButtonResponse":
            answer = item.get("buttonResponse") or {}
            return "button", str(answer.get("text") or answer.get("payload") or "")
        if kind == "Attachment":
            att = item.get("attachment") or {}
            return (
                "attachment",
                f"{att.get('filename', 'file')} ({att.get('mime', '')}, {att.get('fileSize', 0)} B)",
            )
    return "text", ""


class HumanDesk:
    """The agent modes, the conversations waiting for (or taken by) a person, and the live feed."""

    def __init__(self, store: Store, director: Director, messaging: MessagingStore) -> None:
        self.store = store
        self.director = director
        self.messaging = messaging
        self.queue_modes: dict[str, str] = {}
        self.deployment_modes: dict[str, str] = {}
        self.entries: dict[tuple[str, str], DeskEntry] = {}
        self.messaging_queues: dict[str, str] = {}  # session id -> queue after a transfer to a queue
        self.subscribers: set[FeedSubscriber] = set()
        self.start_mode = store.config.agents  # what a reset returns to

    @property
    def _messaging_director(self) -> MessagingDirector:
        director = self.messaging.director
        assert director is not None
        return director

    # --- modes ---
    def mode_for(self, queue: str, deployment_id: str) -> str:
        """The agent mode of a conversation: its deployment's, else its queue's, else the emulator's."""
        return (
            self.deployment_modes.get(deployment_id)
            or self.queue_modes.get(queue)
            or self.store.config.agents
        )

    def settings(self) -> dict[str, Any]:
        """`GET /emulator/v1/agents`."""
        return {
            "mode": self.store.config.agents,
            "humanFirstTimeout": self.store.config.human_first_timeout,
            "queues": dict(self.queue_modes),
            "deployments": dict(self.deployment_modes),
        }

    def update(self, data: dict[str, Any]) -> None:
        """`PUT /emulator/v1/agents`: any of `mode`, `humanFirstTimeout`, `queues`, `deployments` (a null
        mode in the maps removes the override). Checked whole before anything changes."""
        unknown = set(data) - {"mode", "humanFirstTimeout", "queues", "deployments"}
        if unknown:
            raise EmulatorError("bad.request", message=f"Unknown agents keys: {sorted(unknown)}")
        mode = data.get("mode", self.store.config.agents)
        if mode not in AGENT_MODES:
            raise EmulatorError("bad.request", message=f"mode must be one of {list(AGENT_MODES)}")
        timeout = data.get("humanFirstTimeout", self.store.config.human_first_timeout)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 86_400:
            raise EmulatorError(
                "bad.request", message="humanFirstTimeout must be a number of seconds in (0, 86400]"
            )
        maps: dict[str, dict[str, str]] = {"queues": self.queue_modes, "deployments": self.deployment_modes}
        for key in maps:
            given = data.get(key, {})
            if not isinstance(given, dict) or not all(
                isinstance(k, str) and (v is None or v in AGENT_MODES) for k, v in given.items()
            ):
                raise EmulatorError("bad.request", message=f"{key} maps names to {list(AGENT_MODES)} or null")
        self.store.config.agents = mode
        self.store.config.human_first_timeout = float(timeout)
        for key, target in maps.items():
            for name, value in data.get(key, {}).items():
                if value is None:
                    target.pop(name, None)
                else:
                    target[name] = value

    # --- feed ---
    def subscribe(self) -> FeedSubscriber:
        """A new feed subscriber; its first event is the snapshot of the desk."""
        sub = FeedSubscriber()
        sub.put(json.dumps({"type": "snapshot", "conversations": self.entries_wire()}))
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: FeedSubscriber) -> None:
        """The feed socket closed."""
        self.subscribers.discard(sub)

    def emit(self, event: dict[str, Any]) -> None:
        """Publish one event to every subscriber (one json.dumps)."""
        if not self.subscribers:
            return
        text = json.dumps(event, ensure_ascii=False)
        for sub in self.subscribers:
            sub.put(text)

    def entries_wire(self) -> list[dict[str, Any]]:
        """Every conversation at the desk, oldest first."""
        return [e.wire() for e in sorted(self.entries.values(), key=lambda e: e.since)]

    def reset(self) -> None:
        """Emulator reset: the desk empties; subscribers get an empty snapshot."""
        for entry in self.entries.values():
            if entry.fallback is not None:
                entry.fallback.cancel()
        self.entries.clear()
        self.messaging_queues.clear()
        self.queue_modes.clear()
        self.deployment_modes.clear()
        self.store.config.agents = self.start_mode
        self.emit({"type": "snapshot", "conversations": []})

    # --- the desk ---
    def get(self, channel: str, cid: str) -> DeskEntry:
        """The desk entry or a control-API 404."""
        entry = self.entries.get((channel, cid))
        if entry is None:
            raise EmulatorError("not.found", message=f"No {channel} conversation {cid!r} at the agent desk.")
        return entry

    def handles(self, channel: str, cid: str) -> bool:
        """A person has this conversation (waiting or taken): simulated agents stay out of it."""
        return (channel, cid) in self.entries

    def _enqueue(self, entry: DeskEntry, mode: str, fallback: Callable[[], None]) -> None:
        old = self.entries.get((entry.channel, entry.id))
        if old is not None and old.fallback is not None:
            old.fallback.cancel()
        self.entries[(entry.channel, entry.id)] = entry
        if mode == HUMAN_FIRST:
            entry.fallback = asyncio.get_running_loop().create_task(self._fall_back(entry, fallback))
        self.emit({"type": "waiting", "conversation": entry.wire()})

    async def _fall_back(self, entry: DeskEntry, route: Callable[[], None]) -> None:
        await asyncio.sleep(self.store.config.human_first_timeout * self.store.config.time_scale)
        entry.fallback = None
        if self.entries.get((entry.channel, entry.id)) is entry and entry.agent is None:
            self._release(entry, "simulated")
            route()

    def _release(self, entry: DeskEntry, to: str) -> None:
        if entry.fallback is not None and entry.fallback is not asyncio.current_task():
            entry.fallback.cancel()
        self.entries.pop((entry.channel, entry.id), None)
        self.emit({"type": "released", "channel": entry.channel, "id": entry.id, "to": to})

    def take(self, channel: str, cid: str, agent_name: str) -> DeskEntry:
        """A person answers a waiting conversation: the agent joins as `agent_name`."""
        entry = self.get(channel, cid)
        if entry.agent is not None:
            raise EmulatorError("bad.request", message=f"{entry.agent} already has this conversation.")
        if channel == WEBCHAT:
            conv = self.store.get_conversation(cid)
            if conv.state != QUEUED or conv.agent_id is not None:
                raise EmulatorError(
                    "bad.request", message=f"Conversation is {conv.state}; it cannot be taken."
                )
            self.director.connect_now(conv, agent_name)
        else:
            session = self.messaging.get_session(cid)
            if not session.live or session.read_only:
                raise EmulatorError("bad.request", message=f"Session is {session.state}; it cannot be taken.")
            self._messaging_director.connect(session, agent_name)
        if entry.fallback is not None:
            entry.fallback.cancel()
            entry.fallback = None
        entry.agent = agent_name
        self.emit({"type": "taken", "conversation": entry.wire()})
        return entry

    def transfer(self, channel: str, cid: str, *, to_agent: str | None, queue: str | None) -> None:
        """Hand a conversation the person has to a simulated agent (`to_agent` or the next free one) or to
        another queue (where its mode decides who answers)."""
        entry = self.get(channel, cid)
        if queue is not None and queue not in QUEUES:
            raise EmulatorError("bad.request", message=f"queue must be one of {list(QUEUES)}")
        if channel == WEBCHAT:
            conv = self.store.get_conversation(cid)
            if conv.state == ENDED:
                raise EmulatorError("bad.request", message="The conversation has ended.")
            self._release(entry, queue or "simulated")
            if queue is None:
                if conv.agent is None:
                    self.director.connect_now(conv, to_agent)
                    return
                self.director.transfer(conv, to_agent)
            else:
                self._webchat_to_queue(conv, queue)
            return
        session = self.messaging.get_session(cid)
        if not session.live:
            raise EmulatorError("bad.request", message=f"Session is {session.state}.")
        self._release(entry, queue or "simulated")
        if queue is None:
            self._messaging_director.transfer(session, to_agent)
        else:
            self.messaging_queues[session.id] = queue
            self._messaging_director.requeue(session)

    def _webchat_to_queue(self, conv: Conversation, queue: str) -> None:
        """The agent leaves; the ACD of `queue` holds the chat, then that queue's mode routes it."""
        if conv.agent_id is not None:
            self.store.agent_leave(conv)
        conv.queue = queue
        conv.state = QUEUED
        acd = Member(
            id=self.store.ids.new(), role="ACD", display_name=queue, state=CONNECTED, join_date=wire.now_iso()
        )
        conv.members[acd.id] = acd
        conv.acd_id = acd.id
        self.store.member_change(conv, acd, CONNECTED)
        self.director.on_attach(conv)

    # --- Web Chat v2 hooks (called by `agents.Director`) ---
    def claim_webchat(self, conv: Conversation) -> bool:
        """A chat starts waiting for an agent: True when a person answers it (the desk holds it now)."""
        mode = self.mode_for(conv.queue, conv.deployment_id)
        if mode == SIMULATED:
            return False
        guest = conv.guest
        fields = dict(guest.custom_fields or {})
        for key, value in (("email", guest.email), ("phone", guest.phone_number)):
            if value:
                fields.setdefault(key, value)
        entry = DeskEntry(
            WEBCHAT, conv.id, guest.display_name, conv.queue, conv.deployment_id, fields, time.time()
        )

        def route() -> None:
            if conv.state == QUEUED and conv.agent_id is None and AGENTS.get(conv.queue):
                self.store.spawn(conv, self.director.offer_and_answer(conv))

        self._enqueue(entry, mode, route)
        return True

    def webchat_message(self, conv: Conversation, msg: Message) -> None:
        """The guest posted a message."""
        if self.handles(WEBCHAT, conv.id) and msg.sender_id == conv.guest_id:
            self.emit(
                {
                    "type": "message",
                    "channel": WEBCHAT,
                    "id": conv.id,
                    "kind": "text",
                    "text": msg.body,
                    "bodyType": msg.body_type,
                    "time": msg.timestamp,
                }
            )

    def webchat_typing(self, conv: Conversation) -> None:
        """The guest is typing."""
        if self.handles(WEBCHAT, conv.id):
            self.emit({"type": "typing", "channel": WEBCHAT, "id": conv.id})

    def webchat_media(self, conv: Conversation, mr: MediaRequest) -> None:
        """A media request changed (the guest's answer, or a timeout)."""
        if self.handles(WEBCHAT, conv.id):
            self.emit(
                {
                    "type": "media",
                    "channel": WEBCHAT,
                    "id": conv.id,
                    "requestId": mr.id,
                    "types": list(mr.types),
                    "state": mr.state,
                }
            )

    def webchat_ended(self, conv: Conversation) -> None:
        """The chat ended (guest left, agent ended, idle timeout)."""
        self._ended(WEBCHAT, conv.id)

    def _ended(self, channel: str, cid: str) -> None:
        entry = self.entries.pop((channel, cid), None)
        if entry is None:
            return
        if entry.fallback is not None and entry.fallback is not asyncio.current_task():
            entry.fallback.cancel()
        self.emit({"type": "ended", "channel": channel, "id": cid})

    # --- Web Messaging hooks (called by `messaging.director.MessagingDirector` and its store) ---
    def messaging_queue(self, session: MessagingSession) -> str:
        """The queue a messaging conversation waits in."""
        return self.messaging_queues.get(session.id, MESSAGING_QUEUE)

    def wants_messaging(self, session: MessagingSession) -> bool:
        """A person answers this session's conversation (its deployment's or queue's mode is human)."""
        return self.mode_for(self.messaging_queue(session), session.deployment.id) != SIMULATED

    def claim_messaging(self, session: MessagingSession, route: Callable[[], None]) -> bool:
        """The conversation waits for an agent: True when the desk holds it for a person."""
        queue = self.messaging_queue(session)
        mode = self.mode_for(queue, session.deployment.id)
        if mode == SIMULATED:
            return False
        attrs = dict(session.custom_attributes)
        entry = DeskEntry(
            MESSAGING,
            session.id,
            _guest_name(attrs, session.id),
            queue,
            session.deployment.id,
            attrs,
            time.time(),
        )
        self._enqueue(entry, mode, route)
        return True

    def messaging_message(self, session: MessagingSession, text: str, content: list[dict[str, Any]]) -> None:
        """The guest sent text, a button answer or a file."""
        entry = self.entries.get((MESSAGING, session.id))
        if entry is None:
            return
        if session.custom_attributes != entry.fields:
            entry.fields = dict(session.custom_attributes)
            if entry.agent is None:  # the list shows the attributes that came with this message
                self.emit({"type": "waiting", "conversation": entry.wire()})
        kind, words = _content_summary(content)
        if kind == "button":
            shown = words
        elif kind == "attachment":
            shown = f"{text} {words}".strip()
        else:
            shown = text
        self.emit(
            {
                "type": "message",
                "channel": MESSAGING,
                "id": session.id,
                "kind": kind,
                "text": shown,
                "time": wire.now_iso(),
            }
        )

    def messaging_typing(self, session: MessagingSession) -> None:
        """The guest is typing."""
        if self.handles(MESSAGING, session.id):
            self.emit({"type": "typing", "channel": MESSAGING, "id": session.id})

    def messaging_ended(self, session: MessagingSession) -> None:
        """The conversation ended (disconnect, expiry, clear, the guest left)."""
        self._ended(MESSAGING, session.id)


def install(app: Any, store: Store, director: Director) -> HumanDesk:
    """Create the desk for an app made by `emulator.app.create_app` (after `messaging.install`): hooks into
    both directors, reset, and the feed and desk routes."""
    from webchat_tui.emulator.messaging.routes import messaging_of
    from webchat_tui.emulator.routes import agent_feed

    messaging = messaging_of(app.state)
    desk = HumanDesk(store, director, messaging)
    director.desk = desk
    assert messaging.director is not None
    messaging.director.desk = desk
    store.reset_hooks.append(desk.reset)
    app.state.desk = desk
    app.include_router(agent_feed.router)
    return desk


__all__ = [
    "AGENT_MODES",
    "CHANNELS",
    "DEFAULT_AGENT_NAME",
    "HUMAN",
    "HUMAN_FIRST",
    "MESSAGING",
    "SIMULATED",
    "WEBCHAT",
    "DeskEntry",
    "FeedSubscriber",
    "HumanDesk",
    "install",
]
