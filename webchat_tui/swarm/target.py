"""Where guests connect, and how a guest's `Session` is made for either protocol.

`Endpoint` is a resolved target (embedded or running emulator, a base URL, or a Genesys region) with the ids a
channel needs. `open_session()` builds the right session (`ChatSession` for Web Chat v2, `MessagingSession`
for Web Messaging) and starts it; everything after that goes through the protocol-neutral `Session`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from webchat_tui.chat import Session

if TYPE_CHECKING:
    from webchat_tui.emulator import EmbeddedEmulator

_TLS: ssl.SSLContext | None = None


def shared_tls() -> ssl.SSLContext:
    """One verifying TLS context for all guests of this process (httpx's CA bundle, else the system's).

    Each client would otherwise load the CA bundle itself: about 28 ms of CPU per guest, the largest part of
    connecting a swarm guest."""
    global _TLS
    if _TLS is None:
        try:
            import certifi

            _TLS = ssl.create_default_context(cafile=certifi.where())
        except ImportError:
            _TLS = ssl.create_default_context()
    return _TLS


__all__ = [
    "shared_tls",
    "Endpoint",
    "Guest",
    "OpenedSession",
    "open_session",
    "endpoint_for_emulator",
    "resolve_endpoint",
]


@dataclass(frozen=True, slots=True)
class Guest:
    """Who the guest is: display name, other memberInfo fields and custom attributes."""

    display_name: str
    member_info: dict[str, str] = field(default_factory=dict)
    custom_attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A resolved target for one channel."""

    channel: str
    base_url: str | None = None
    environment: str | None = None
    deployment_id: str = ""
    organization_id: str = ""
    queue: str = "Support"
    origin: str | None = None
    member_auth_token: str | None = None
    emulator_info: dict[str, Any] | None = None
    """The emulator's start-line keys (with its control token) when the target is an emulator we know."""

    @property
    def is_local(self) -> bool:
        """True for an emulator or any service on this machine's loopback."""
        if self.emulator_info is not None:
            return True
        host = (self.base_url or "").split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
        return host in ("127.0.0.1", "localhost", "::1")

    @property
    def where(self) -> str:
        """The base URL or region, for messages."""
        return self.base_url or self.environment or "?"


def endpoint_for_emulator(
    info: dict[str, Any], channel: str, deployment: str | None = None, queue: str | None = None
) -> Endpoint:
    """An endpoint on an emulator described by its start-line keys (``deployment``: for messaging ``bot``
    (default) or ``direct`` or an id; for web chat an id, default the seeded one)."""
    if channel == "messaging":
        chosen = {
            None: info["messaging_deployment_id"],
            "bot": info["messaging_deployment_id"],
            "direct": info["messaging_direct_deployment_id"],
        }.get(deployment, deployment)
        return Endpoint(channel, base_url=info["base_url"], deployment_id=str(chosen), emulator_info=info)
    return Endpoint(
        channel,
        base_url=info["base_url"],
        deployment_id=deployment or info["deployment_id"],
        organization_id=info["organization_id"],
        queue=queue or "Support",
        emulator_info=info,
    )


def resolve_endpoint(
    channel: str,
    *,
    base_url: str | None = None,
    environment: str | None = None,
    profile: str | None = None,
    deployment: str | None = None,
    organization: str | None = None,
    queue: str | None = None,
    origin: str | None = None,
    emulator_info: dict[str, Any] | None = None,
) -> Endpoint:
    """A remote endpoint from explicit values, a saved profile (the `chat` command's), or both (explicit
    values win). With ``emulator_info`` (a running emulator's start line) the seeded ids fill the gaps."""
    member_auth_token = None
    if profile:
        from webchat_tui.config import resolve_settings

        settings = resolve_settings(profile=profile)
        base_url = base_url or settings.api_base or None
        environment = environment or settings.environment or None
        deployment = deployment or settings.deployment_id or None
        organization = organization or settings.organization_id or None
        queue = queue or settings.queue or None
        member_auth_token = settings.member_auth_token or None
    if emulator_info is not None:
        local = endpoint_for_emulator(emulator_info, channel, deployment, queue)
        return replace(local, base_url=base_url or local.base_url)
    if not (base_url or environment):
        raise ValueError("no target: give a base URL, an environment or a profile")
    if not deployment:
        raise ValueError(f"the {channel} channel needs a deployment id for {base_url or environment}")
    if channel == "webchat" and not organization:
        raise ValueError(f"the webchat channel needs an organization id for {base_url or environment}")
    return Endpoint(
        channel,
        base_url=base_url,
        environment=environment,
        deployment_id=deployment,
        organization_id=organization or "",
        queue=queue or "Support",
        origin=origin,
        member_auth_token=member_auth_token,
    )


@dataclass(slots=True)
class OpenedSession:
    """A started session and what closes its transport."""

    session: Session
    channel: str
    closer: Callable[[], Awaitable[None]]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def conversation_id(self) -> str | None:
        """The Web Chat v2 conversation id (None for Web Messaging: see ``extra["token"]``)."""
        return self.extra.get("conversation_id")

    async def close(self) -> None:
        """Close the session (without leaving) and its transport; never raises."""
        with contextlib.suppress(Exception):
            await self.session.close()
        with contextlib.suppress(Exception):
            await self.closer()


async def open_session(
    endpoint: Endpoint, guest: Guest, *, send_interval: float | None = None, fetch_config: bool = True
) -> OpenedSession:
    """Create and start a guest session on ``endpoint``; the caller closes it (`OpenedSession.close`).

    ``send_interval`` (messaging): seconds between sends of one session (default: the client's own pacing,
    under the vendor's 2 per second)."""
    if endpoint.channel == "messaging":
        from webchat_tui.messaging import MessagingClient, MessagingSession, TokenStore

        mclient = MessagingClient(
            endpoint.deployment_id,
            base_url=endpoint.base_url,
            environment=None if endpoint.base_url else endpoint.environment,
            origin=endpoint.origin,
            verify=shared_tls(),
        )
        options: dict[str, Any] = {}
        if send_interval is not None:
            options["send_interval"] = send_interval
        msession = MessagingSession(
            mclient,
            token_store=TokenStore(None),
            guest_name=guest.display_name,
            custom_attributes=guest.custom_attributes or None,
            fetch_config=fetch_config,
            **options,
        )
        try:
            await msession.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await msession.close()
            raise
        return OpenedSession(msession, "messaging", mclient.close, {"token": msession.token.get()})

    from webchat_tui.api import ChatSession, GuestMemberInfo, WebChatClient

    client = WebChatClient(
        base_url=endpoint.base_url,
        environment=None if endpoint.base_url else endpoint.environment,
        verify=shared_tls(),
    )
    custom = {**guest.custom_attributes} or None
    info = GuestMemberInfo(display_name=guest.display_name, custom_fields=custom, **guest.member_info)
    session = ChatSession(client)
    try:
        await session.start(
            organization_id=endpoint.organization_id,
            deployment_id=endpoint.deployment_id,
            queue=endpoint.queue,
            member_info=info,
            member_auth_token=endpoint.member_auth_token,
        )
    except BaseException:
        with contextlib.suppress(Exception):
            await session.close()
        with contextlib.suppress(Exception):
            await client.aclose()
        raise
    return OpenedSession(session, "webchat", client.aclose, {"conversation_id": session.conversation_id})


async def start_embedded(time_scale: float = 1.0) -> EmbeddedEmulator:
    """Start the embedded emulator (the default target) and return it once it answers."""
    from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig

    emulator = EmbeddedEmulator(EmulatorConfig(time_scale=time_scale))
    await asyncio.to_thread(emulator.__enter__)
    return emulator
