"""Textual messages that cross screens: what the backend, the start worker and the event worker report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from webchat_tui.api.session_types import SessionEvent

__all__ = [
    "JoinFormShown",
    "LocalBackendReady",
    "LocalBackendFailed",
    "SessionEventsReceived",
    "SessionStreamEnded",
]


class JoinFormShown(Message):
    """The join form is whole, after its first frame was shown: the app starts its background work now (the
    embedded emulator's imports would otherwise compete with the first frame for the GIL)."""


class LocalBackendReady(Message):
    """The local emulator is up: its base URL and seeded ids are known."""

    def __init__(self, base_url: str, organization_id: str, deployment_id: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.organization_id = organization_id
        self.deployment_id = deployment_id


class LocalBackendFailed(Message):
    """The embedded emulator could not start."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class SessionEventsReceived(Message):
    """Session events, in order, as the event worker received them since its last post."""

    def __init__(self, events: list[SessionEvent]) -> None:
        super().__init__()
        self.events = events


class SessionStreamEnded(Message):
    """The session's event iterator finished (the session closed or ended)."""

    def __init__(self, error: Any = None) -> None:
        super().__init__()
        self.error = error
