"""Every one of the 19 operations through `WebChatClient` against the real emulator, plus typed auth errors
and client-side validation."""

from __future__ import annotations

import pytest

from tests.api.conftest import FAST_RETRY, FAST_STREAM, off_loop, poll
from webchat_tui.api import RetryPolicy, WebChatClient, errors
from webchat_tui.api.models import (
    CreateWebChatConversationRequest,
    GuestMemberInfo,
    MemberRole,
    WebChatConfig,
    WebChatDeployment,
    WebChatRoutingTarget,
    WebChatSettings,
)
from webchat_tui.api.stream import EventStream


def _create_request(
    emu, *, deployment_id: str | None = None, queue: str = "Support", **extra
) -> CreateWebChatConversationRequest:  # type: ignore[no-untyped-def]
    return CreateWebChatConversationRequest(
        organization_id=emu.seed.organization_id,
        deployment_id=deployment_id or emu.seed.deployment_id,
        routing_target=WebChatRoutingTarget(target_address=queue),
        member_info=GuestMemberInfo(
            display_name="Ada", email="ada@example.com", custom_fields={"orderId": "42"}
        ),
        **extra,
    )


async def test_all_eleven_guest_operations(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    created = await client.post_webchat_guest_conversations(_create_request(emu))
    cid, me = created.id, created.member.id
    assert created.event_stream_uri.startswith("ws://") and me
    stream = EventStream(client, cid, created.event_stream_uri, member_id=me, options=FAST_STREAM)
    await stream.start()  # routing starts once the socket is attached
    try:
        await poll(lambda: any(c["state"] == "active" for c in control.conversations()))

        page = await client.get_webchat_guest_conversation_members(cid, page_size=10, page_number=1)
        roles = {str(m.role) for m in page.entities}
        assert {"CUSTOMER", "AGENT"} <= roles and page.page_number == 1
        active = await client.get_webchat_guest_conversation_members(cid, exclude_disconnected_members=True)
        assert all(str(m.state) != "DISCONNECTED" for m in active.entities)
        agent = next(m for m in page.entities if m.role is MemberRole.AGENT)
        assert agent.id is not None
        detail = await client.get_webchat_guest_conversation_member(cid, agent.id)
        assert detail.display_name and detail.role is MemberRole.AGENT

        sent = await client.post_webchat_guest_conversation_member_messages(cid, me, "hello <b>there</b>")
        assert (
            sent.body == "hello <b>there</b>" and sent.sender.id == me and str(sent.body_type) == "standard"
        )
        typing = await client.post_webchat_guest_conversation_member_typing(cid, me)
        assert typing.sender.id == me

        listing = await client.get_webchat_guest_conversation_messages(
            cid, sort_order="ascending", max_results=100
        )
        assert sent.id in [m.id for m in listing.entities]
        one = await client.get_webchat_guest_conversation_message(cid, sent.id)
        assert one.body == sent.body
        after = [m async for m in client.iter_messages(cid, after=listing.entities[0].id, page_size=1)]
        assert [m.id for m in after][: len(listing.entities) - 1] == [m.id for m in listing.entities[1:]]

        requested = await off_loop(control.media_request, cid, ["SCREENSHARE"])
        requests = await client.get_webchat_guest_conversation_mediarequests(cid)
        assert requested["id"] in [r.id for r in requests.entities]
        got = await client.get_webchat_guest_conversation_mediarequest(cid, requested["id"])
        assert str(got.state) == "PENDING" and [str(t) for t in got.types or []] == ["SCREENSHARE"]
        patched = await client.patch_webchat_guest_conversation_mediarequest(cid, requested["id"], "ACCEPTED")
        assert str(patched.state) == "ACCEPTED"

        await client.delete_webchat_guest_conversation_member(cid, me)
        members = await client.list_all_members(cid)
        assert next(m for m in members if m.id == me).state == "DISCONNECTED"
        with pytest.raises(errors.BadRequestError) as info:
            await client.post_webchat_guest_conversation_member_messages(cid, me, "after the end")
        assert info.value.code in ("chat.error.conversation.state", "chat.error.member.state")
    finally:
        await stream.close()


async def test_all_eight_admin_operations(client: WebChatClient) -> None:
    listing = await client.get_webchat_deployments()
    before = listing.total
    assert before == len(listing.entities) >= 1
    created = await client.post_webchat_deployments(
        WebChatDeployment(
            name="Test deployment",
            description="from tests",
            allowed_domains=["example.com"],
            web_chat_config=WebChatConfig(web_chat_skin="basic"),
        )
    )
    assert created.id and created.name == "Test deployment"
    fetched = await client.get_webchat_deployment(created.id)
    assert fetched.allowed_domains == ["example.com"]
    updated = await client.put_webchat_deployment(
        created.id, fetched.model_copy(update={"description": "changed", "disabled": True})
    )
    assert updated.description == "changed" and updated.disabled is True
    assert (await client.get_webchat_deployments()).total == before + 1
    await client.delete_webchat_deployment(created.id)
    with pytest.raises(errors.NotFoundError):
        await client.get_webchat_deployment(created.id)

    settings = await client.put_webchat_settings(WebChatSettings(require_deployment=False))
    assert settings.require_deployment is False
    assert (await client.get_webchat_settings()).require_deployment is False
    await client.delete_webchat_settings()


async def test_admin_token_is_fetched_once_and_refreshed_when_near_expiry(client: WebChatClient) -> None:
    await client.get_webchat_settings()
    first = client._admin_token
    assert first is not None
    await client.get_webchat_settings()
    assert client._admin_token is first  # reused while valid
    first.refresh_at = 0.0  # pretend it is about to expire
    await client.get_webchat_settings()
    assert client._admin_token is not first and client._admin_token is not None
    assert client._admin_token.value != first.value


async def test_create_errors_are_typed(emu, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.BadRequestError) as info:
        await client.post_webchat_guest_conversations(
            _create_request(emu, deployment_id=emu.seed.disabled_deployment_id)
        )
    assert info.value.code == "chat.deployment.disabled" and info.value.correlation_id
    with pytest.raises(errors.BadRequestError) as info:
        await client.post_webchat_guest_conversations(_create_request(emu, queue="Nowhere"))
    assert info.value.code == "chat.error.invalid.queue"
    with pytest.raises(errors.BadRequestError) as info:
        await client.post_webchat_guest_conversations(
            _create_request(emu, deployment_id=emu.seed.auth_deployment_id)
        )
    assert info.value.code == "chat.deployment.require.auth"
    with pytest.raises(errors.BadRequestError) as info:
        await client.post_webchat_guest_conversations(
            _create_request(
                emu, deployment_id=emu.seed.auth_deployment_id, member_auth_token="not-a-valid-token"
            )
        )
    assert info.value.code == "chat.deployment.bad.auth"
    ok = await client.post_webchat_guest_conversations(
        _create_request(
            emu, deployment_id=emu.seed.auth_deployment_id, member_auth_token=emu.seed.member_auth_token
        )
    )
    assert ok.member.authenticated_guest is True


async def test_guest_auth_failures_are_typed(emu, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    created = await client.post_webchat_guest_conversations(_create_request(emu))
    with pytest.raises(errors.AuthenticationError) as info:
        await client.get_webchat_guest_conversation_members(created.id, jwt="garbage.token.value")
    assert info.value.status == 401
    other = await client.post_webchat_guest_conversations(_create_request(emu))
    with pytest.raises((errors.AuthenticationError, errors.PermissionDeniedError)):
        await client.get_webchat_guest_conversation_members(other.id, jwt=created.jwt)


async def test_expired_credentials_raise_session_expired_without_retry(
    emu, control, client: WebChatClient
) -> None:  # type: ignore[no-untyped-def]
    created = await client.post_webchat_guest_conversations(_create_request(emu))
    await off_loop(
        control.set_faults,
        {
            "http": [
                {
                    "operation": "getWebchatGuestConversationMembers",
                    "status": 401,
                    "code": "credentials.expired",
                    "times": 5,
                }
            ]
        },
    )
    with pytest.raises(errors.SessionExpired) as info:
        await client.get_webchat_guest_conversation_members(created.id)
    assert info.value.code == "credentials.expired"
    remaining = (await off_loop(control.faults))["http"][0]["times"]
    assert remaining == 4  # exactly one attempt


async def test_admin_auth_failures_are_typed(emu) -> None:  # type: ignore[no-untyped-def]
    async with WebChatClient(
        base_url=emu.base_url,
        client_id=emu.seed.client_id,
        client_secret="wrong-secret-123",
        retry=FAST_RETRY,
    ) as bad:
        with pytest.raises(errors.OAuthError) as info:
            await bad.get_webchat_deployments()
        assert info.value.status in (400, 401)
        assert "wrong-secret-123" not in str(info.value)
    async with WebChatClient(
        base_url=emu.base_url,
        client_id=emu.seed.readonly_client_id,
        client_secret=emu.seed.readonly_client_secret,
        retry=FAST_RETRY,
    ) as readonly:
        assert (await readonly.get_webchat_deployments()).entities
        with pytest.raises(errors.PermissionDeniedError) as denied:
            await readonly.post_webchat_deployments(WebChatDeployment(name="nope"))
        assert denied.value.status == 403
    async with WebChatClient(base_url=emu.base_url, retry=FAST_RETRY) as anonymous:
        with pytest.raises(errors.ClientValidationError) as missing:
            await anonymous.get_webchat_settings()
        assert missing.value.field == "client_id"


async def test_not_found_is_typed(emu, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    created = await client.post_webchat_guest_conversations(_create_request(emu))
    with pytest.raises(errors.NotFoundError) as info:
        await client.get_webchat_guest_conversation_message(
            created.id, "00000000-0000-0000-0000-000000000000"
        )
    assert info.value.status == 404 and info.value.code


async def test_validation_happens_before_any_request(emu, control, client: WebChatClient) -> None:  # type: ignore[no-untyped-def]
    bad = _create_request(emu)
    bad.member_info.email = "nope"
    with pytest.raises(errors.ClientValidationError) as info:
        await client.post_webchat_guest_conversations(bad)
    assert info.value.field == "memberInfo.email"
    assert await off_loop(control.conversations) == []
    created = await client.post_webchat_guest_conversations(_create_request(emu))
    for body, reason in (("", "empty"), ("x" * 4001, "4000")):
        with pytest.raises(errors.ClientValidationError) as caught:
            await client.post_webchat_guest_conversation_member_messages(
                created.id, created.member.id or "", body
            )
        assert caught.value.field == "body" and reason in caught.value.reason
    with pytest.raises(errors.ClientValidationError):
        await client.get_webchat_guest_conversation_messages(created.id, max_results=500)
    with pytest.raises(errors.ClientValidationError):
        await client.patch_webchat_guest_conversation_mediarequest(created.id, "mr", "PENDING")
    with pytest.raises(errors.ClientValidationError):
        await client.get_webchat_guest_conversation_member(created.id, "../../deployments")
    record = await off_loop(control.record, created.id)
    assert [e for e in record if e["kind"] == "message"] == []


async def test_network_errors_are_distinct_from_http_errors() -> None:
    async with WebChatClient(base_url="http://127.0.0.1:9", retry=FAST_RETRY) as nowhere:
        nowhere.set_guest_token("c1", "jwt-for-nowhere-000")
        with pytest.raises(errors.NetworkError) as info:
            await nowhere.get_webchat_guest_conversation_members("c1")
        assert not isinstance(info.value, errors.ApiError) and info.value.sent is False


async def test_the_oauth_token_request_follows_the_clients_current_retry_policy() -> None:
    """``client.retry`` may be replaced after construction; the token request obeys the new policy too.
    (Nothing listens on port 9: every attempt is a connection error.)"""
    async with WebChatClient(
        base_url="http://127.0.0.1:9", client_id="id", client_secret="secret", retry=FAST_RETRY
    ) as nowhere:
        waits: list[float] = []

        async def record(delay: float) -> None:
            waits.append(delay)

        nowhere.sleep = record  # type: ignore[method-assign]
        nowhere.retry = RetryPolicy(max_attempts=1)
        with pytest.raises(errors.NetworkError):
            await nowhere.get_webchat_settings()
        assert waits == []  # one attempt, no retry


async def test_no_retry_wait_runs_past_the_call_deadline() -> None:
    """A connection error whose backoff would end after the per-call deadline is raised at once instead of
    waiting (seeded jitter: the first backoff is 1.3 s, the deadline 1 s)."""
    policy = RetryPolicy(max_attempts=3, base_delay=10.0, max_delay=10.0, deadline=1.0)
    async with WebChatClient(base_url="http://127.0.0.1:9", retry=policy, seed=1) as nowhere:
        waits: list[float] = []

        async def record(delay: float) -> None:
            waits.append(delay)

        nowhere.sleep = record  # type: ignore[method-assign]
        nowhere.set_guest_token("c1", "jwt-for-nowhere-000")
        with pytest.raises(errors.NetworkError):
            await nowhere.get_webchat_guest_conversation_members("c1")
        assert waits == []
