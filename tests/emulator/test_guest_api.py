"""Guest operations over real HTTP: success paths, documented errors, JWT scoping, wire conventions."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.emulator.helpers import GUEST, Guest, assert_error, connected_guest, create_body, is_member, is_msg

ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def no_nulls(value: Any) -> bool:
    """No JSON null anywhere in value."""
    if value is None:
        return False
    if isinstance(value, dict):
        return all(no_nulls(v) for v in value.values())
    if isinstance(value, list):
        return all(no_nulls(v) for v in value)
    return True


async def test_create_returns_jwt_stream_uri_and_member(emu, http) -> None:
    response = await http.post(
        GUEST,
        json=create_body(
            emu,
            memberInfo={
                "displayName": "Jane",
                "firstName": "Jane",
                "lastName": "Doe",
                "email": "j@example.com",
                "customFields": {"orderId": "42"},
            },
        ),
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "jwt", "eventStreamUri", "member"}
    assert body["eventStreamUri"] == f"ws://127.0.0.1:{emu.port}/v1/token/{body['jwt']}"
    member = body["member"]
    assert member["role"] == "CUSTOMER" and member["state"] == "CONNECTED" and member["displayName"] == "Jane"
    assert member["customFields"] == {"orderId": "42"} and member["authenticatedGuest"] is False
    assert ISO_MS_Z.match(member["joinDate"]) and "leaveDate" not in member
    assert no_nulls(body)
    assert response.headers["inin-correlation-id"]


async def test_uris_follow_the_request_host(emu, http) -> None:
    headers = {"Host": "localhost:9999"}  # e.g. a port-forward; other names need --public-host
    response = await http.post(GUEST, json=create_body(emu), headers=headers)
    body = response.json()
    assert body["eventStreamUri"].startswith("ws://localhost:9999/v1/token/")
    members = await http.get(
        f"{GUEST}/{body['id']}/members", headers={**headers, "Authorization": f"Bearer {body['jwt']}"}
    )
    assert members.json()["selfUri"].startswith("http://localhost:9999/api/v2/webchat/guest/")


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        (lambda b: b.pop("routingTarget"), 400, "chat.error.notnull.createconversationrequest.routingtarget"),
        (
            lambda b: b.update(routingTarget={"targetType": "SKILL", "targetAddress": "Support"}),
            400,
            "chat.error.createconversationrequest.routingtarget",
        ),
        (
            lambda b: b.update(memberInfo={}),
            400,
            "chat.error.notnull.createconversationrequest.memberinfo.displayname",
        ),
        (
            lambda b: b.update(memberInfo={"displayName": "  "}),
            400,
            "chat.error.notnull.createconversationrequest.memberinfo.displayname",
        ),
        (
            lambda b: b.update(deploymentId="not-a-uuid"),
            400,
            "chat.error.pattern.createconversationrequest.deploymentid",
        ),
        (lambda b: b.update(deploymentId="00000000-0000-4000-8000-000000000000"), 404, "not.found"),
        (lambda b: b.update(organizationId="someone-else"), 400, "chat.error.bad.request"),
        (
            lambda b: b.update(routingTarget={"targetType": "QUEUE", "targetAddress": "Nowhere"}),
            400,
            "chat.error.invalid.queue",
        ),
        (
            lambda b: b.update(journeyContext={"customer": {"id": "c1"}}),
            400,
            "chat.error.notnull.createconversationrequest.journeycontext.customer.customeridtype",
        ),
        (
            lambda b: b.update(journeyContext={}),
            400,
            "chat.error.notnull.createconversationrequest.journeycontext.customer",
        ),
        (lambda b: b["memberInfo"].update(email=5), 400, "invalid.value"),
        (lambda b: b.update(organizationId=5), 400, "invalid.value"),
        (lambda b: b["routingTarget"].update(skills="English"), 400, "invalid.value"),
        (lambda b: b["routingTarget"].update(priority="high"), 400, "invalid.value"),
        (lambda b: b["routingTarget"].update(priority=True), 400, "invalid.value"),
        (lambda b: b["routingTarget"].update(language=["en"]), 400, "invalid.value"),
        (
            lambda b: b.update(journeyContext={"customer": {"id": 5, "idType": "cookie"}}),
            400,
            "invalid.value",
        ),
        (
            lambda b: b.update(
                journeyContext={
                    "customer": {"id": "c", "idType": "cookie"},
                    "triggeringAction": {"id": "a", "actionMap": {"id": "m", "version": "3"}},
                }
            ),
            400,
            "invalid.value",
        ),
        (
            lambda b: b.update(
                journeyContext={
                    "customer": {"id": "c", "idType": "cookie"},
                    "triggeringAction": {"id": "a", "actionMap": {"id": "m"}},
                }
            ),
            400,
            "chat.error.notnull.createconversationrequest.journeycontext.triggeringaction.actionmapversion",
        ),
    ],
)
async def test_create_validation_errors(emu, http, mutate, status, code) -> None:
    body = create_body(emu)
    mutate(body)
    assert_error(await http.post(GUEST, json=body), status, code)


async def test_create_deployment_rules(emu, http) -> None:
    disabled = create_body(emu, deploymentId=emu.seed.disabled_deployment_id)
    assert_error(await http.post(GUEST, json=disabled), 400, "chat.deployment.disabled")
    auth = create_body(emu, deploymentId=emu.seed.auth_deployment_id)
    assert_error(await http.post(GUEST, json=auth), 400, "chat.deployment.require.auth")
    assert_error(
        await http.post(GUEST, json={**auth, "memberAuthToken": "forged"}), 400, "chat.deployment.bad.auth"
    )
    ok = await http.post(GUEST, json={**auth, "memberAuthToken": emu.seed.member_auth_token})
    assert ok.status_code == 200 and ok.json()["member"]["authenticatedGuest"] is True


async def test_create_accepts_lowercase_target_type_and_full_journey(emu, http) -> None:
    body = create_body(
        emu,
        routingTarget={
            "targetType": "queue",
            "targetAddress": "Sales",
            "skills": ["English"],
            "language": "English",
            "priority": 2,
        },
        journeyContext={
            "customer": {"id": "cookie-1", "idType": "cookie"},
            "customerSession": {"id": "s-1", "type": "web"},
            "triggeringAction": {"id": "a-1", "actionMap": {"id": "am-1", "version": 3}},
        },
    )
    assert (await http.post(GUEST, json=body)).status_code == 200


async def test_malformed_bodies_are_vendor_400_never_422(emu, http) -> None:
    assert_error(
        await http.post(GUEST, content=b"{not json", headers={"Content-Type": "application/json"}),
        400,
        "bad.request",
    )
    assert_error(await http.post(GUEST, json=[1, 2]), 400, "chat.error.bad.request")
    assert_error(await http.post(GUEST), 400, "bad.request")


async def test_hostile_bodies_get_vendor_errors_and_keep_the_connection(emu, http) -> None:
    """Deeply nested JSON, NaN, a non-JSON content type and an oversized body are clear 4xx errors (never a
    500 that also drops the keep-alive connection)."""
    json_type = {"Content-Type": "application/json"}
    deep = b"[" * 100_000 + b"]" * 100_000
    assert_error(await http.post(GUEST, content=deep, headers=json_type), 400, "bad.request")
    nan = b'{"organizationId": NaN}'
    assert_error(await http.post(GUEST, content=nan, headers=json_type), 400, "bad.request")
    as_text = json.dumps(create_body(emu)).encode()
    assert_error(
        await http.post(GUEST, content=as_text, headers={"Content-Type": "text/plain"}),
        415,
        "unsupported.media.type",
    )
    assert_error(
        await http.post(GUEST, data={"organizationId": emu.seed.organization_id}),
        415,
        "unsupported.media.type",
    )
    charset = {"Content-Type": "application/json; charset=utf-8"}
    assert (await http.post(GUEST, content=as_text, headers=charset)).status_code == 200
    assert (await http.post(GUEST, content=as_text, headers={"Content-Type": ""})).status_code == 415
    huge = create_body(emu, memberInfo={"displayName": "x" * 1_100_000})
    body = assert_error(await http.post(GUEST, json=huge), 413, "request.entity.too.large")
    assert body["message"].endswith("Maximum bytes: 1000000")
    assert (await http.post(GUEST, json=create_body(emu))).status_code == 200


async def test_unknown_paths_and_methods_use_vendor_shape(http) -> None:
    assert_error(await http.get("/api/v2/webchat/nothing"), 404, "not.found")
    assert_error(await http.get(GUEST + "/"), 404, "not.found")  # no slash redirects
    not_allowed = await http.put(GUEST)
    assert_error(not_allowed, 405, "method.not.allowed")
    assert not_allowed.headers["allow"] == "POST"


async def test_message_before_socket_is_not_active(emu, http, control) -> None:
    guest = await Guest.create(emu, http, connect=False)
    body = assert_error(await guest.send("too early"), 400, "chat.error.conversation.state")
    assert body["messageParams"] == {"message": "The conversation is not active"}
    assert_error(await guest.typing(), 400, "chat.error.conversation.state")
    assert control.conversations()[0]["state"] == "pending_socket"


async def test_messages_typing_and_echo(emu, http, control) -> None:
    control.set_config(autoAgent=False)
    guest = await Guest.create(emu, http)
    await guest.wait_frame(lambda f: is_member(f, guest.mid, "CONNECTED"))
    response = await guest.send("hello <b>there</b>")
    assert response.status_code == 200
    msg = response.json()
    assert msg["body"] == "hello <b>there</b>" and msg["bodyType"] == "standard"
    assert msg["sender"]["id"] == guest.mid and msg["conversation"]["id"] == guest.cid
    assert ISO_MS_Z.match(msg["timestamp"])
    assert msg["selfUri"].endswith(f"/messages/{msg['id']}")
    echo = await guest.wait_frame(lambda f: is_msg(f) and f["eventBody"]["id"] == msg["id"])
    assert echo["eventBody"]["body"] == "hello <b>there</b>"
    notice = await guest.send("system-ish", body_type="NOTICE")
    assert notice.json()["bodyType"] == "notice"
    for content, headers in (
        (None, {}),
        (b"null", {"Content-Type": "application/json"}),
        (b"{}", {"Content-Type": "application/json"}),
    ):
        typing = await http.post(
            f"{GUEST}/{guest.cid}/members/{guest.mid}/typing",
            content=content,
            headers={**guest.auth, **headers},
        )
        assert typing.status_code == 200, typing.text
        assert set(typing.json()) == {"id", "conversation", "sender", "timestamp"}
    await guest.wait_for(
        lambda frames: (
            len([f for f in frames if f.get("metadata", {}).get("type") == "typing-indicator"]) == 3
        )
    )
    kinds = [e["kind"] for e in control.record(guest.cid)]
    assert kinds.count("typing") == 3 and kinds.count("message") == 2
    await guest.close()


async def test_message_validation(emu, http, control) -> None:
    control.set_config(autoAgent=False)
    guest = await Guest.create(emu, http)
    url = f"{GUEST}/{guest.cid}/members/{guest.mid}/messages"
    assert_error(
        await http.post(url, json={}, headers=guest.auth),
        400,
        "chat.error.notnull.createconversationmessagerequest.body",
    )
    assert_error(
        await http.post(url, json={"body": None}, headers=guest.auth),
        400,
        "chat.error.notnull.createconversationmessagerequest.body",
    )
    assert_error(await guest.send("x" * 4001), 400, "constraint.validation")
    assert (await guest.send("x" * 4000)).status_code == 200
    assert_error(await guest.send(""), 400, "constraint.validation")
    assert_error(await http.post(url, json={"body": 12}, headers=guest.auth), 400, "invalid.value")
    assert_error(await guest.send("hi", body_type="member-join"), 400, "invalid.value")
    await guest.close()


async def test_jwt_scoping_and_auth_errors(emu, http, control) -> None:
    first = await Guest.create(emu, http, connect=False)
    second = await Guest.create(emu, http, connect=False)
    # a JWT for one conversation gets nothing from another
    for call in (
        http.get(f"{GUEST}/{second.cid}/members", headers=first.auth),
        http.get(f"{GUEST}/{second.cid}/messages", headers=first.auth),
        http.get(f"{GUEST}/{second.cid}/members/{second.mid}", headers=first.auth),
        http.post(
            f"{GUEST}/{second.cid}/members/{second.mid}/messages", json={"body": "x"}, headers=first.auth
        ),
        http.delete(f"{GUEST}/{second.cid}/members/{second.mid}", headers=first.auth),
        http.get(f"{GUEST}/{second.cid}/mediarequests", headers=first.auth),
    ):
        assert_error(await call, 403, "not.authorized")
    assert_error(await http.get(f"{GUEST}/{first.cid}/members"), 401, "authentication.required")
    assert_error(
        await http.get(f"{GUEST}/{first.cid}/members", headers={"Authorization": "Bearer junk"}),
        401,
        "bad.credentials",
    )
    for empty in ("Bearer", "bearer"):
        assert_error(
            await http.get(f"{GUEST}/{first.cid}/members", headers={"Authorization": empty}),
            401,
            "authentication.required",
        )
    bare = await http.get(f"{GUEST}/{first.cid}/members", headers={"Authorization": first.jwt})
    assert bare.status_code == 200
    control.set_config(requireBearer=True)
    assert_error(
        await http.get(f"{GUEST}/{first.cid}/members", headers={"Authorization": first.jwt}),
        401,
        "authentication.required",
    )
    assert (await http.get(f"{GUEST}/{first.cid}/members", headers=first.auth)).status_code == 200


async def test_guest_may_only_act_as_itself(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    agent = next(m for m in control.conversation(guest.cid)["members"] if m["role"] == "AGENT")
    as_agent = await http.post(
        f"{GUEST}/{guest.cid}/members/{agent['id']}/messages", json={"body": "x"}, headers=guest.auth
    )
    assert_error(as_agent, 403, "not.authorized")
    assert_error(
        await http.delete(f"{GUEST}/{guest.cid}/members/{agent['id']}", headers=guest.auth),
        403,
        "not.authorized",
    )
    missing = "00000000-0000-4000-8000-000000000000"
    assert_error(await guest.get(f"/members/{missing}"), 404, "chat.error.not.found")
    assert_error(await guest.get(f"/messages/{missing}"), 404, "chat.error.not.found")
    assert_error(await guest.get(f"/mediarequests/{missing}"), 404, "chat.error.not.found")
    await guest.close()


async def test_members_pagination(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    control.transfer(guest.cid)  # members: guest, ACD (gone), agent 1 (gone), agent 2
    page1 = (await guest.get("/members", pageSize="+3")).json()  # a sign is fine, as for Java's parseInt
    assert (
        page1["total"] == 4
        and page1["pageCount"] == 2
        and page1["pageNumber"] == 1
        and page1["pageSize"] == 3
    )
    assert len(page1["entities"]) == 3 and "previousUri" not in page1
    assert page1["nextUri"].endswith("/members?pageSize=3&pageNumber=2")
    assert page1["firstUri"].endswith("pageNumber=1") and page1["lastUri"].endswith("pageNumber=2")
    page2 = (await http.get(page1["nextUri"], headers=guest.auth)).json()
    assert (
        len(page2["entities"]) == 1
        and "nextUri" not in page2
        and page2["previousUri"].endswith("pageNumber=1")
    )
    beyond = (await guest.get("/members", pageSize=3, pageNumber=5)).json()
    assert beyond["entities"] == [] and beyond["total"] == 4
    active = (await guest.get("/members", excludeDisconnectedMembers="true")).json()
    assert active["total"] == 2 and all(m["state"] != "DISCONNECTED" for m in active["entities"])
    assert "excludeDisconnectedMembers=true" in active["selfUri"]
    gone = [m for m in page1["entities"] + page2["entities"] if m["state"] == "DISCONNECTED"]
    assert gone and all(ISO_MS_Z.match(m["leaveDate"]) for m in gone)
    assert_error(await guest.get("/members", pageSize=0), 400, "invalid.query.param.value")
    for bad in ("abc", "1_0", " 5", "2.0", "\u0665"):  # int() would take three of these
        assert_error(await guest.get("/members", pageSize=bad), 400, "invalid.query.param.value")
    assert_error(
        await guest.get("/members", excludeDisconnectedMembers="maybe"), 400, "invalid.query.param.value"
    )
    await guest.close()


async def test_messages_pagination(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    ids = control.agent_messages(guest.cid, body="m", count=250)
    everything = [e["id"] for e in control.record(guest.cid) if e["kind"] == "message"]
    assert len(everything) == 251  # member-join + 250
    first = (await guest.get("/messages")).json()
    assert first["pageSize"] == 100 and [m["id"] for m in first["entities"]] == everything[:100]
    assert "previousPage" not in first and f"after={everything[99]}" in first["next"]
    second = (await http.get(first["next"], headers=guest.auth)).json()
    assert [m["id"] for m in second["entities"]] == everything[100:200]
    assert f"before={everything[100]}" in second["previousPage"]
    newest = (await guest.get("/messages", sortOrder="descending", maxResults=10)).json()
    assert [m["id"] for m in newest["entities"]] == ids[::-1][:10]
    assert "previousPage" not in newest and f"before={ids[-10]}" in newest["next"]
    older = (await http.get(newest["next"], headers=guest.auth)).json()
    assert [m["id"] for m in older["entities"]] == ids[::-1][10:20]
    last = (await guest.get("/messages", after=everything[-3])).json()
    assert [m["id"] for m in last["entities"]] == everything[-2:] and "next" not in last
    window = (await guest.get("/messages", after=everything[0], before=everything[4])).json()
    assert [m["id"] for m in window["entities"]] == everything[1:4]
    back = (await guest.get("/messages", before=everything[50], maxResults=5)).json()
    assert [m["id"] for m in back["entities"]] == everything[45:50]
    assert_error(await guest.get("/messages", maxResults=101), 400, "invalid.query.param.value")
    assert_error(await guest.get("/messages", sortOrder="sideways"), 400, "invalid.query.param.value")
    assert_error(await guest.get("/messages", after="unknown-id"), 400, "invalid.query.param.value")
    one = (await guest.get(f"/messages/{ids[0]}")).json()
    assert one["body"] == "m #1" and one["sender"]["role"] == "AGENT"
    await guest.close()


async def test_delete_member_and_states_after_end(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    response = await guest.leave()
    assert response.status_code == 204 and response.content == b""
    await guest.wait_frame(lambda f: is_member(f, guest.mid, "DISCONNECTED"))
    assert control.conversation(guest.cid)["state"] == "ended"
    assert all(m["state"] == "DISCONNECTED" for m in control.conversation(guest.cid)["members"])
    assert_error(await guest.leave(), 400, "chat.error.member.state")
    assert_error(await guest.send("still there?"), 400, "chat.error.conversation.state")
    assert_error(await guest.typing(), 400, "chat.error.conversation.state")
    assert (await guest.get("/messages")).status_code == 200  # reads keep working
    await guest.close()


async def test_cors_preflight_and_exposed_headers(emu, http) -> None:
    preflight = await http.options(
        GUEST,
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://shop.example")
    created = await http.post(GUEST, json=create_body(emu), headers={"Origin": "https://shop.example"})
    assert created.headers["access-control-allow-origin"] in ("*", "https://shop.example")
    assert "inin-correlation-id" in created.headers["access-control-expose-headers"]


async def test_lone_surrogates_are_refused_and_cannot_poison_a_chat(emu, http, control) -> None:
    """`"\\ud800"` is valid JSON but not encodable text: stored, it broke every later response and frame of
    the chat. It is a 400 (guest and control API); a proper surrogate pair (an emoji) is fine."""
    guest = await connected_guest(emu, http, control)
    json_auth = {**guest.auth, "Content-Type": "application/json"}
    url = f"{GUEST}/{guest.cid}/members/{guest.mid}/messages"
    for lone in (b'{"body": "\\ud800"}', b'{"body": "x\\uDFFFy"}'):
        assert_error(await http.post(url, content=lone, headers=json_auth), 400, "bad.request")
    agent = control.request(
        "POST",
        f"/conversations/{guest.cid}/agent/messages",
        content=b'{"body": "\\ud83d"}',
        headers={"Content-Type": "application/json"},
    )
    assert agent.status_code == 400
    body = assert_error(
        await http.post(GUEST, content=b'{"memberInfo": {"displayName": "\\udfff"}}', headers=json_auth),
        400,
        "bad.request",
    )
    assert body["message"]
    pair = await http.post(url, content=b'{"body": "\\ud83d\\ude00 ok"}', headers=json_auth)
    assert pair.status_code == 200 and pair.json()["body"] == "\U0001f600 ok"
    await guest.wait_frame(lambda f: is_msg(f) and f["eventBody"]["id"] == pair.json()["id"])
    listed = await guest.get("/messages")
    assert listed.status_code == 200 and listed.json()["entities"][-1]["body"] == "\U0001f600 ok"
    await guest.close()
