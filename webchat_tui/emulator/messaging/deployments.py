"""Seeded Messenger deployments and their `config.json` (protocol.md §10.1).

Four deployments come with every emulator (ids from the seed, see `SeedInfo`): bot first, straight to an
agent, restricted to an Origin allow-list, and one that requires authenticated sessions. The control API can
change their settings at run time (`PATCH /emulator/v1/messaging/deployments/{id}`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from webchat_tui.emulator.config import SeedInfo
from webchat_tui.emulator.errors import EmulatorError, checked_number

BOT, DIRECT, RESTRICTED, AUTH = "bot", "direct", "restricted", "auth"
DEFAULT_BLOCKED = (".ade", ".adp", ".bat", ".cmd", ".com", ".exe", ".js", ".msi", ".scr", ".vbs")


@dataclass
class MessagingDeployment:
    """One Messenger deployment and the session rules it imposes."""

    id: str
    name: str
    kind: str
    bot_first: bool = False
    allowed_origins: list[str] = field(default_factory=list)  # empty = any Origin (or none)
    auth_required: bool = False
    read_only_disconnect: bool = True  # conversationDisconnect.type ReadOnly (else Send)
    clear_enabled: bool = True
    user_typing: bool = True
    auto_start: bool = True
    duration_seconds: int = 3600  # guest-session inactivity TTL (the vendor default is unknown)
    max_custom_data_bytes: int = 2048
    max_text_length: int = 4000  # guest text limit behind 4011 (the vendor value is unknown)
    messages_per_second: float = 2.0  # onMessage rate per session (0 = unlimited)
    file_types: list[str] = field(default_factory=lambda: ["*/*"])
    max_file_size_kb: int = 10240
    blocked_extensions: list[str] = field(default_factory=lambda: list(DEFAULT_BLOCKED))

    def summary(self) -> dict[str, Any]:
        """Control-API view (camelCase)."""
        return {wire: getattr(self, attr) for wire, attr in SETTINGS.items()} | {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
        }

    def update(self, data: Any) -> None:
        """Apply a PATCH body of camelCase settings (400 on an unknown key or a wrong type; all or none)."""
        if not isinstance(data, dict):
            raise EmulatorError("bad.request", message="body must be a JSON object")
        changes: dict[str, Any] = {}
        for key, value in data.items():
            attr = SETTINGS.get(key)
            if attr is None:
                raise EmulatorError("bad.request", message=f"Unknown deployment setting {key!r}.")
            current = getattr(self, attr)
            if isinstance(current, bool):
                ok = isinstance(value, bool)
            elif isinstance(current, list):
                ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            elif attr in NUMBER_RANGES:  # finite and in range, else 400 (never inf, never a 500)
                low, high = NUMBER_RANGES[attr]
                number = checked_number(value, key, low, high, integer=not isinstance(current, float))
                value, ok = (number if isinstance(current, float) else int(number)), True
            else:
                ok = False
            if not ok:
                raise EmulatorError("bad.request", message=f"{key}: wrong type or value")
            changes[attr] = value
        for attr, value in changes.items():
            setattr(self, attr, value)

    def allowed_media(self) -> dict[str, Any]:
        """`SessionResponse.allowedMedia` (§4.1)."""
        return {
            "inbound": {
                "fileTypes": [{"type": t} for t in self.file_types],
                "maxFileSizeKB": self.max_file_size_kb,
            }
        }

    def config_json(self, api_base: str, ws_base: str) -> dict[str, Any]:
        """The deployment's `config.json` with the fields a guest client reads (§10.1)."""
        return {
            "id": self.id,
            "version": "1",
            "languages": ["en-us"],
            "defaultLanguage": "en-us",
            "apiEndpoint": api_base,
            "status": "Active",
            "journeyEvents": {"enabled": False},
            "auth": {"enabled": self.auth_required, "allowSessionUpgrade": self.auth_required},
            "messenger": {
                "enabled": True,
                "styles": {"primaryColor": "#ff4f1f"},
                "launcherButton": {"visibility": "On"},
                "fileUpload": {
                    "enableAttachments": bool(self.file_types) and self.max_file_size_kb > 0,
                    "modes": [{"fileTypes": list(self.file_types), "maxFileSizeKB": self.max_file_size_kb}],
                },
                "apps": {
                    "conversations": {
                        "messagingEndpoint": ws_base,
                        "showAgentTypingIndicator": True,
                        "showUserTypingIndicator": self.user_typing,
                        "autoStart": {"enabled": self.auto_start},
                        "conversationDisconnect": {
                            "enabled": True,
                            "type": "ReadOnly" if self.read_only_disconnect else "Send",
                        },
                        "conversationClear": {"enabled": self.clear_enabled},
                        "notifications": {"enabled": False},
                        "markdown": {"enabled": True},
                        "humanize": {"enabled": True},
                    }
                },
            },
        }


SETTINGS: dict[str, str] = {
    "botFirst": "bot_first",
    "allowedOrigins": "allowed_origins",
    "authRequired": "auth_required",
    "readOnlyDisconnect": "read_only_disconnect",
    "clearEnabled": "clear_enabled",
    "userTyping": "user_typing",
    "autoStart": "auto_start",
    "durationSeconds": "duration_seconds",
    "maxCustomDataBytes": "max_custom_data_bytes",
    "maxTextLength": "max_text_length",
    "messagesPerSecond": "messages_per_second",
    "fileTypes": "file_types",
    "maxFileSizeKB": "max_file_size_kb",
    "blockedExtensions": "blocked_extensions",
}


NUMBER_RANGES: dict[str, tuple[float, float]] = {
    "duration_seconds": (1, 31_536_000),  # up to a year
    "max_custom_data_bytes": (1, 1_000_000),
    "max_text_length": (1, 1_000_000),
    "messages_per_second": (0, 1_000),  # 0 = unlimited
    "max_file_size_kb": (0, 25_600),  # 0 = no attachments; the platform-wide 25 MB cap (protocol.md §11)
}


def seeded_messaging_deployments(seed: SeedInfo) -> dict[str, MessagingDeployment]:
    """The four seeded deployments, fresh (also after a reset)."""
    deps = [
        MessagingDeployment(seed.messaging_deployment_id, "Bot first", BOT, bot_first=True),
        MessagingDeployment(seed.messaging_direct_deployment_id, "Straight to an agent", DIRECT),
        MessagingDeployment(
            seed.messaging_restricted_deployment_id,
            "Origin allow-list",
            RESTRICTED,
            allowed_origins=[seed.messaging_allowed_origin],
        ),
        MessagingDeployment(seed.messaging_auth_deployment_id, "Authenticated", AUTH, auth_required=True),
    ]
    return {d.id: dataclasses.replace(d) for d in deps}
