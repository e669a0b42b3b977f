"""Domain objects of the emulator: members, messages, media requests, conversations, seeded deployments.

Plain dataclasses with their wire shapes (absent fields omitted, never null); no HTTP, no rules.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

from webchat_tui.emulator.config import SeedInfo

PENDING_SOCKET, QUEUED, ACTIVE, ENDED = "pending_socket", "queued", "active", "ended"
CONNECTED, DISCONNECTED, ALERTING = "CONNECTED", "DISCONNECTED", "ALERTING"
MEDIA_TYPES = ("COBROWSE", "SCREENSHARE")
MEDIA_STATES = ("PENDING", "ACCEPTED", "DECLINED", "TIMEDOUT", "CANCELLED", "ERRORED")
# Guest PATCH transitions (protocol.md §8): PENDING -> ACCEPTED|DECLINED|ERRORED, ACCEPTED -> ERRORED.
GUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    "PENDING": frozenset({"ACCEPTED", "DECLINED", "ERRORED"}),
    "ACCEPTED": frozenset({"ERRORED"}),
}
MAX_DEPLOYMENTS = 10
RESET_CLOSE_CODE = 1001  # "going away": an emulator reset removed the socket's conversation


class Subscriber(Protocol):
    """A websocket connection as the store sees it."""

    def send(self, text: str, is_message: bool = False) -> None:
        """Queue one frame (never blocks)."""

    def close(self, code: int) -> None:
        """Close the socket from the server side."""


@dataclass
class Member:
    """A conversation member (guest, ACD placeholder, agent)."""

    id: str
    role: str
    display_name: str
    state: str
    join_date: str
    leave_date: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone_number: str | None = None
    avatar_image_url: str | None = None
    custom_fields: dict[str, str] | None = None
    authenticated_guest: bool | None = None

    def wire(self) -> dict[str, Any]:
        """WebChatMemberInfo with absent fields omitted (never null)."""
        out: dict[str, Any] = {"id": self.id, "displayName": self.display_name}
        for key, value in (
            ("firstName", self.first_name),
            ("lastName", self.last_name),
            ("email", self.email),
            ("phoneNumber", self.phone_number),
            ("avatarImageUrl", self.avatar_image_url),
        ):
            if value is not None:
                out[key] = value
        out["role"] = self.role
        out["joinDate"] = self.join_date
        if self.leave_date is not None:
            out["leaveDate"] = self.leave_date
        if self.authenticated_guest is not None:
            out["authenticatedGuest"] = self.authenticated_guest
        if self.custom_fields:
            out["customFields"] = dict(self.custom_fields)
        out["state"] = self.state
        return out


@dataclass(slots=True)
class Message:
    """A stored chat message (standard, notice or a system message)."""

    id: str
    sender_id: str
    sender_role: str
    body: str
    body_type: str
    timestamp: str


@dataclass
class MediaRequest:
    """An agent-created co-browse / screen-share request."""

    id: str
    types: list[str]
    state: str
    security_key: str
    communication_id: str | None = None
    timeout_task: asyncio.Task[None] | None = None

    def wire(self, base: str, conversation_id: str) -> dict[str, Any]:
        """WebChatGuestMediaRequest."""
        out: dict[str, Any] = {
            "id": self.id,
            "types": list(self.types),
            "state": self.state,
            "securityKey": self.security_key,
        }
        if self.communication_id is not None:
            out["communicationId"] = self.communication_id
        out["selfUri"] = (
            f"{base}/api/v2/webchat/guest/conversations/{conversation_id}/mediarequests/{self.id}"
        )
        return out


@dataclass
class Conversation:
    """One guest chat and everything that happened in it."""

    id: str
    organization_id: str
    deployment_id: str
    queue: str
    guest_id: str
    created: str
    state: str = PENDING_SOCKET
    members: dict[str, Member] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    message_index: dict[str, int] = field(default_factory=dict)
    media_requests: dict[str, MediaRequest] = field(default_factory=dict)
    record: list[dict[str, Any]] = field(default_factory=list)
    subscribers: list[Subscriber] = field(default_factory=list)
    agent_id: str | None = None
    acd_id: str | None = None
    served_agents: list[str] = field(default_factory=list)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    idle_task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.topic_messages = f"v2.conversations.chats.{self.id}.messages"
        self.topic_members = f"v2.conversations.chats.{self.id}.members"

    @property
    def guest(self) -> Member:
        """The guest (CUSTOMER) member."""
        return self.members[self.guest_id]

    @property
    def agent(self) -> Member | None:
        """The agent currently CONNECTED, if any."""
        if self.agent_id is None:
            return None
        member = self.members.get(self.agent_id)
        return member if member is not None and member.state == CONNECTED else None

    def publish(self, text: str, is_message: bool = False) -> None:
        """Fan one frame out to every attached socket."""
        for sub in self.subscribers:
            sub.send(text, is_message)

    def cancel_tasks(self) -> None:
        """Stop every timer and simulated-agent task of this conversation."""
        for task in list(self.tasks):
            task.cancel()
        self.tasks.clear()
        if self.idle_task is not None:
            self.idle_task.cancel()
            self.idle_task = None
        for mr in self.media_requests.values():
            if mr.timeout_task is not None:
                mr.timeout_task.cancel()
                mr.timeout_task = None

    def summary(self) -> dict[str, Any]:
        """The control API's view of this conversation."""
        return {
            "id": self.id,
            "state": self.state,
            "deploymentId": self.deployment_id,
            "queue": self.queue,
            "members": [
                {"id": m.id, "displayName": m.display_name, "role": m.role, "state": m.state}
                for m in self.members.values()
            ],
        }


def seeded_deployments(seed: SeedInfo) -> dict[str, dict[str, Any]]:
    """The three seeded deployments (stored without selfUri)."""
    return {
        seed.deployment_id: {
            "id": seed.deployment_id,
            "name": "Emulator web chat",
            "description": "Open deployment for guests",
            "authenticationRequired": False,
            "disabled": False,
            "webChatConfig": {"webChatSkin": "modern-caret-skin"},
            "allowedDomains": [],
        },
        seed.disabled_deployment_id: {
            "id": seed.disabled_deployment_id,
            "name": "Retired web chat",
            "description": "A disabled deployment",
            "authenticationRequired": False,
            "disabled": True,
            "webChatConfig": {"webChatSkin": "basic"},
            "allowedDomains": [],
        },
        seed.auth_deployment_id: {
            "id": seed.auth_deployment_id,
            "name": "Authenticated web chat",
            "description": "Guests must present a memberAuthToken",
            "authenticationRequired": True,
            "authenticationUrl": "https://auth.example.invalid/webchat/token",
            "disabled": False,
            "webChatConfig": {"webChatSkin": "modern-caret-skin"},
            "allowedDomains": [],
        },
    }
