"""Fixtures for the api-layer tests: a `WebChatClient` on the real emulator, fast retry/stream settings, and
helpers that run the (synchronous) control API off the event loop so the client's tasks keep running."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import pytest

from webchat_tui.api import (
    ChatSession,
    GuestMemberInfo,
    RetryPolicy,
    SessionState,
    StreamOptions,
    WebChatClient,
)
from webchat_tui.api.models import CreateWebChatConversationRequest, WebChatRoutingTarget
from webchat_tui.emulator import EmbeddedEmulator

T = TypeVar("T")

# Small delays so that retries and reconnects do not dominate the run (the logic is the same).
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, deadline=30.0)
FAST_STREAM = StreamOptions(reconnect_base=0.01, reconnect_max=0.05, stable_after=1.0, start_attempts=10)


async def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking control-API call in a thread."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def poll(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll ``predicate`` (may be blocking: it runs in a thread) until truthy or fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await asyncio.to_thread(predicate)
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


async def http_fault(control: Any, operation: str, **rule: Any) -> None:
    """Replace the emulator's fault plan with one HTTP rule for ``operation`` (camelCase rule keys)."""
    await off_loop(control.set_faults, {"http": [{"operation": operation, **rule}]})


def chat_request(emu: EmbeddedEmulator, display_name: str = "Ada") -> CreateWebChatConversationRequest:
    """A create-chat request for the emulator's default deployment, "Support" queue."""
    return CreateWebChatConversationRequest(
        organization_id=emu.seed.organization_id,
        deployment_id=emu.seed.deployment_id,
        routing_target=WebChatRoutingTarget(target_address="Support"),
        member_info=GuestMemberInfo(display_name=display_name),
    )


def record_messages(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chat messages of an emulator record, in order."""
    return [e for e in events if e["kind"] == "message"]


@pytest.fixture
async def client(emu: EmbeddedEmulator) -> AsyncIterator[WebChatClient]:
    """A client on the emulator with admin credentials and fast retries."""
    async with WebChatClient(
        base_url=emu.base_url,
        client_id=emu.seed.client_id,
        client_secret=emu.seed.client_secret,
        retry=FAST_RETRY,
    ) as c:
        yield c


@pytest.fixture
async def session(client: WebChatClient) -> AsyncIterator[ChatSession]:
    """A not-yet-started session with fast stream settings (closed after the test)."""
    s = ChatSession(client, stream_options=FAST_STREAM)
    try:
        yield s
    finally:
        await s.close()


async def start_connected(session: ChatSession, emu: EmbeddedEmulator, queue: str = "Support") -> None:
    """Start a chat as "Ada" and wait until an agent is connected and has greeted."""
    await session.start(
        organization_id=emu.seed.organization_id,
        deployment_id=emu.seed.deployment_id,
        queue=queue,
        member_info=GuestMemberInfo(display_name="Ada"),
    )
    await session.wait_until(
        lambda s: (
            s.state is SessionState.CONNECTED
            and any(m.body_type == "standard" and m.sender_role == "AGENT" for m in s.messages)
        ),
        timeout=10,
    )
