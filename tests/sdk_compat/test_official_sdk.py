"""The official Python SDK (PureCloudPlatformClientV2 258.0.0, unmodified) drives all 19 WebChatApi operations
end to end against the real emulator over HTTP (and a real websocket for the event stream).

The SDK derives its login URL by replacing `//api.` with `//login.` in `configuration.host`; a host such as
`http://127.0.0.1:PORT` has no `api.` so it posts client credentials to `<host>/oauth/token`, which the
emulator serves on the same port. No SDK setting beyond `host` is needed.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import connect

pytest.importorskip("PureCloudPlatformClientV2")
import PureCloudPlatformClientV2 as pc  # noqa: E402
from PureCloudPlatformClientV2.rest import ApiException  # noqa: E402

from webchat_tui.emulator import EmbeddedEmulator  # noqa: E402


@pytest.fixture
def sdk_config() -> Iterator[Any]:
    """The SDK's process-wide Configuration singleton, restored after the test."""
    config = pc.Configuration()
    saved = (config.host, dict(config.api_key), dict(config.api_key_prefix))
    yield config
    config.host, config.api_key, config.api_key_prefix = saved[0], saved[1], saved[2]


def _guest_api(emu: EmbeddedEmulator, sdk_config: Any, jwt: str | None, prefix: bool) -> Any:
    sdk_config.host = emu.base_url
    sdk_config.api_key.pop("Authorization", None)
    sdk_config.api_key_prefix.pop("Authorization", None)
    if jwt is not None:
        sdk_config.api_key["Authorization"] = jwt
        if prefix:
            sdk_config.api_key_prefix["Authorization"] = "Bearer"
    return pc.WebChatApi(pc.ApiClient(host=emu.base_url))


def _recv_until(ws: Any, predicate: Any, limit: int = 200) -> dict[str, Any]:
    for _ in range(limit):
        frame = json.loads(ws.recv(timeout=10))
        if predicate(frame):
            return frame
    raise AssertionError("frame not seen")


@pytest.mark.parametrize("prefix", [False, True], ids=["bare-jwt", "bearer-prefix"])
def test_guest_operations_with_official_sdk(
    emu: EmbeddedEmulator, control: Any, sdk_config: Any, prefix: bool
) -> None:
    """Operations 1-11 (guest), including a documented error surfaced as ApiException."""
    control.set_config(autoAgent=False)
    api = _guest_api(emu, sdk_config, None, prefix)
    body = pc.CreateWebChatConversationRequest()
    body.organization_id = emu.seed.organization_id
    body.deployment_id = emu.seed.deployment_id
    target = pc.WebChatRoutingTarget()
    target.target_type = "QUEUE"
    target.target_address = "Support"
    body.routing_target = target
    info = pc.GuestMemberInfo()
    info.display_name = "SDK Guest"
    info.custom_fields = {"orderId": "42"}
    body.member_info = info
    created = api.post_webchat_guest_conversations(body)  # 1
    assert created.id and created.jwt and created.event_stream_uri.startswith("ws://")
    assert created.member.role == "CUSTOMER"
    cid, mid = created.id, created.member.id
    api = _guest_api(emu, sdk_config, created.jwt, prefix)

    message = pc.CreateWebChatMessageRequest()
    message.body = "too early"
    with pytest.raises(ApiException) as early:
        api.post_webchat_guest_conversation_member_messages(cid, mid, message)
    assert early.value.status == 400
    assert json.loads(early.value.body)["code"] == "chat.error.conversation.state"

    with connect(created.event_stream_uri) as ws:
        _recv_until(ws, lambda f: f.get("eventBody", {}).get("member", {}).get("id") == mid)
        control.connect(cid)
        _recv_until(ws, lambda f: f.get("eventBody", {}).get("bodyType") == "member-join")

        members = api.get_webchat_guest_conversation_members(
            cid, page_size=10, page_number=1, exclude_disconnected_members=False
        )  # 2
        assert members.total == 3 and members.page_count == 1
        roles = {m.role for m in members.entities}
        assert roles == {"CUSTOMER", "ACD", "AGENT"}
        agent = next(m for m in members.entities if m.role == "AGENT")
        fetched = api.get_webchat_guest_conversation_member(cid, agent.id)  # 3
        assert fetched.display_name == agent.display_name and fetched.state == "CONNECTED"

        message.body = "hello from the SDK"
        message.body_type = "standard"
        sent = api.post_webchat_guest_conversation_member_messages(cid, mid, message)  # 5
        assert sent.body == "hello from the SDK" and sent.sender.id == mid and sent.timestamp is not None
        echo = _recv_until(ws, lambda f: f.get("eventBody", {}).get("id") == sent.id)
        assert echo["metadata"]["type"] == "message"

        typing = api.post_webchat_guest_conversation_member_typing(cid, mid)  # 6 (SDK sends body `null`)
        assert typing.sender.id == mid

        page = api.get_webchat_guest_conversation_messages(cid, sort_order="descending", max_results=100)  # 7
        assert page.entities[0].id == sent.id
        assert api.get_webchat_guest_conversation_message(cid, sent.id).body == sent.body  # 8

        mr = control.media_request(cid, ["COBROWSE", "SCREENSHARE"])
        listed = api.get_webchat_guest_conversation_mediarequests(cid)  # 9
        assert [r.id for r in listed.entities] == [mr["id"]]
        got = api.get_webchat_guest_conversation_mediarequest(cid, mr["id"])  # 10
        assert got.state == "PENDING" and sorted(got.types) == ["COBROWSE", "SCREENSHARE"]
        answer = pc.WebChatGuestMediaRequest()
        answer.state = "ACCEPTED"
        patched = api.patch_webchat_guest_conversation_mediarequest(cid, mr["id"], answer)  # 11
        assert patched.state == "ACCEPTED" and patched.communication_id

        with pytest.raises(ApiException) as missing:
            api.get_webchat_guest_conversation_message(cid, "00000000-0000-4000-8000-000000000000")
        assert missing.value.status == 404

        api.delete_webchat_guest_conversation_member(cid, mid)  # 4
        gone = api.get_webchat_guest_conversation_member(cid, mid)
        assert gone.state == "DISCONNECTED" and gone.leave_date is not None


def test_admin_operations_with_official_sdk(emu: EmbeddedEmulator, sdk_config: Any) -> None:
    """Operations 12-19 (deployments and settings) with a client-credentials token from `/oauth/token`."""
    sdk_config.host = emu.base_url
    client = pc.ApiClient(host=emu.base_url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.get_client_credentials_token(emu.seed.client_id, emu.seed.client_secret)
    assert client.access_token
    api = pc.WebChatApi(client)

    listing = api.get_webchat_deployments()  # 12
    assert listing.total == 3
    assert {d.id for d in listing.entities} >= {emu.seed.deployment_id, emu.seed.auth_deployment_id}
    new = pc.WebChatDeployment()
    new.name = "SDK deployment"
    new.description = "made by the official SDK"
    new.allowed_domains = ["example.com"]
    config = pc.WebChatConfig()
    config.web_chat_skin = "basic"
    new.web_chat_config = config
    created = api.post_webchat_deployments(new)  # 13
    assert (
        created.id and created.name == "SDK deployment" and created.web_chat_config.web_chat_skin == "basic"
    )
    assert api.get_webchat_deployment(created.id).description == "made by the official SDK"  # 14
    created.disabled = True
    updated = api.put_webchat_deployment(created.id, created)  # 15
    assert updated.disabled is True
    api.delete_webchat_deployment(created.id)  # 16
    with pytest.raises(ApiException) as gone:
        api.get_webchat_deployment(created.id)
    assert gone.value.status == 404 and json.loads(gone.value.body)["code"] == "resource.not.found"

    assert api.get_webchat_settings().require_deployment is True  # 17
    settings = pc.WebChatSettings()
    settings.require_deployment = False
    assert api.put_webchat_settings(settings).require_deployment is False  # 18
    api.delete_webchat_settings()  # 19
    assert api.get_webchat_settings().require_deployment is False


def test_readonly_client_gets_403_through_the_sdk(emu: EmbeddedEmulator, sdk_config: Any) -> None:
    """A token lacking `webchat:deployment:create` gets 403 `missing.permissions` as an ApiException."""
    sdk_config.host = emu.base_url
    client = pc.ApiClient(host=emu.base_url)
    client.get_client_credentials_token(emu.seed.readonly_client_id, emu.seed.readonly_client_secret)
    api = pc.WebChatApi(client)
    assert api.get_webchat_deployments().total == 3
    new = pc.WebChatDeployment()
    new.name = "nope"
    with pytest.raises(ApiException) as denied:
        api.post_webchat_deployments(new)
    assert denied.value.status == 403
    assert json.loads(denied.value.body)["code"] == "missing.permissions"
