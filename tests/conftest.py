"""Shared fixtures: one real emulator per test run (`emulator`), reset before each test (`emu`), and a
small sync
helper over its control API (`control`). Every test talks to it over real HTTP and websockets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig

TEST_TIME_SCALE = 0.02
TEST_DEFAULTS = {
    "timeScale": TEST_TIME_SCALE,
    "autoAgent": True,
    "heartbeatInterval": 30.0,
    "idleTimeout": 900.0,
    "mediaRequestTimeout": 120.0,
    "requireBearer": False,
}


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmbeddedEmulator]:
    """One emulator for the whole run (time_scale 0.02, seed 1234). Prefer `emu`, which resets it first."""
    with EmbeddedEmulator(EmulatorConfig(time_scale=TEST_TIME_SCALE, seed=1234)) as emu:
        yield emu


class Control:
    """Sync helper over `/emulator/v1` (the control API) of one emulator."""

    def __init__(self, emu: EmbeddedEmulator) -> None:
        self.emu = emu
        self.http = httpx.Client(base_url=f"{emu.base_url}/emulator/v1", timeout=30.0)

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()

    def _ok(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise AssertionError(
                f"control API {response.request.method} {response.request.url.path} -> "
                f"{response.status_code}: {response.text}"
            )
        return response.json() if response.content else None

    def info(self) -> dict[str, Any]:
        """Seed info."""
        return self._ok(self.http.get("/info"))  # type: ignore[no-any-return]

    def reset(self) -> None:
        """Reset the emulator."""
        self._ok(self.http.post("/reset"))

    def conversations(self) -> list[dict[str, Any]]:
        """All conversations (`id, state, deploymentId, queue, members`)."""
        return self._ok(self.http.get("/conversations"))["entities"]  # type: ignore[no-any-return]

    def conversation(self, cid: str) -> dict[str, Any]:
        """One conversation summary."""
        return self._ok(self.http.get(f"/conversations/{cid}"))  # type: ignore[no-any-return]

    def record(self, cid: str) -> list[dict[str, Any]]:
        """The ordered event record of a conversation."""
        return self._ok(self.http.get(f"/conversations/{cid}/record"))["events"]  # type: ignore[no-any-return]

    def agent_messages(
        self,
        cid: str,
        body: str | None = None,
        count: int | None = None,
        bodies: list[str] | None = None,
        body_type: str | None = None,
    ) -> list[str]:
        """The agent sends message(s); returns their ids."""
        payload: dict[str, Any] = {}
        if bodies is not None:
            payload["bodies"] = bodies
        else:
            payload["body"] = body if body is not None else "Hello from the agent"
            if count is not None:
                payload["count"] = count
        if body_type is not None:
            payload["bodyType"] = body_type
        return self._ok(self.http.post(f"/conversations/{cid}/agent/messages", json=payload))["ids"]  # type: ignore[no-any-return]

    def agent_typing(self, cid: str) -> None:
        """The agent is typing."""
        self._ok(self.http.post(f"/conversations/{cid}/agent/typing"))

    def media_request(self, cid: str, types: list[str] | None = None) -> dict[str, Any]:
        """The agent sends a media request; returns it."""
        return self._ok(
            self.http.post(
                f"/conversations/{cid}/agent/mediarequests",  # type: ignore[no-any-return]
                json={"types": types or ["SCREENSHARE"]},
            )
        )

    def cancel_media_request(self, cid: str, mrid: str) -> dict[str, Any]:
        """The agent cancels a PENDING media request."""
        return self._ok(self.http.post(f"/conversations/{cid}/agent/mediarequests/{mrid}/cancel"))  # type: ignore[no-any-return]

    def transfer(self, cid: str, to_agent: str | None = None) -> None:
        """Transfer to another agent."""
        self._ok(
            self.http.post(
                f"/conversations/{cid}/agent/transfer", json={"toAgent": to_agent} if to_agent else {}
            )
        )

    def end(self, cid: str) -> None:
        """The agent ends the chat."""
        self._ok(self.http.post(f"/conversations/{cid}/agent/end"))

    def connect(self, cid: str) -> None:
        """Route a queued chat to an agent now (for autoAgent off)."""
        self._ok(self.http.post(f"/conversations/{cid}/agent/connect"))

    def set_faults(self, plan: dict[str, Any]) -> dict[str, Any]:
        """Replace the fault plan."""
        return self._ok(self.http.put("/faults", json=plan))  # type: ignore[no-any-return]

    def clear_faults(self) -> None:
        """Clear the fault plan."""
        self._ok(self.http.delete("/faults"))

    def faults(self) -> dict[str, Any]:
        """The active fault plan."""
        return self._ok(self.http.get("/faults"))  # type: ignore[no-any-return]

    def set_config(self, **changes: Any) -> dict[str, Any]:
        """Change runtime config with camelCase keys, e.g. `set_config(autoAgent=False, timeScale=0.01)`."""
        return self._ok(self.http.put("/config", json=changes))  # type: ignore[no-any-return]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
        """Poll `predicate()` until it returns something truthy (returned) or fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s: {predicate}")
            time.sleep(interval)


@pytest.fixture
def emu(emulator: EmbeddedEmulator) -> EmbeddedEmulator:
    """The session emulator after `reset()` with the test defaults (time_scale 0.02, auto agent on,
    heartbeat 30)."""
    emulator.reset()
    with httpx.Client(base_url=emulator.base_url, timeout=10.0) as http:
        response = http.put("/emulator/v1/config", json=TEST_DEFAULTS)
        response.raise_for_status()
    return emulator


@pytest.fixture
def control(emu: EmbeddedEmulator) -> Iterator[Control]:
    """A `Control` helper bound to the freshly reset `emu`."""
    helper = Control(emu)
    try:
        yield helper
    finally:
        helper.close()
