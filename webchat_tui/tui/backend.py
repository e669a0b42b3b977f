"""Where chats go: the local emulator (embedded, started in the background, or injected) or a remote API.

No Textual here; the app drives `LocalEmulator.start_blocking()` from a thread worker after its first frame so
FastAPI/uvicorn are imported off the UI's critical path.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from webchat_tui.config import ChatSettings
from webchat_tui.tui.form_model import CUSTOM, LOCAL

__all__ = ["LocalEmulator", "ChatTarget", "target_for"]


class LocalEmulator:
    """The local emulator the "Local emulator" environment points at.

    Either injected (`base_url` and ids given, e.g. a test fixture's emulator) or embedded: started in a
    daemon thread by `start_blocking()` and stopped by `stop()`.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        organization_id: str = "",
        deployment_id: str = "",
        queues: tuple[str, ...] = (),
        control_token: str | None = None,
        messaging_deployment_id: str = "",
        time_scale: float = 1.0,
        seed: int | None = None,
    ) -> None:
        self.base_url = base_url
        """Base URL once known (immediately when injected)."""
        self.organization_id = organization_id
        self.deployment_id = deployment_id
        self.queues = queues
        """The emulator's queue names (offered by the form's queue field; listed when a queue is unknown)."""
        self.control_token = control_token
        """The emulator's control-API token (`X-Emulator-Token`), when known (shown in the info panel)."""
        self.messaging_deployment_id = messaging_deployment_id
        """The emulator's bot-first Messenger deployment (a newcomer meets the bot's quick replies first)."""
        self.embedded = base_url is None
        """True when this process starts (and owns) the emulator."""
        self._time_scale = time_scale
        self._seed = seed
        self._emulator: Any = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """True once chats can be started against it."""
        return self.base_url is not None

    def start_blocking(self, timeout: float = 30.0) -> None:
        """Import, start and wait for the embedded emulator (call from a thread; no-op when injected).

        Raises:
            Exception: whatever the emulator raised while starting.
        """
        with self._lock:  # a second caller waits for the first start instead of starting another emulator
            if not self.embedded or self._emulator is not None:
                return
            from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig

            emulator = EmbeddedEmulator(EmulatorConfig(time_scale=self._time_scale, seed=self._seed, port=0))
            emulator.start()
            emulator.wait_ready(timeout)
            self._emulator = emulator
            self.organization_id = emulator.seed.organization_id
            self.deployment_id = emulator.seed.deployment_id
            self.queues = tuple(emulator.seed.queues)
            self.control_token = emulator.control_token
            self.messaging_deployment_id = emulator.messaging_deployment_id
            self.base_url = emulator.base_url

    def stop(self) -> None:
        """Stop the embedded emulator if this process started it."""
        with self._lock:
            emulator, self._emulator = self._emulator, None
        if emulator is not None:
            emulator.stop()


@dataclass(frozen=True)
class ChatTarget:
    """The client arguments for one chat: either `base_url` or `environment`, plus words for the user."""

    base_url: str | None
    environment: str | None
    description: str


def target_for(settings: ChatSettings, environment: str, local: LocalEmulator) -> ChatTarget:
    """Resolve the form's environment choice into client arguments."""
    if environment == LOCAL:
        return ChatTarget(base_url=local.base_url, environment=None, description="the local emulator")
    if environment == CUSTOM:
        url = settings.api_base.strip().rstrip("/")
        return ChatTarget(base_url=url, environment=None, description=url)
    return ChatTarget(base_url=None, environment=environment, description=f"Genesys Cloud ({environment})")
