"""Connecting to a real Genesys Cloud region.

A real region cannot be reached from the tests, so this is the one place with a fake: an
``httpx.MockTransport`` standing in for ``api.<region>`` / ``login.<region>``. It asserts the hosts, paths and
headers the client uses; everything else in the suite runs against the real emulator."""

from __future__ import annotations

import json

import httpx
import pytest

from webchat_tui.api import REGIONS, WebChatClient
from webchat_tui.api.models import CreateWebChatConversationRequest, GuestMemberInfo, WebChatRoutingTarget


@pytest.mark.parametrize("region", REGIONS, ids=[r.env_host for r in REGIONS])
async def test_region_hosts_for_guest_and_admin_calls(region) -> None:  # type: ignore[no-untyped-def]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/oauth/token":
            return httpx.Response(
                200, json={"access_token": "fake-region-token", "token_type": "bearer", "expires_in": 86399}
            )
        if request.url.path == "/api/v2/webchat/guest/conversations":
            return httpx.Response(
                200,
                json={
                    "id": "c1",
                    "jwt": "fake.region.jwt",
                    "eventStreamUri": f"wss://carrier-pigeon.{region.env_host}/v1/token/fake.region.jwt",
                    "member": {"id": "m1"},
                },
            )
        if request.url.path == "/api/v2/webchat/settings":
            return httpx.Response(200, json={"requireDeployment": True})
        return httpx.Response(404, json={"status": 404, "code": "not.found", "message": "nope"})

    async with WebChatClient(
        environment=region.env_host,
        client_id="id",
        client_secret="fake-client-secret",
        http_transport=httpx.MockTransport(handler),
    ) as client:
        created = await client.post_webchat_guest_conversations(
            CreateWebChatConversationRequest(
                organization_id="o",
                deployment_id="d",
                routing_target=WebChatRoutingTarget(target_address="Q"),
                member_info=GuestMemberInfo(display_name="G"),
            )
        )
        assert created.event_stream_uri == f"wss://carrier-pigeon.{region.env_host}/v1/token/fake.region.jwt"
        assert (await client.get_webchat_settings()).require_deployment is True

    create, token, settings = seen
    assert create.url == httpx.URL(f"https://api.{region.env_host}/api/v2/webchat/guest/conversations")
    assert "authorization" not in create.headers
    assert json.loads(create.content)["routingTarget"] == {"targetType": "QUEUE", "targetAddress": "Q"}
    assert token.url == httpx.URL(f"https://login.{region.env_host}/oauth/token")
    assert token.headers["authorization"].startswith("Basic ")
    assert token.content == b"grant_type=client_credentials"
    assert settings.url == httpx.URL(f"https://api.{region.env_host}/api/v2/webchat/settings")
    assert settings.headers["authorization"] == "Bearer fake-region-token"


async def test_explicit_base_url_wins_and_tls_is_verified_by_default(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WEBCHAT_BASE_URL", "http://127.0.0.1:1")
    async with WebChatClient() as from_env:
        assert from_env.base_url == "http://127.0.0.1:1"
    async with WebChatClient(base_url="https://example.test/", environment="mypurecloud.ie") as explicit:
        assert explicit.base_url == "https://example.test" and explicit.login_url == "https://example.test"
        assert explicit._transport._client._transport.ssl_context.verify_mode.name == "CERT_REQUIRED"  # type: ignore[attr-defined]
