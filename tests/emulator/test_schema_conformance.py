"""Every JSON body the emulator returns (success and error, all 19 operations) validates against the vendor
swagger `definitions` (refs resolved), in a strict copy where objects may not carry undeclared properties.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

import httpx
import jsonschema
import pytest

from tests.emulator.helpers import GUEST, Guest, create_body, is_member, is_msg
from webchat_tui.emulator import spec
from webchat_tui.emulator.errors import codes_for_operation
from webchat_tui.emulator.faults import operation_for

DEPLOYMENTS = "/api/v2/webchat/deployments"
SETTINGS = "/api/v2/webchat/settings"


def strict_definitions() -> dict[str, Any]:
    definitions = copy.deepcopy(spec.definitions())
    for schema in definitions.values():
        if schema.get("type") == "object" and "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
    return definitions


DEFINITIONS = strict_definitions()
# Admin operations carry no code lists in the fragment; these are the 2018 platform swagger's
# (protocol.md §5.4)
# plus the later generic rate-limit code.
ADMIN_CODES = {
    "bad.request": 400,
    "invalid.value": 400,
    "invalid.date": 400,
    "authentication.required": 401,
    "bad.credentials": 401,
    "credentials.expired": 401,
    "missing.permissions": 403,
    "not.authorized": 403,
    "missing.any.permissions": 403,
    "not.found": 404,
    "resource.not.found": 404,
    "maximum.deployments.exceeded": 409,
    "too.many.requests": 429,
    "too.many.requests.retry.after": 429,
    "internal.server.error": 500,
    "service.unavailable": 503,
}


def validator_for(ref: str) -> jsonschema.protocols.Validator:
    schema = {"definitions": DEFINITIONS, "$ref": ref}
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def response_schema(operation_id: str, status: int) -> str | None:
    """The `$ref` the swagger declares for this operation and status (None: no body expected)."""
    _method, _path, op = spec.operations()[operation_id]
    response = op["responses"].get(str(status))
    if response is None:
        return "#/definitions/ErrorBody" if status >= 400 else None
    schema = response.get("schema")
    return schema["$ref"] if schema else None


class Recorder:
    """Collects every emulator response to the 19 operations."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, Any]] = []

    async def hook(self, response: httpx.Response) -> None:
        op = operation_for(response.request.method, response.request.url.path)
        if op is None:
            return
        await response.aread()
        body = response.json() if response.content else None
        self.seen.append((op, response.status_code, body))


@pytest.fixture
async def recorded(emu) -> tuple[Recorder, httpx.AsyncClient]:
    recorder = Recorder()
    async with httpx.AsyncClient(base_url=emu.base_url, event_hooks={"response": [recorder.hook]}) as http:
        yield recorder, http


async def exercise(emu, http: httpx.AsyncClient, control) -> None:
    """Success and error calls for every operation."""
    # admin
    auth = {"grant_type": "client_credentials"}
    admin_token = await http.post(
        "/oauth/token", data=auth, auth=(emu.seed.client_id, emu.seed.client_secret)
    )
    admin = {"Authorization": f"Bearer {admin_token.json()['access_token']}"}
    ro_token = await http.post(
        "/oauth/token", data=auth, auth=(emu.seed.readonly_client_id, emu.seed.readonly_client_secret)
    )
    readonly = {"Authorization": f"Bearer {ro_token.json()['access_token']}"}
    await http.get(DEPLOYMENTS, headers=admin)
    await http.get(DEPLOYMENTS)
    dep = (
        await http.post(
            DEPLOYMENTS,
            headers=admin,
            json={
                "name": "schema",
                "description": "d",
                "authenticationRequired": True,
                "authenticationUrl": "https://a.example",
                "allowedDomains": ["a.example"],
                "webChatConfig": {"webChatSkin": "basic"},
                "flow": {"id": "f1", "name": "Flow"},
            },
        )
    ).json()
    await http.post(DEPLOYMENTS, headers=readonly, json={"name": "nope"})
    await http.get(f"{DEPLOYMENTS}/{dep['id']}", headers=admin)
    await http.get(f"{DEPLOYMENTS}/missing", headers=admin)
    await http.put(f"{DEPLOYMENTS}/{dep['id']}", headers=admin, json={"name": "schema2"})
    await http.put(f"{DEPLOYMENTS}/{dep['id']}", headers=admin, json={"name": 5})
    await http.delete(f"{DEPLOYMENTS}/{dep['id']}", headers=admin)
    await http.delete(f"{DEPLOYMENTS}/{dep['id']}", headers=admin)
    for i in range(8):
        await http.post(DEPLOYMENTS, headers=admin, json={"name": f"fill{i}"})  # the 8th is a 409
    await http.get(SETTINGS, headers=admin)
    await http.get(SETTINGS, headers={"Authorization": "Bearer junk"})
    await http.put(SETTINGS, headers=admin, json={"requireDeployment": True})
    await http.put(SETTINGS, headers=readonly, json={"requireDeployment": True})
    await http.delete(SETTINGS, headers=admin)
    await http.delete(SETTINGS, headers=admin)
    # guest
    await http.post(GUEST, json=create_body(emu, queue="Nowhere"))
    await http.post(GUEST, content=b"{", headers={"Content-Type": "application/json"})
    await http.post(GUEST, content=b"{}", headers={"Content-Type": "text/plain"})
    await http.post(GUEST, json=create_body(emu, memberInfo={"displayName": "x" * 1_100_000}))
    early = await Guest.create(
        emu,
        http,
        connect=False,
        memberInfo={
            "displayName": "Full",
            "firstName": "F",
            "lastName": "L",
            "email": "f@example.com",
            "phoneNumber": "+1555",
            "avatarImageUrl": "https://example.com/a.png",
            "customFields": {"k": "v"},
        },
    )
    await early.send("too early")
    await early.typing()
    control.set_config(autoAgent=False)
    guest = await Guest.create(emu, http)
    await guest.wait_frame(lambda f: is_member(f, guest.mid, "CONNECTED"))
    control.connect(guest.cid)
    await guest.wait_frame(lambda f: is_msg(f, "member-join"))
    sent = (await guest.send("hello")).json()
    await guest.send("")
    await guest.typing()
    await guest.get("/members", pageSize=1)
    await guest.get("/members", pageSize=1000)
    agent = next(m for m in control.conversation(guest.cid)["members"] if m["role"] == "AGENT")
    await guest.get(f"/members/{agent['id']}")
    await guest.get("/members/nobody")
    await guest.get("/messages", maxResults=1)
    await guest.get("/messages", sortOrder="descending")
    await guest.get("/messages", sortOrder="up")
    await guest.get(f"/messages/{sent['id']}")
    await guest.get("/messages/nothing")
    mr = control.media_request(guest.cid, ["COBROWSE", "SCREENSHARE"])
    await guest.get("/mediarequests")
    await http.get(f"{GUEST}/{guest.cid}/mediarequests")
    await guest.get(f"/mediarequests/{mr['id']}")
    await guest.get("/mediarequests/nothing")
    url = f"{GUEST}/{guest.cid}/mediarequests/{mr['id']}"
    await http.patch(url, json={"state": "ACCEPTED"}, headers=guest.auth)
    await http.patch(url, json={"state": "DECLINED"}, headers=guest.auth)
    await http.delete(f"{GUEST}/{guest.cid}/members/{agent['id']}", headers=guest.auth)
    await guest.leave()
    await guest.leave()
    control.set_faults({"http": [{"operation": "*", "status": 429, "retryAfter": 2, "times": 1}]})
    await guest.get("/members")
    await guest.close()


async def test_every_body_matches_the_vendor_schema(emu, control, recorded) -> None:
    recorder, http = recorded
    await exercise(emu, http, control)
    outcomes: dict[str, set[str]] = defaultdict(set)
    failures = []
    for op, status, body in recorder.seen:
        ref = response_schema(op, status)
        outcomes[op].add("ok" if status < 400 else "error")
        if ref is None:
            assert body is None, f"{op} {status} should have no body"
            continue
        assert body is not None, f"{op} {status} returned no JSON"
        if status >= 400:
            documented = codes_for_operation(op) or ADMIN_CODES
            if documented.get(body["code"]) != status:
                failures.append(f"{op} {status}: code {body['code']} is not documented for this status")
        errors = list(validator_for(ref).iter_errors(body))
        if errors:
            failures.append(f"{op} {status} vs {ref}: {errors[0].message} at {list(errors[0].absolute_path)}")
    assert not failures, "\n".join(failures)
    assert set(outcomes) == set(spec.operations()), set(spec.operations()) - set(outcomes)
    missing = {op: {"ok", "error"} - seen for op, seen in outcomes.items() if seen != {"ok", "error"}}
    assert not missing, missing


def test_strict_schemas_reject_undeclared_and_null_fields() -> None:
    """The checker itself can fail: an unknown field, a null enum and a wrong type are all caught."""
    validator = validator_for("#/definitions/WebChatMemberInfo")
    assert not list(validator.iter_errors({"id": "m", "role": "AGENT", "state": "CONNECTED"}))
    assert list(validator.iter_errors({"id": "m", "role": "AGENT", "colour": "red"}))
    assert list(validator.iter_errors({"id": "m", "role": "AGENT", "state": None}))
    assert list(validator.iter_errors({"id": "m"}))
