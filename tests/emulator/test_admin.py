"""Admin operations (deployments, settings) with OAuth client-credentials tokens and permission checks."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.emulator.helpers import GUEST, assert_error, create_body

DEPLOYMENTS = "/api/v2/webchat/deployments"
SETTINGS = "/api/v2/webchat/settings"


async def token(http: httpx.AsyncClient, client_id: str, secret: str) -> dict[str, str]:
    response = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    return {"Authorization": f"Bearer {body['access_token']}"}


@pytest.fixture
async def admin(emu, http) -> dict[str, str]:
    return await token(http, emu.seed.client_id, emu.seed.client_secret)


@pytest.fixture
async def readonly(emu, http) -> dict[str, str]:
    return await token(http, emu.seed.readonly_client_id, emu.seed.readonly_client_secret)


async def test_oauth_token_errors(emu, http) -> None:
    wrong = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(emu.seed.client_id, "wrong")
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    grant = await http.post(
        "/oauth/token", data={"grant_type": "password"}, auth=(emu.seed.client_id, emu.seed.client_secret)
    )
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    form = await http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": emu.seed.client_id,
            "client_secret": emu.seed.client_secret,
        },
    )
    assert form.status_code == 200 and form.json()["access_token"]


async def test_deployments_crud(emu, http, admin) -> None:
    listing = (await http.get(DEPLOYMENTS, headers=admin)).json()
    assert listing["total"] == 3 and set(listing) == {"total", "entities", "selfUri"}
    seeded = {d["id"]: d for d in listing["entities"]}
    assert seeded[emu.seed.disabled_deployment_id]["disabled"] is True
    assert seeded[emu.seed.auth_deployment_id]["authenticationRequired"] is True
    body = {
        "name": "Docs site",
        "description": "help centre",
        "allowedDomains": ["docs.example.com"],
        "webChatConfig": {"webChatSkin": "basic"},
        "flow": {"id": "flow-1", "name": "Inbound"},
        "id": "ignored",
        "selfUri": "ignored",
    }
    created = await http.post(DEPLOYMENTS, json=body, headers=admin)
    assert created.status_code == 200
    dep = created.json()
    assert dep["id"] != "ignored" and dep["selfUri"].endswith(f"{DEPLOYMENTS}/{dep['id']}")
    assert (
        dep["authenticationRequired"] is False and dep["disabled"] is False and dep["flow"]["id"] == "flow-1"
    )
    assert (await http.get(f"{DEPLOYMENTS}/{dep['id']}", headers=admin)).json() == dep
    updated = await http.put(
        f"{DEPLOYMENTS}/{dep['id']}", json={**dep, "name": "Docs", "disabled": True}, headers=admin
    )
    assert (
        updated.status_code == 200 and updated.json()["name"] == "Docs" and updated.json()["disabled"] is True
    )
    deleted = await http.delete(f"{DEPLOYMENTS}/{dep['id']}", headers=admin)
    assert deleted.status_code == 204 and deleted.content == b""
    for call in (
        http.get(f"{DEPLOYMENTS}/{dep['id']}", headers=admin),
        http.put(f"{DEPLOYMENTS}/{dep['id']}", json={"name": "x"}, headers=admin),
        http.delete(f"{DEPLOYMENTS}/{dep['id']}", headers=admin),
    ):
        assert_error(await call, 404, "resource.not.found")


async def test_deployment_validation(http, admin) -> None:
    assert_error(
        await http.post(DEPLOYMENTS, json={"description": "no name"}, headers=admin), 400, "bad.request"
    )
    assert_error(
        await http.post(DEPLOYMENTS, json={"name": "x", "disabled": "yes"}, headers=admin),
        400,
        "invalid.value",
    )
    assert_error(
        await http.post(
            DEPLOYMENTS, json={"name": "x", "webChatConfig": {"webChatSkin": "neon"}}, headers=admin
        ),
        400,
        "invalid.value",
    )
    assert_error(await http.post(DEPLOYMENTS, content=b"nope", headers=admin), 400, "bad.request")


async def test_at_most_ten_deployments(http, admin) -> None:
    for i in range(7):
        assert (await http.post(DEPLOYMENTS, json={"name": f"d{i}"}, headers=admin)).status_code == 200
    body = assert_error(
        await http.post(DEPLOYMENTS, json={"name": "eleventh"}, headers=admin),
        409,
        "maximum.deployments.exceeded",
    )
    assert "10" in body["message"]
    assert (await http.get(DEPLOYMENTS, headers=admin)).json()["total"] == 10


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("POST", DEPLOYMENTS, "webchat:deployment:create"),
        ("PUT", f"{DEPLOYMENTS}/ID", "webchat:deployment:update"),
        ("DELETE", f"{DEPLOYMENTS}/ID", "webchat:deployment:delete"),
        ("PUT", SETTINGS, "webchat:deployment:update"),
        ("DELETE", SETTINGS, "webchat:deployment:delete"),
    ],
)
async def test_permissions(emu, http, readonly, method, path, permission) -> None:
    path = path.replace("ID", emu.seed.deployment_id)
    kwargs = {"json": {"name": "x", "requireDeployment": False}} if method in ("POST", "PUT") else {}
    denied = await http.request(method, path, headers=readonly, **kwargs)
    body = assert_error(denied, 403, "missing.permissions")
    assert permission in body["message"]
    assert_error(await http.request(method, path, **kwargs), 401, "authentication.required")
    assert_error(
        await http.request(method, path, headers={"Authorization": "Bearer forged"}, **kwargs),
        401,
        "bad.credentials",
    )


async def test_readonly_can_read(emu, http, readonly) -> None:
    assert (await http.get(DEPLOYMENTS, headers=readonly)).status_code == 200
    assert (await http.get(f"{DEPLOYMENTS}/{emu.seed.deployment_id}", headers=readonly)).status_code == 200
    assert (await http.get(SETTINGS, headers=readonly)).json() == {"requireDeployment": True}
    guest_jwt = (await http.post(GUEST, json=create_body(emu))).json()["jwt"]
    assert_error(
        await http.get(DEPLOYMENTS, headers={"Authorization": f"Bearer {guest_jwt}"}), 401, "bad.credentials"
    )


async def test_settings_and_require_deployment(emu, http, admin) -> None:
    unknown = create_body(emu, deploymentId=str(uuid.UUID(int=7, version=4)))
    assert_error(await http.post(GUEST, json=unknown), 404, "not.found")
    put = await http.put(SETTINGS, json={"requireDeployment": False}, headers=admin)
    assert put.status_code == 200 and put.json() == {"requireDeployment": False}
    assert (await http.post(GUEST, json=unknown)).status_code == 200
    assert_error(
        await http.put(SETTINGS, json={"requireDeployment": "no"}, headers=admin), 400, "invalid.value"
    )
    assert (await http.put(SETTINGS, json={"requireDeployment": True}, headers=admin)).status_code == 200
    assert_error(await http.post(GUEST, json=unknown), 404, "not.found")
    assert (await http.delete(SETTINGS, headers=admin)).status_code == 204
    assert (await http.get(SETTINGS, headers=admin)).json() == {"requireDeployment": False}
    assert_error(await http.delete(SETTINGS, headers=admin), 404, "resource.not.found")


async def test_deployment_changes_apply_to_new_chats(emu, http, admin) -> None:
    dep = (
        await http.post(DEPLOYMENTS, json={"name": "shop", "allowedDomains": ["shop.example"]}, headers=admin)
    ).json()
    body = create_body(emu, deploymentId=dep["id"])
    assert (await http.post(GUEST, json=body, headers={"Origin": "https://shop.example"})).status_code == 200
    assert_error(
        await http.post(GUEST, json=body, headers={"Origin": "https://evil.example"}),
        403,
        "origin.not.allowed",
    )
    for odd in ("http://[", "null", "https://evil.example:99999"):  # unparsable or foreign: 403, never 500
        assert_error(await http.post(GUEST, json=body, headers={"Origin": odd}), 403, "origin.not.allowed")
    await http.put(
        f"{DEPLOYMENTS}/{dep['id']}",
        json={"name": "shop", "allowedDomains": ["http://[broken", "*.example.org"]},
        headers=admin,
    )
    assert (await http.post(GUEST, json=body, headers={"Origin": "https://a.example.org"})).status_code == 200
    assert_error(await http.post(GUEST, json=body, headers={"Origin": "null"}), 403, "origin.not.allowed")
    await http.put(f"{DEPLOYMENTS}/{dep['id']}", json={"name": "shop", "disabled": True}, headers=admin)
    assert_error(await http.post(GUEST, json=body), 400, "chat.deployment.disabled")


async def test_deployment_flow_runs_a_workflow_member_before_the_queue(emu, http, admin, control) -> None:
    from tests.emulator.helpers import Guest, is_member

    control.set_config(autoAgent=False)
    dep = (
        await http.post(
            DEPLOYMENTS, json={"name": "with flow", "flow": {"id": "f-1", "name": "Triage"}}, headers=admin
        )
    ).json()
    guest = await Guest.create(emu, http, deploymentId=dep["id"])
    await guest.wait_for(lambda frames: len(guest.member_changes()) == 4)
    members = {m["role"]: m for m in control.conversation(guest.cid)["members"]}
    workflow, acd = members["WORKFLOW"], members["ACD"]
    assert workflow["displayName"] == "Triage" and workflow["state"] == "DISCONNECTED"
    assert guest.member_changes() == [
        (guest.mid, "CONNECTED"),
        (workflow["id"], "CONNECTED"),
        (workflow["id"], "DISCONNECTED"),
        (acd["id"], "CONNECTED"),
    ]
    assert is_member(guest.frames[0], guest.mid, "CONNECTED")
    await guest.close()
