"""The store: all emulator state plus the operations on it (who may do what in which state).

No HTTP here: the guest routes, the simulated agents and the control API share this one code path. Mutated
only on the server's event loop.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from webchat_tui.emulator import wire
from webchat_tui.emulator.admission import admit
from webchat_tui.emulator.auth import (
    ALL_PERMISSIONS,
    GuestTokens,
    OAuthClient,
    OAuthTokens,
    parse_authorization,
)
from webchat_tui.emulator.config import EmulatorConfig, SeedInfo
from webchat_tui.emulator.domain import (
    ACTIVE,
    ALERTING,
    CONNECTED,
    DISCONNECTED,
    ENDED,
    GUEST_TRANSITIONS,
    MAX_DEPLOYMENTS,
    MEDIA_STATES,
    MEDIA_TYPES,
    PENDING_SOCKET,
    QUEUED,
    RESET_CLOSE_CODE,
    Conversation,
    MediaRequest,
    Member,
    Message,
    Subscriber,
    seeded_deployments,
)
from webchat_tui.emulator.errors import EmulatorError, not_active
from webchat_tui.emulator.faults import FaultPlan
from webchat_tui.emulator.sockets import HeartbeatTimer

if TYPE_CHECKING:
    from webchat_tui.emulator.agents import Director

__all__ = [
    "ACTIVE",
    "ALERTING",
    "CONNECTED",
    "DISCONNECTED",
    "ENDED",
    "MAX_DEPLOYMENTS",
    "MEDIA_STATES",
    "MEDIA_TYPES",
    "PENDING_SOCKET",
    "QUEUED",
    "Conversation",
    "MediaRequest",
    "Member",
    "Message",
    "Store",
    "Subscriber",
]


class Store:
    """All emulator state plus the operations on it (the domain API)."""

    def __init__(self, config: EmulatorConfig, seed: SeedInfo) -> None:
        self.config = config
        self.seed = seed
        self.ids = wire.Ids(config.seed)
        self.guest_tokens = GuestTokens()
        self.oauth = OAuthTokens(
            [
                OAuthClient(seed.client_id, seed.client_secret, ALL_PERMISSIONS),
                OAuthClient(
                    seed.readonly_client_id,
                    seed.readonly_client_secret,
                    frozenset({"webchat:deployment:read"}),
                ),
            ]
        )
        self.faults = FaultPlan(config.seed)
        self.director: Director | None = None
        self.heartbeats = HeartbeatTimer(lambda: self.config.heartbeat_interval)
        self.conversations: dict[str, Conversation] = {}
        self.ended: dict[str, float] = {}
        """Ended conversations -> loop time they ended (oldest first), for eviction."""
        self._janitor: asyncio.Task[None] | None = None
        self.deployments: dict[str, dict[str, Any]] = {}
        self.settings: dict[str, Any] | None = None
        self.reset_hooks: list[Callable[[], None]] = []  # other protocols' state (Web Messaging)
        self._seed_admin()

    def _seed_admin(self) -> None:
        self.deployments = seeded_deployments(self.seed)
        self.settings = {"requireDeployment": True}

    # --- lifecycle ---
    def reset(self) -> None:
        """Forget conversations, faults and records; re-seed deployments and settings. Open sockets are
        closed (1001): their conversations no longer exist."""
        for conv in self.conversations.values():
            conv.cancel_tasks()
            for sub in list(conv.subscribers):
                sub.close(RESET_CLOSE_CODE)
        self.conversations.clear()
        self.ended.clear()
        self.faults.clear()
        self.guest_tokens.forget()
        self._seed_admin()
        for hook in self.reset_hooks:
            hook()

    # --- housekeeping ---
    def ensure_janitor(self) -> None:
        """Start the housekeeping task (evicts ended conversations, prunes expired tokens) if needed."""
        if self._janitor is not None and not self._janitor.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # used outside the server loop (a unit of the store): nothing to schedule
            return
        self._janitor = loop.create_task(self._housekeeping(), name="emulator-janitor")

    def retention_changed(self) -> None:
        """The retention or the cap changed: apply them now and restart the janitor on the new period."""
        if self._janitor is not None:
            self._janitor.cancel()
            self._janitor = None
        self.housekeep()
        self.ensure_janitor()

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(min(60.0, max(0.05, self.config.ended_retention / 4)))
            self.housekeep()

    def housekeep(self) -> None:
        """Evict ended conversations past their retention or over the cap; prune expired tokens."""
        now = asyncio.get_running_loop().time()
        retention = self.config.ended_retention
        for cid, ended_at in list(self.ended.items()):
            if now - ended_at < retention:
                break
            self._evict(cid)
        self._evict_over_cap()
        self.oauth.prune()
        self.guest_tokens.prune(self.conversations.keys())

    def _evict_over_cap(self) -> None:
        while len(self.ended) > self.config.max_ended_conversations:
            self._evict(next(iter(self.ended)))

    def _evict(self, conversation_id: str) -> None:
        self.ended.pop(conversation_id, None)
        conv = self.conversations.pop(conversation_id, None)
        self.guest_tokens.forget_conversation(conversation_id)
        if conv is None:
            return
        conv.cancel_tasks()
        for sub in list(conv.subscribers):
            sub.close(RESET_CLOSE_CODE)

    def spawn(self, conv: Conversation, coro: Any) -> asyncio.Task[Any]:
        """Run a coroutine tied to `conv` (cancelled when it ends or on reset)."""
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coro)
        conv.tasks.add(task)
        task.add_done_callback(conv.tasks.discard)
        return task

    # --- conversations ---
    def get_conversation(self, conversation_id: str) -> Conversation:
        """The conversation or 404 `not.found`."""
        conv = self.conversations.get(conversation_id)
        if conv is None:
            raise EmulatorError("not.found", message="The requested conversation was not found.")
        return conv

    def create_conversation(
        self,
        *,
        organization_id: str,
        deployment_id: str,
        queue: str,
        member_info: dict[str, Any],
        member_auth_token: str | None,
        origin: str | None,
    ) -> Conversation:
        """Check who may start this chat (see `admission`) and create it, awaiting its socket."""
        authenticated = admit(
            self.seed,
            self.deployments,
            self.settings,
            organization_id=organization_id,
            deployment_id=deployment_id,
            queue=queue,
            member_auth_token=member_auth_token,
            origin=origin,
        )
        now = wire.now_iso()
        guest = Member(
            id=self.ids.new(),
            role="CUSTOMER",
            display_name=member_info["displayName"],
            state=CONNECTED,
            join_date=now,
            first_name=member_info.get("firstName"),
            last_name=member_info.get("lastName"),
            email=member_info.get("email"),
            phone_number=member_info.get("phoneNumber"),
            avatar_image_url=member_info.get("avatarImageUrl"),
            custom_fields=member_info.get("customFields"),
            authenticated_guest=authenticated,
        )
        conv = Conversation(
            id=self.ids.new(),
            organization_id=organization_id,
            deployment_id=deployment_id,
            queue=queue,
            guest_id=guest.id,
            created=now,
        )
        conv.members[guest.id] = guest
        self.conversations[conv.id] = conv
        return conv

    def issue_jwt(self, conv: Conversation) -> str:
        """The guest JWT of `conv`."""
        return self.guest_tokens.issue(
            conversation_id=conv.id,
            member_id=conv.guest_id,
            deployment_id=conv.deployment_id,
            organization_id=conv.organization_id,
        )

    def authorize(self, authorization: str | None, conversation_id: str) -> Conversation:
        """Verify a guest JWT for `conversation_id` (a JWT for another conversation gets 403)."""
        token = parse_authorization(authorization, require_bearer=self.config.require_bearer)
        claims = self.guest_tokens.verify(token)
        if claims.conversation_id != conversation_id:
            raise EmulatorError("not.authorized")
        return self.get_conversation(conversation_id)

    # --- socket attach ---
    def attach(self, conv: Conversation, sub: Subscriber) -> None:
        """A socket attached; the first one starts routing (protocol.md §6.1)."""
        conv.subscribers.append(sub)
        if conv.state != PENDING_SOCKET:
            return
        conv.state = QUEUED
        self.member_change(conv, conv.guest, CONNECTED)
        flow = (self.deployments.get(conv.deployment_id) or {}).get("flow")
        if flow:
            # The deployment's inbound chat flow runs first, then hands the chat to the ACD (protocol.md §7).
            workflow = Member(
                id=self.ids.new(),
                role="WORKFLOW",
                display_name=flow.get("name") or "Inbound chat flow",
                state=CONNECTED,
                join_date=wire.now_iso(),
            )
            conv.members[workflow.id] = workflow
            self.member_change(conv, workflow, CONNECTED)
            self.member_change(conv, workflow, DISCONNECTED)
        acd = Member(
            id=self.ids.new(), role="ACD", display_name=conv.queue, state=CONNECTED, join_date=wire.now_iso()
        )
        conv.members[acd.id] = acd
        conv.acd_id = acd.id
        self.member_change(conv, acd, CONNECTED)
        if self.director is not None:
            self.director.on_attach(conv)

    def detach(self, conv: Conversation, sub: Subscriber) -> None:
        """A socket went away."""
        if sub in conv.subscribers:
            conv.subscribers.remove(sub)

    # --- events ---
    def member_change(self, conv: Conversation, member: Member, state: str) -> None:
        """Set a member's state, record it and publish a `member-change` frame."""
        member.state = state
        now = wire.now_iso()
        if state == DISCONNECTED and member.leave_date is None:
            member.leave_date = now
        conv.record.append(
            {
                "kind": "member-change",
                "memberId": member.id,
                "role": member.role,
                "state": state,
                "timestamp": now,
            }
        )
        conv.publish(
            wire.envelope(
                conv.topic_members,
                "member-change",
                {
                    "conversation": {"id": conv.id},
                    "member": {"id": member.id, "state": state},
                    "timestamp": now,
                },
                self.ids.new(),
            )
        )

    def add_message(
        self, conv: Conversation, sender: Member, body: str, body_type: str = "standard"
    ) -> Message:
        """Store, record and publish one message (hot path: no pydantic, one json.dumps)."""
        ids = self.ids
        msg = Message(ids.new(), sender.id, sender.role, body, body_type, wire.now_iso())
        conv.message_index[msg.id] = len(conv.messages)
        conv.messages.append(msg)
        conv.record.append(
            {
                "kind": "message",
                "id": msg.id,
                "senderId": sender.id,
                "body": body,
                "bodyType": body_type,
                "timestamp": msg.timestamp,
            }
        )
        if conv.subscribers:
            conv.publish(
                wire.message_frame(
                    conv.topic_messages,
                    msg.id,
                    conv.id,
                    sender.id,
                    body,
                    body_type,
                    msg.timestamp,
                    ids.new(),
                ),
                True,
            )
        return msg

    def typing(self, conv: Conversation, sender: Member) -> dict[str, Any]:
        """Record and publish a typing indicator; returns the WebChatTyping core fields."""
        now = wire.now_iso()
        event_id = self.ids.new()
        conv.record.append({"kind": "typing", "senderId": sender.id, "timestamp": now})
        body = {
            "id": event_id,
            "conversation": {"id": conv.id},
            "sender": {"id": sender.id},
            "timestamp": now,
        }
        conv.publish(wire.envelope(conv.topic_messages, "typing-indicator", body, self.ids.new()))
        return body

    # --- guest ops ---
    def _guest_can_act(self, conv: Conversation, member_id: str) -> Member:
        if member_id != conv.guest_id:
            if member_id in conv.members:
                raise EmulatorError("not.authorized")
            raise EmulatorError("not.found", message="The requested member was not found.")
        if conv.state == PENDING_SOCKET:
            raise not_active()
        if conv.state == ENDED:
            raise EmulatorError(
                "chat.error.conversation.state", params={"message": "The conversation has ended"}
            )
        guest = conv.guest
        if guest.state != CONNECTED:
            raise EmulatorError("chat.error.member.state")
        return guest

    def guest_message(self, conv: Conversation, member_id: str, body: str, body_type: str) -> Message:
        """The guest posts a message."""
        guest = self._guest_can_act(conv, member_id)
        msg = self.add_message(conv, guest, body, body_type)
        if self.director is not None:
            self.director.on_guest_message(conv, msg)
        return msg

    def guest_typing(self, conv: Conversation, member_id: str) -> dict[str, Any]:
        """The guest is typing."""
        guest = self._guest_can_act(conv, member_id)
        body = self.typing(conv, guest)
        if self.director is not None:
            self.director.on_guest_typing(conv)  # guest activity for the idle timer; the agent desk's feed
        return body

    def guest_leave(self, conv: Conversation, member_id: str) -> None:
        """DELETE member: the guest leaves and the conversation ends for everyone."""
        if member_id != conv.guest_id:
            if member_id in conv.members:
                raise EmulatorError("not.authorized")
            raise EmulatorError("not.found", message="The requested member was not found.")
        if conv.guest.state == DISCONNECTED:
            raise EmulatorError("chat.error.member.state")
        if conv.state == ENDED:
            raise EmulatorError(
                "chat.error.conversation.state", params={"message": "The conversation has ended"}
            )
        self.add_message(conv, conv.guest, "", "member-leave")
        self.member_change(conv, conv.guest, DISCONNECTED)
        self._end(conv)

    def _end(self, conv: Conversation) -> None:
        for member in conv.members.values():
            if member.state != DISCONNECTED:
                self.member_change(conv, member, DISCONNECTED)
        conv.state = ENDED
        conv.agent_id = None
        conv.cancel_tasks()
        if self.director is not None:
            self.director.on_ended(conv)
        try:
            self.ended[conv.id] = asyncio.get_running_loop().time()
        except RuntimeError:
            return
        self._evict_over_cap()
        self.ensure_janitor()

    # --- agent side ---
    def require_agent(self, conv: Conversation) -> Member:
        """The connected agent, or a control-API 400."""
        agent = conv.agent
        if agent is None or conv.state != ACTIVE:
            raise EmulatorError("bad.request", message="No agent is connected to this conversation.")
        return agent

    def offer_agent(self, conv: Conversation, name: str) -> Member:
        """A new agent member, ALERTING."""
        agent = Member(
            id=self.ids.new(), role="AGENT", display_name=name, state=ALERTING, join_date=wire.now_iso()
        )
        conv.members[agent.id] = agent
        conv.agent_id = agent.id
        conv.served_agents.append(name)
        self.member_change(conv, agent, ALERTING)
        return agent

    def connect_agent(self, conv: Conversation, agent: Member) -> None:
        """ALERTING -> CONNECTED: the ACD member leaves, `member-join` from the agent, idle timer starts."""
        if conv.state == ENDED:
            return
        self.member_change(conv, agent, CONNECTED)
        if conv.acd_id is not None:
            acd = conv.members[conv.acd_id]
            if acd.state != DISCONNECTED:
                self.member_change(conv, acd, DISCONNECTED)
        conv.state = ACTIVE
        self.add_message(conv, agent, "", "member-join")
        if self.director is not None:
            self.director.touch(conv)

    def agent_leave(self, conv: Conversation) -> Member | None:
        """The current agent leaves (transfer): `member-leave` message, agent DISCONNECTED, guest stays."""
        agent = conv.members.get(conv.agent_id) if conv.agent_id else None
        if agent is None or agent.state == DISCONNECTED:
            return None
        if agent.state == CONNECTED:
            self.add_message(conv, agent, "", "member-leave")
        self.member_change(conv, agent, DISCONNECTED)
        conv.agent_id = None
        if conv.state == ACTIVE:
            conv.state = QUEUED
        return agent

    def agent_end(self, conv: Conversation) -> None:
        """The agent ends the chat: `member-leave`, agent DISCONNECTED, guest DISCONNECTED."""
        if conv.state == ENDED:
            raise EmulatorError(
                "chat.error.conversation.state", params={"message": "The conversation has ended"}
            )
        agent = conv.members.get(conv.agent_id) if conv.agent_id else None
        if agent is not None and agent.state == CONNECTED:
            self.add_message(conv, agent, "", "member-leave")
            self.member_change(conv, agent, DISCONNECTED)
        self._end(conv)

    # --- media requests ---
    def create_media_request(self, conv: Conversation, types: Iterable[str]) -> MediaRequest:
        """Agent side: a PENDING request announced by a `media-request` message whose body is its id."""
        agent = self.require_agent(conv)
        type_list = [t.upper() for t in types]
        if not type_list or any(t not in MEDIA_TYPES for t in type_list):
            raise EmulatorError(
                "bad.request", message=f"types must be a non-empty subset of {list(MEDIA_TYPES)}"
            )
        mr = MediaRequest(
            id=self.ids.new(),
            types=type_list,
            state="PENDING",
            security_key=f"{secrets.randbelow(1_000_000):06d}",  # a secret: never from the seed
        )
        conv.media_requests[mr.id] = mr
        conv.record.append(
            {"kind": "media-request", "id": mr.id, "types": list(type_list), "state": mr.state}
        )
        self.add_message(conv, agent, mr.id, "media-request")
        if self.director is not None:
            self.director.arm_media_timeout(conv, mr)
        return mr

    def get_media_request(self, conv: Conversation, mr_id: str) -> MediaRequest:
        """The media request or 404 `chat.error.not.found`."""
        mr = conv.media_requests.get(mr_id)
        if mr is None:
            raise EmulatorError("chat.error.not.found", status=404, message="media request was not found")
        return mr

    def agent_media_change(self, conv: Conversation, mr: MediaRequest, state: str) -> None:
        """Agent-side transition of a PENDING request (TIMEDOUT / CANCELLED), announced like a new request."""
        if conv.state == ENDED:
            raise EmulatorError(
                "chat.error.conversation.state", params={"message": "The conversation has ended"}
            )
        if mr.state != "PENDING":
            raise EmulatorError("bad.request", message=f"Media request is {mr.state}, not PENDING.")
        self._record_media_patch(conv, mr, state, ok=True, by="agent")
        mr.state = state
        if mr.timeout_task is not None and mr.timeout_task is not asyncio.current_task():
            mr.timeout_task.cancel()
        mr.timeout_task = None
        sender = conv.members.get(conv.agent_id) if conv.agent_id else None
        if sender is None:
            sender = next((m for m in reversed(conv.members.values()) if m.role == "AGENT"), conv.guest)
        self.add_message(conv, sender, mr.id, "media-request")

    @staticmethod
    def _record_media_patch(
        conv: Conversation, mr: MediaRequest, state: str, *, ok: bool, by: str | None = None
    ) -> None:
        """Record an attempted transition of `mr` (from its current state) to `state`."""
        event: dict[str, Any] = {
            "kind": "media-request-patch",
            "id": mr.id,
            "state": state,
            "fromState": mr.state,
            "ok": ok,
        }
        if by is not None:
            event["by"] = by
        conv.record.append(event)

    def guest_patch_media(self, conv: Conversation, mr_id: str, state: str) -> MediaRequest:
        """Guest PATCH: PENDING -> ACCEPTED|DECLINED|ERRORED, ACCEPTED -> ERRORED; anything else 400."""
        mr = self.get_media_request(conv, mr_id)
        if conv.state == ENDED:
            self._record_media_patch(conv, mr, state, ok=False)
            raise EmulatorError(
                "chat.error.conversation.state", params={"message": "The conversation has ended"}
            )
        if state not in GUEST_TRANSITIONS.get(mr.state, frozenset()):
            self._record_media_patch(conv, mr, state, ok=False)
            raise EmulatorError(
                "bad.request",
                message=f"Cannot change a {mr.state} media request to {state}.",
                params={"fromState": mr.state, "toState": state},
            )
        self._record_media_patch(conv, mr, state, ok=True)
        mr.state = state
        if mr.timeout_task is not None:
            mr.timeout_task.cancel()
            mr.timeout_task = None
        if state == "ACCEPTED":
            mr.communication_id = self.ids.new()
        if self.director is not None:
            self.director.on_media_patch(conv, mr)
        return mr
