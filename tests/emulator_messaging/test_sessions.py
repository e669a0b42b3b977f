"""Web Messaging session semantics against the real emulator (protocol.md §2-§7, §11, §12): configure, resume,
startNew, read-only, closeSession, the 3-connection cap, expiry, clear, rate limit, custom attributes, errors.
Raw `websockets` guests; every frame they receive is validated against schema.json (see `helpers`).
"""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from tests.emulator_messaging.conftest import GuestFactory
from tests.emulator_messaging.helpers import WsGuest, is_class, is_presence
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient


@pytest.fixture(autouse=True)
def quiet(control: ControlClient) -> None:
    """No bot or agent acting on its own: these tests drive the agent side through the control API."""
    control.set_config(autoAgent=False)


async def test_configure_answers_a_session_response_with_the_limits(
    emu: EmbeddedEmulator, guest: GuestFactory
) -> None:
    g = await guest(configure=False)
    answer = await g.configure()
    assert answer["type"] == "response" and answer["code"] == 200
    body = answer["body"]
    assert body["connected"] is True and body["newSession"] is True and body["readOnly"] is False
    assert body["maxCustomDataBytes"] == 2048
    assert body["allowedMedia"]["inbound"]["maxFileSizeKB"] == 10240
    assert ".exe" in body["blockedExtensions"]
    assert body["durationSeconds"] >= 1 and body["expirationDate"] > 1_700_000_000


async def test_message_echo_carries_the_tracing_id_and_is_kept_once(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    g = await guest()
    echo = await g.say("hello there")
    assert echo["type"] == "message" and echo["class"] == "StructuredMessage"
    assert echo["body"]["direction"] == "Inbound" and echo["body"]["text"] == "hello there"
    assert echo["body"]["metadata"]["correlationId"]
    sid = control.messaging_session_for(g.token)["id"]
    assert [m["text"] for m in control.messaging_messages(sid)] == ["hello there"]


async def test_resume_with_the_same_token_after_a_drop(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    g = await guest()
    await g.say("before the drop")
    sid = control.messaging_session_for(g.token)["id"]
    assert control.messaging_session_action(sid, "drop", {"closeCode": 1011}) == {"dropped": 1}
    await asyncio.wait_for(g.closed.wait(), 15)
    assert g.close_code == 1011
    again = await guest(token=g.token, configure=False)
    answer = await again.configure()
    assert answer["body"]["newSession"] is False and answer["body"]["readOnly"] is False
    assert control.messaging_session_for(g.token)["id"] == sid
    echo = await again.say("after the drop")
    assert echo["body"]["text"] == "after the drop"
    assert [m["text"] for m in control.messaging_messages(sid)] == ["before the drop", "after the drop"]


async def test_start_new_makes_a_fresh_session_and_the_old_one_unreachable(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    g = await guest()
    await g.say("old conversation")
    old = control.messaging_session_for(g.token)["id"]
    answer = await g.configure(start_new=True)
    assert answer["body"]["newSession"] is True
    new = control.messaging_session_for(g.token)
    assert new["id"] != old and new["messageCount"] == 0
    states = {s["id"]: s["state"] for s in control.messaging_sessions(token=g.token)}
    assert states == {old: "replaced", new["id"]: "active"}


async def test_disconnect_makes_the_session_read_only_and_new_messages_are_refused(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient, rest: object
) -> None:
    g = await guest()
    await g.say("hi")
    sid = control.messaging_session_for(g.token)["id"]
    control.messaging_agent(sid, "disconnect")
    event = await g.wait_for(is_presence("Disconnect"))
    assert event["body"]["metadata"]["readOnly"] == "true"
    refused = await g.say("are you there?")
    assert refused == {**refused, "type": "response", "class": "string", "code": 409}
    assert refused["body"] == "Session is read-only, no new messages allowed"
    # a re-configure says read-only; the JWT and history keep working
    answer = await g.configure()
    assert answer["body"]["readOnly"] is True and answer["body"]["newSession"] is False
    jwt = await g.jwt()
    page = await rest.get_json(  # type: ignore[attr-defined]
        "/api/v2/webmessaging/messages",
        "WebMessagingMessageEntityList",
        headers={"Authorization": f"Bearer {jwt}"},
    )
    assert page["total"] == 2  # the guest's message and the Disconnect event
    assert [r["code"] for r in control.messaging_record(sid) if r["action"] == "onMessage"] == [200, 409]
    # Kotlin's way out: closeSession, then startNew
    closed = await g.request("closeSession", closeAllConnections=True)
    assert closed["class"] == "SessionResponse" and closed["body"]["connected"] is False
    assert closed["body"]["readOnly"] is True
    assert (await g.say("after closing"))["code"] == 4007  # the socket no longer holds the session
    fresh = await g.configure(start_new=True)
    assert fresh["body"]["newSession"] is True and fresh["body"]["readOnly"] is False
    assert (await g.say("new chat"))["class"] == "StructuredMessage"


async def test_disconnect_without_read_only_lets_the_guest_keep_sending(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    g = await guest()
    sid = control.messaging_session_for(g.token)["id"]
    control.messaging_agent(sid, "disconnect", {"readOnly": False})
    event = await g.wait_for(is_presence("Disconnect"))
    assert event["body"]["metadata"]["readOnly"] == "false"
    assert (await g.say("still here"))["class"] == "StructuredMessage"


async def test_close_session_with_close_all_tells_the_other_sockets(
    emu: EmbeddedEmulator, guest: GuestFactory
) -> None:
    a = await guest()
    b = await guest(token=a.token)
    closed = await a.request("closeSession", closeAllConnections=True)
    assert closed["body"]["connected"] is False
    await b.wait_for(is_class("ConnectionClosedEvent"))
    await asyncio.wait_for(b.closed.wait(), 15)


async def test_at_most_three_sockets_per_token_and_messages_fan_out(
    emu: EmbeddedEmulator, guest: GuestFactory
) -> None:
    first = await guest()
    others = [await guest(token=first.token) for _ in range(2)]
    fourth = await guest(token=first.token, configure=False)
    start = len(fourth.frames)
    await fourth.send("configureSession", deploymentId=emu.messaging_deployment_id)
    refused = await fourth.wait_for(is_class("ConnectionClosedEvent"), start)
    assert refused["body"] == {}
    await asyncio.wait_for(fourth.closed.wait(), 15)
    echo = await first.say("to every device")
    for g in others:
        seen = await g.wait_for(lambda f: f.get("tracingId") == echo["tracingId"])
        assert seen["body"]["text"] == "to every device"


async def test_raw_burst_is_rate_limited_with_4029(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    g = await guest()
    ids = [await g.send("onMessage", message={"type": "Text", "text": f"burst {i}"}) for i in range(20)]
    answers = [await g.wait_for(lambda f, t=t: f.get("tracingId") == t) for t in ids]  # type: ignore[misc]
    limited = [a for a in answers if a["class"] == "TooManyRequestsErrorMessage"]
    assert limited, "a raw burst of 20 must hit the 2 per second limit"
    for a in limited:
        assert a["type"] == "response" and a["code"] == 429
        assert a["body"]["errorCode"] == 4029 and a["body"]["retryAfter"] >= 1
    accepted = [a["body"]["text"] for a in answers if a["class"] == "StructuredMessage"]
    sid = control.messaging_session_for(g.token)["id"]
    assert [m["text"] for m in control.messaging_messages(sid)] == accepted  # refused messages are not kept


async def test_messages_paced_at_the_documented_rate_pass(emu: EmbeddedEmulator, guest: GuestFactory) -> None:
    g = await guest()
    for i in range(5):
        answer = await g.say(f"paced {i}")
        assert answer["class"] == "StructuredMessage", answer
        await asyncio.sleep(0.55)


async def test_control_can_force_rate_limit_answers(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    g = await guest()
    sid = control.messaging_session_for(g.token)["id"]
    control.messaging_session_action(sid, "ratelimit", {"count": 2, "retryAfter": 7})
    first, second = await g.say("one"), await g.say("two")
    assert [first["body"]["retryAfter"], second["body"]["retryAfter"]] == [7, 7]
    await asyncio.sleep(1.1)
    assert (await g.say("three"))["class"] == "StructuredMessage"


async def test_custom_attributes_in_both_places_and_over_the_limit(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    g = await guest()
    ok = await g.request(
        "onMessage",
        message={
            "type": "Text",
            "text": "a",
            "channel": {"metadata": {"customAttributes": {"plan": "gold"}}},
        },
    )
    assert ok["class"] == "StructuredMessage"
    await asyncio.sleep(1.1)
    ok2 = await g.request(
        "onMessage",
        message={"type": "Text", "text": "b"},
        channel={"metadata": {"customAttributes": {"order": "1234"}}},
    )
    assert ok2["class"] == "StructuredMessage"
    assert control.messaging_session_for(g.token)["customAttributes"] == {"plan": "gold", "order": "1234"}
    big = {"k": "x" * 2048}
    refused = await g.request(
        "onMessage", message={"type": "Text", "text": "c"}, channel={"metadata": {"customAttributes": big}}
    )
    assert refused["class"] == "string" and refused["code"] == 4013
    assert refused["body"] == "Custom Attributes in channel metadata is larger than 2048 bytes"


async def test_session_expires_after_its_scaled_duration(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    control.patch_messaging_deployment(emu.messaging_deployment_id, durationSeconds=50)  # x 0.02 = 1 s
    g = await guest()
    assert g.frames[-1]["body"]["durationSeconds"] == 1
    await g.wait_for(is_class("SessionExpiredEvent"))
    echo = await g.request("echo", message={"type": "Text", "text": "ping"})
    assert echo["class"] == "SessionExpiredEvent" and echo["type"] == "response"
    refused = await g.say("late")
    assert refused["class"] == "string" and refused["code"] == 4006
    assert control.messaging_session_for(g.token)["state"] == "expired"
    again = await g.configure()
    assert again["body"]["newSession"] is True


async def test_echo_reports_the_session_duration(emu: EmbeddedEmulator, guest: GuestFactory) -> None:
    g = await guest()
    echo = await g.request(
        "echo", message={"type": "Text", "text": "ping"}, tracingId="SGVhbHRoQ2hlY2tNZXNzYWdlSWQ="
    )
    assert (
        echo["type"] == "response"
        and echo["body"]["text"] == "ping"
        and echo["body"]["direction"] == "Inbound"
    )
    assert int(echo["body"]["metadata"]["durationSeconds"]) >= 1
    assert int(echo["body"]["metadata"]["expirationDate"]) > 1_700_000_000


async def test_control_expire(emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient) -> None:
    g = await guest()
    control.messaging_session_action(control.messaging_session_for(g.token)["id"], "expire")
    await g.wait_for(is_class("SessionExpiredEvent"))
    assert (await g.say("x"))["code"] == 4006


async def test_clear_conversation(emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient) -> None:
    g = await guest()
    await g.say("forget me")
    old = control.messaging_session_for(g.token)["id"]
    answer = await g.request(
        "onMessage",
        message={"type": "Event", "events": [{"eventType": "Presence", "presence": {"type": "Clear"}}]},
    )
    assert answer["type"] == "response" and answer["code"] == 200
    await g.wait_for(is_class("SessionClearedEvent"))
    await g.wait_for(is_class("ConnectionClosedEvent"))
    assert (
        control.messaging_messages(old) == []
        and control.messaging_sessions(token=g.token)[0]["state"] == "cleared"
    )
    again = await guest(token=g.token, configure=False)
    assert (await again.configure())["body"]["newSession"] is True


async def test_clear_refused_when_the_deployment_does_not_allow_it(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    control.patch_messaging_deployment(emu.messaging_deployment_id, clearEnabled=False)
    g = await guest()
    answer = await g.request(
        "onMessage",
        message={"type": "Event", "events": [{"eventType": "Presence", "presence": {"type": "Clear"}}]},
    )
    assert answer["code"] == 403 and answer["body"] == "Presence events Conversation Clear are not supported"


async def test_error_codes(emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient) -> None:
    g = await guest(configure=False)
    assert (await g.say("before configure"))["code"] == 4007
    assert (await g.request("noSuchAction"))["code"] == 400
    await g.ws.send(json.dumps({"action": "getJwt", "tracingId": "t-no-token"}))
    missing = await g.wait_for(lambda f: f.get("tracingId") == "t-no-token")
    assert missing["code"] == 4020
    assert (await g.configure(deployment_id="00000000-0000-4000-8000-000000000000"))[
        "body"
    ] == "Deployment not found"
    await g.configure()
    assert (await g.say("x" * 4001))["code"] == 4011
    await g.ws.send("not json")
    garbled = await g.wait_for(
        lambda f: f.get("class") == "string" and f.get("code") == 400 and "tracingId" not in f
    )
    assert garbled["body"] == "Request failed."
    control.patch_messaging_deployment(emu.messaging_deployment_id, userTyping=False)
    typing = await g.request(
        "onMessage", message={"type": "Event", "events": [{"eventType": "Typing", "typing": {"type": "On"}}]}
    )
    assert typing["code"] == 403


async def test_guest_typing_is_accepted_silently_and_recorded(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    g = await guest()
    await g.send(
        "onMessage", message={"type": "Event", "events": [{"eventType": "Typing", "typing": {"type": "On"}}]}
    )
    sid = control.messaging_session_for(g.token)["id"]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while not [r for r in control.messaging_record(sid) if r["action"] == "onMessage"]:
        assert loop.time() < deadline
        await asyncio.sleep(0.02)
    entry = [r for r in control.messaging_record(sid) if r["action"] == "onMessage"][0]
    assert entry["code"] == 200 and entry["request"]["message"]["events"][0]["eventType"] == "Typing"
    assert "token" not in entry["request"]


async def test_unknown_deployment_and_origin_refused_on_the_upgrade(
    emu: EmbeddedEmulator, guest: GuestFactory
) -> None:
    with pytest.raises(websockets.InvalidStatus) as unknown:
        await WsGuest.open(emu, "00000000-0000-4000-8000-000000000000")
    assert unknown.value.response.status_code == 403
    restricted = emu.messaging_restricted_deployment_id
    for origin in (None, "https://evil.example"):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await WsGuest.open(emu, restricted, origin=origin)
        assert refused.value.response.status_code == 403
    g = await guest(restricted, origin=emu.messaging_allowed_origin)
    assert (await g.say("allowed"))["class"] == "StructuredMessage"


async def test_reset_closes_messaging_sockets_and_forgets_sessions(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    g = await guest()
    control.reset()
    await asyncio.wait_for(g.closed.wait(), 15)
    assert control.messaging_sessions() == []


async def test_old_sessions_are_forgotten_beyond_the_cap(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webchat_tui.emulator.messaging import store

    monkeypatch.setattr(store, "MAX_RETIRED_SESSIONS", 2)
    g = await guest()
    first = control.messaging_session_for(g.token)["id"]
    for _ in range(4):
        assert (await g.configure(start_new=True))["body"]["newSession"] is True
    states = [s["state"] for s in control.messaging_sessions(token=g.token)]
    assert states == ["replaced", "replaced", "active"]
    assert first not in {s["id"] for s in control.messaging_sessions()}


async def test_get_configuration_resume_token_and_disconnect_customer(
    emu: EmbeddedEmulator, guest: GuestFactory
) -> None:
    g = await guest()
    config = await g.request("getConfiguration", deploymentId=emu.messaging_deployment_id)
    assert config["class"] == "GetConfigurationResponse" and config["type"] == "response"
    assert config["body"]["maxCustomDataBytes"] == 2048 and config["body"]["messageRoutingEnabled"] is True
    resume = await g.request("resumeToken")
    assert resume["class"] == "ResumeTokenResponse" and resume["body"]["resumeToken"]
    done = await g.request("disconnectCustomer")
    assert done["code"] == 200
    await g.wait_for(is_presence("Disconnect"))
    assert (await g.say("after the guest left"))["code"] == 409


@pytest.mark.parametrize(
    "request_fields",
    [
        {"action": "onMessage", "message": {"type": "Text", "text": 5}},
        {"action": "onMessage", "message": {"type": "Text", "content": ["x"]}},
        {
            "action": "onMessage",
            "message": {"type": "Text", "content": [{"contentType": "Card", "card": {}}]},
        },
        {
            "action": "onMessage",
            "message": {"type": "Event", "events": [{"eventType": "Presence", "presence": 3}]},
        },
        {"action": "onMessage", "message": {"type": "Event", "events": "Typing"}},
        {"action": "onMessage", "message": "hello"},
        {
            "action": "onMessage",
            "message": {"type": "Text", "text": "x"},
            "channel": {"metadata": {"customAttributes": {"a": 1}}},
        },
        {"action": "onAttachment", "fileName": "a.txt", "fileType": "text/plain", "fileSize": "ten"},
        {"action": "getAttachment", "attachmentId": {"id": 1}},
        {"action": "closeSession"},
        {"action": "echo"},
        {"action": "configureSession", "deploymentId": 42},
        {"action": "configureAuthenticatedSession", "deploymentId": "x", "data": "code"},
    ],
)
async def test_malformed_requests_get_an_error_frame_and_the_socket_stays(
    emu: EmbeddedEmulator, guest: GuestFactory, request_fields: dict
) -> None:  # type: ignore[type-arg]
    g = await guest()
    fields = dict(request_fields)
    answer = await g.request(fields.pop("action"), **fields)
    assert answer["class"] == "string" and 400 <= answer["code"] < 5000, answer
    assert (await g.request("echo", message={"type": "Text", "text": "ping"}))["class"] == "StructuredMessage"


async def test_message_metadata_that_is_not_a_map_is_ignored(
    emu: EmbeddedEmulator, guest: GuestFactory
) -> None:
    g = await guest()
    echo = await g.request(
        "onMessage", message={"type": "Text", "text": "x", "metadata": ["not", "a", "map"]}
    )
    assert echo["class"] == "StructuredMessage" and set(echo["body"]["metadata"]) == {"correlationId"}
