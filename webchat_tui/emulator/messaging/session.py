"""Web Messaging domain objects: a guest session (one per token at a time), its attachments and its
onMessage rate limiter. Plain data plus tiny helpers; the rules live in `store`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from webchat_tui.emulator.messaging.deployments import MessagingDeployment

# Session states (control API `state`).
ACTIVE, READ_ONLY, EXPIRED, CLEARED, REPLACED = "active", "readOnly", "expired", "cleared", "replaced"
# Conversation phases (control API `phase`): nobody yet, the bot, waiting for an agent, an agent, ended.
NEW, BOT, QUEUED, AGENT, ENDED = "new", "bot", "queued", "agent", "ended"
MAX_CONNECTIONS = 3  # simultaneous sockets per token (protocol.md §7.4)
MAX_RECORD = 2_000  # guest requests kept per session for the control API's record


class Peer(Protocol):
    """A guest websocket as the store sees it."""

    deployment_id: str
    base_url: str
    session: MessagingSession | None

    def send(self, text: str, is_message: bool = False) -> None:
        """Queue one frame (never blocks)."""

    def close(self, code: int) -> None:
        """Close the socket from the server side (after the frames already queued)."""


class RateLimiter:
    """Token bucket for `onMessage`: `rate` per second with a burst of `rate` (protocol.md §11)."""

    def __init__(self) -> None:
        self.tokens: float | None = None
        self.last = 0.0

    def take(self, rate: float, now: float | None = None) -> int:
        """0 when the message may pass, else the `retryAfter` seconds to announce."""
        if rate <= 0:
            return 0
        now = time.monotonic() if now is None else now
        capacity = max(1.0, rate)
        tokens = capacity if self.tokens is None else min(capacity, self.tokens + (now - self.last) * rate)
        self.last = now
        if tokens >= 0.98:  # a little slack for a client pacing at exactly the documented rate
            self.tokens = tokens - 1.0
            return 0
        self.tokens = tokens
        return max(1, math.ceil((1.0 - tokens) / rate))


@dataclass
class Attachment:
    """A file: one the guest is uploading or has uploaded, or one an agent sent."""

    id: str
    session_id: str
    file_name: str
    file_type: str
    file_size: int
    state: str = "pending"  # pending -> uploaded | failed -> sent | deleted
    data: bytes = b""
    created: float = field(default_factory=time.time)
    headers: dict[str, str] = field(default_factory=dict)
    outbound: bool = False

    def media_type(self) -> str:
        """`mediaType` from the MIME type (Image, Video, Audio, File)."""
        major = self.file_type.split("/", 1)[0].lower()
        return {"image": "Image", "video": "Video", "audio": "Audio"}.get(major, "File")


@dataclass
class MessagingSession:
    """One guest session: its token, deployment, transcript, sockets and timers."""

    id: str
    token: str
    deployment: MessagingDeployment
    created: str
    state: str = ACTIVE
    phase: str = NEW
    authenticated: bool = False
    auth_jwt: str | None = None
    custom_attributes: dict[str, str] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)  # StructuredMessage bodies, oldest first
    # What the guest sent, in order: the newest MAX_RECORD requests (a guest must not grow it without bound).
    record: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=MAX_RECORD))
    connections: list[Peer] = field(default_factory=list)
    agent_name: str | None = None
    base_url: str = ""  # http(s)://host of the latest socket, for URLs in frames the agent sends
    served_agents: list[str] = field(default_factory=list)
    duration: float = 0.0  # seconds of inactivity before expiry (already time-scaled)
    expires_at: float = 0.0  # epoch seconds
    limiter: RateLimiter = field(default_factory=RateLimiter)
    forced_rate_limits: int = 0
    forced_retry_after: int = 3
    attachments: dict[str, Attachment] = field(default_factory=dict)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    expiry_task: asyncio.Task[Any] | None = None
    idle_task: asyncio.Task[Any] | None = None

    @property
    def read_only(self) -> bool:
        """Sending is refused (the conversation was disconnected with read-only, or closed)."""
        return self.state == READ_ONLY

    @property
    def live(self) -> bool:
        """Active or read-only: the token still reaches this session."""
        return self.state in (ACTIVE, READ_ONLY)

    def publish(self, text: str) -> None:
        """Send a frame to every socket of this session (messages and events fan out, §7.4)."""
        for peer in self.connections:
            peer.send(text, True)

    def cancel_tasks(self) -> None:
        """Stop the bot/agent tasks and timers tied to this session."""
        current = asyncio.current_task()
        for task in list(self.tasks):
            if task is not current:
                task.cancel()
        self.tasks.clear()
        for timer in (self.expiry_task, self.idle_task):
            if timer is not None and timer is not asyncio.current_task():
                timer.cancel()
        self.expiry_task = self.idle_task = None

    def summary(self) -> dict[str, Any]:
        """Control-API view."""
        return {
            "id": self.id,
            "token": self.token,
            "deploymentId": self.deployment.id,
            "customAttributes": dict(self.custom_attributes),
            "state": self.state,
            "phase": self.phase,
            "readOnly": self.read_only,
            "authenticated": self.authenticated,
            "agent": self.agent_name,
            "connections": len(self.connections),
            "messageCount": len(self.history),
            "createdDate": self.created,
            "expirationDate": int(self.expires_at),
        }
