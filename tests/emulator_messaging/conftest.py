"""Fixtures of the Web Messaging emulator suite: raw guests on the shared emulator (closed, and checked for
schema violations, after each test), the messaging control calls, and an async HTTP client whose every JSON
body is validated too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.emulator_messaging.helpers import WsGuest
from webchat_tui.emulator import EmbeddedEmulator

GuestFactory = Callable[..., Awaitable[WsGuest]]


@pytest.fixture
async def guest(emu: EmbeddedEmulator) -> AsyncIterator[GuestFactory]:
    """`await guest(deployment_id=None, token=None, origin=None, configure=True)`: a raw guest socket
    (bot-first deployment by default), configured unless told otherwise. Every frame any of them received is
    schema-checked; a violation fails the test at teardown even if the test never looked at that frame."""
    opened: list[WsGuest] = []

    async def make(
        deployment_id: str | None = None,
        token: str | None = None,
        *,
        origin: str | None = None,
        configure: bool = True,
    ) -> WsGuest:
        g = await WsGuest.open(emu, deployment_id or emu.messaging_deployment_id, token, origin=origin)
        opened.append(g)
        if configure:
            answer = await g.configure()
            assert answer["class"] == "SessionResponse", answer
        return g

    yield make
    for g in opened:
        if not g.closed.is_set():
            await g.close()
    problems = [e for g in opened for e in g.errors]
    assert not problems, problems[0]


class CheckedHttp:
    """httpx.AsyncClient wrapper: `get_json(path, ref)` validates the body against the schema definition."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """A raw GET."""
        return await self.client.get(path, **kwargs)

    async def get_json(self, path: str, ref: str, **kwargs: Any) -> Any:
        """GET, assert 200 and validate against `#/$defs/{ref}`."""
        from tests.emulator_messaging.helpers import check

        response = await self.client.get(path, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        check(ref, body)
        return body


@pytest.fixture
async def rest(emu: EmbeddedEmulator) -> AsyncIterator[CheckedHttp]:
    """Async HTTP on the emulator with schema-checked JSON bodies."""
    async with httpx.AsyncClient(base_url=emu.base_url, timeout=30.0) as client:
        yield CheckedHttp(client)
