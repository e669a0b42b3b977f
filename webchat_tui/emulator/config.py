"""Emulator configuration and the deterministic seed (organization, deployments, queues, OAuth clients).

Kept free of FastAPI/uvicorn imports so `from webchat_tui.emulator import EmulatorConfig` stays cheap.
"""

from __future__ import annotations

import dataclasses
import random
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

QUEUES: tuple[str, ...] = ("Support", "Sales", "Billing", "Night Shift")
# Agents per staffed queue; "Night Shift" is never staffed (chats stay queued with the ACD member).
AGENTS: dict[str, tuple[str, ...]] = {
    "Support": ("Alex Rivera", "Sam Chen", "Priya Patel"),
    "Sales": ("Jordan Lee", "Maria Garcia"),
    "Billing": ("Chris Novak", "Dana Okafor"),
}


@dataclass
class EmulatorConfig:
    """Runtime settings of one emulator instance (all optional; see the emulator contract)."""

    host: str = "127.0.0.1"
    port: int = 0
    time_scale: float = 1.0
    heartbeat_interval: float = 30.0
    seed: int | None = None
    auto_agent: bool = True
    require_bearer: bool = False
    idle_timeout: float = 900.0
    media_request_timeout: float = 120.0
    access_log: bool = False
    control_token: str | None = field(default=None, repr=False)
    """`X-Emulator-Token` value for the control API; None = a random token per process (also with a seed)."""
    control_auth: bool = True
    """False switches the control-API token check off (`--no-control-auth`)."""
    public_hosts: tuple[str, ...] = ()
    """Extra `Host` names accepted besides the bound address, localhost, 127.0.0.1 and [::1]."""
    max_connections: int = 4096
    """Open connections (HTTP and websocket) beyond which new ones get 503; lowered to fit the fd limit."""
    request_read_timeout: float = 10.0
    """Seconds a client may take to send a whole request (headers and body): slow or silent ones are cut."""
    keep_alive_timeout: float = 5.0
    """Seconds an idle keep-alive connection stays open between requests."""
    ended_retention: float = 3600.0
    """Seconds an ended conversation stays readable before it is forgotten (real seconds, not time-scaled)."""
    max_ended_conversations: int = 1000
    """Ended conversations kept at most; the oldest are forgotten first."""
    agents: str = "simulated"
    """Who answers chats: `simulated`, `human` (the agent console) or `human-first` (simulated after
    `human_first_timeout`); per queue or deployment through `PUT /emulator/v1/agents` (`human_agents`)."""
    human_first_timeout: float = 60.0
    """Seconds (time-scaled) a chat waits for a person in `human-first` mode before a simulated agent
    takes it."""
    tls: bool = False  # https/wss with a self-signed certificate made at start (`webchat_tui.emulator.tls`)

    def copy(self, **changes: Any) -> EmulatorConfig:
        """A copy with some fields replaced."""
        return dataclasses.replace(self, **changes)


def seeded_uuid(rng: random.Random) -> str:
    """A version-4 UUID string drawn from `rng` (deterministic for a seeded generator)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass(frozen=True)
class SeedInfo:
    """The seeded organization: ids and credentials that tests, demos and the README refer to."""

    organization_id: str
    deployment_id: str
    disabled_deployment_id: str
    auth_deployment_id: str
    client_id: str
    client_secret: str = field(repr=False)
    readonly_client_id: str
    readonly_client_secret: str = field(repr=False)
    signing_secret: str = field(repr=False)
    member_auth_token: str = field(repr=False)
    queues: tuple[str, ...] = QUEUES
    # Web Messaging (webchat_tui.emulator.messaging): seeded deployments and the demo sign-in code.
    messaging_deployment_id: str = ""
    messaging_direct_deployment_id: str = ""
    messaging_restricted_deployment_id: str = ""
    messaging_auth_deployment_id: str = ""
    messaging_auth_code: str = field(default="", repr=False)
    messaging_allowed_origin: str = "https://www.example.com"

    def public_dict(self, base_url: str, control_token: str | None = None) -> dict[str, Any]:
        """The JSON printed by the standalone runner and served by `GET /emulator/v1/info` (both are
        reachable only with the control token, so they may carry the secrets)."""
        ws_base = "ws" + base_url[len("http") :] if base_url.startswith("http") else base_url
        return {
            "base_url": base_url,
            "control_token": control_token,
            "organization_id": self.organization_id,
            "deployment_id": self.deployment_id,
            "disabled_deployment_id": self.disabled_deployment_id,
            "auth_deployment_id": self.auth_deployment_id,
            "queues": list(self.queues),
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "readonly_client_id": self.readonly_client_id,
            "readonly_client_secret": self.readonly_client_secret,
            "member_auth_token": self.member_auth_token,
            "messaging_ws_url": f"{ws_base}/v1",
            "messaging_deployment_id": self.messaging_deployment_id,
            "messaging_direct_deployment_id": self.messaging_direct_deployment_id,
            "messaging_restricted_deployment_id": self.messaging_restricted_deployment_id,
            "messaging_allowed_origin": self.messaging_allowed_origin,
            "messaging_auth_deployment_id": self.messaging_auth_deployment_id,
            "messaging_auth_code": self.messaging_auth_code,
        }


def new_control_token() -> str:
    """A fresh random control-API token (never derived from the seed)."""
    return secrets.token_urlsafe(32)


def check_control_token(token: str) -> str:
    """`token` if it can travel in an HTTP header (printable ASCII, no spaces, 8..512 characters)."""
    if not 8 <= len(token) <= 512 or not all("!" <= ch <= "~" for ch in token):
        raise ValueError("a control token is 8 to 512 printable ASCII characters without spaces")
    return token


def make_seed(seed: int | None) -> SeedInfo:
    """Derive the seeded organization from `seed` (None = random ids). The seed fixes ids only: every
    secret (client secrets, the signing key and so the member auth token) is random per call."""
    from webchat_tui.emulator.auth import sign_member_auth_token

    rng = random.Random(seed)
    org = seeded_uuid(rng)
    dep, disabled, auth_dep = seeded_uuid(rng), seeded_uuid(rng), seeded_uuid(rng)
    client_id = seeded_uuid(rng)
    rng.getrandbits(64)  # draws that once made the secrets: kept so a seed gives the same ids as before
    ro_id = seeded_uuid(rng)
    rng.getrandbits(64)
    rng.getrandbits(256)  # once the signing secret: ids drawn after it stay the same for a seed
    client_secret = f"emulator-secret-{secrets.token_hex(16)}"
    ro_secret = f"emulator-readonly-{secrets.token_hex(16)}"
    signing_secret = secrets.token_hex(32)
    token = sign_member_auth_token(
        signing_secret, org=org, deployment_id=auth_dep, subject="emulator-demo-user"
    )
    # Drawn after every Web Chat v2 value, so the ids printed for a given seed did not change.
    msg_ids = [seeded_uuid(rng) for _ in range(4)]
    msg_code = f"emulator-auth-code-{rng.getrandbits(64):016x}"
    return SeedInfo(
        messaging_deployment_id=msg_ids[0],
        messaging_direct_deployment_id=msg_ids[1],
        messaging_restricted_deployment_id=msg_ids[2],
        messaging_auth_deployment_id=msg_ids[3],
        messaging_auth_code=msg_code,
        organization_id=org,
        deployment_id=dep,
        disabled_deployment_id=disabled,
        auth_deployment_id=auth_dep,
        client_id=client_id,
        client_secret=client_secret,
        readonly_client_id=ro_id,
        readonly_client_secret=ro_secret,
        signing_secret=signing_secret,
        member_auth_token=token,
    )
