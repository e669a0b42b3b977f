"""Web Messaging REST on the real emulator: deployment config.json (§10.1), history paging with the getJwt
bearer (§9), and the authenticated deployment (§3.2, §10.2). Every JSON body is validated against schema.json.
"""

from __future__ import annotations

import httpx
import pytest

from tests.emulator_messaging.conftest import CheckedHttp, GuestFactory
from tests.emulator_messaging.helpers import is_class
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient

HISTORY = "/api/v2/webmessaging/messages"
EXCHANGE = "/api/v2/webdeployments/token/oauthcodegrantjwtexchange"


@pytest.fixture(autouse=True)
def quiet(control: ControlClient) -> None:
    """The agent side is driven through the control API."""
    control.set_config(autoAgent=False)


async def test_config_json_of_every_seeded_deployment(emu: EmbeddedEmulator, rest: CheckedHttp) -> None:
    ids = [
        emu.messaging_deployment_id,
        emu.messaging_direct_deployment_id,
        emu.messaging_restricted_deployment_id,
        emu.messaging_auth_deployment_id,
    ]
    for dep_id in ids:
        config = await rest.get_json(
            f"/webdeployments/v1/deployments/{dep_id}/config.json", "DeploymentConfig"
        )
        assert config["id"] == dep_id and config["apiEndpoint"] == emu.base_url
        assert config["messenger"]["apps"]["conversations"]["messagingEndpoint"] == emu.ws_url
    auth = await rest.get_json(f"/webdeployments/v1/deployments/{ids[3]}/config.json", "DeploymentConfig")
    assert auth["auth"]["enabled"] is True
    missing = await rest.get("/webdeployments/v1/deployments/nope/config.json")
    assert missing.status_code == 404


async def test_history_pages_newest_first_each_message_once(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient, rest: CheckedHttp
) -> None:
    g = await guest()
    await g.say("guest first")
    sid = control.messaging_session_for(g.token)["id"]
    sent = control.messaging_agent(sid, "messages", {"text": "agent", "count": 59})["ids"]
    await g.wait_for(lambda f: f.get("body", {}).get("id") == sent[-1])
    auth = {"Authorization": f"bearer {await g.jwt()}"}  # Kotlin's lower-case scheme
    seen: list[str] = []
    for number in (1, 2, 3):
        page = await rest.get_json(
            f"{HISTORY}?pageSize=25&pageNumber={number}", "WebMessagingMessageEntityList", headers=auth
        )
        assert page["total"] == 60 and page["pageCount"] == 3 and page["pageNumber"] == number
        seen.extend(e["id"] for e in page["entities"])
    transcript = [m["id"] for m in control.messaging_messages(sid)]
    assert seen == list(reversed(transcript))
    past = await rest.get_json(
        f"{HISTORY}?pageSize=25&pageNumber=4", "WebMessagingMessageEntityList", headers=auth
    )
    assert past["entities"] == [] and past["total"] == 60
    default = await rest.get_json(HISTORY, "WebMessagingMessageEntityList", headers=auth)
    assert default["pageSize"] == 25 and len(default["entities"]) == 25
    assert (await rest.get(f"{HISTORY}?pageSize=101", headers=auth)).status_code == 400
    assert (await rest.get(HISTORY)).status_code == 401
    assert (await rest.get(HISTORY, headers={"Authorization": "Bearer not-a-jwt"})).status_code == 401


async def test_empty_history(emu: EmbeddedEmulator, guest: GuestFactory, rest: CheckedHttp) -> None:
    g = await guest()
    auth = {"Authorization": f"Bearer {await g.jwt()}"}
    page = await rest.get_json(HISTORY, "WebMessagingMessageEntityList", headers=auth)
    assert page == {"entities": [], "pageSize": 25, "pageNumber": 1, "total": 0, "pageCount": 0}


async def test_authenticated_deployment(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    dep = emu.messaging_auth_deployment_id
    g = await guest(dep, configure=False)
    refused = await g.configure()
    assert refused["class"] == "string" and refused["code"] == 403
    wrong = await g.request("configureAuthenticatedSession", deploymentId=dep, data={"code": "wrong"})
    assert wrong["code"] == 401
    ok = await g.request(
        "configureAuthenticatedSession", deploymentId=dep, data={"code": emu.messaging_auth_code}
    )
    assert ok["class"] == "SessionResponse" and ok["body"]["connected"] is True
    echo = await g.say("signed in")
    assert echo["body"]["metadata"]["authenticated"] == "true"
    assert control.messaging_session_for(g.token)["authenticated"] is True
    downgrade = await g.configure()
    assert downgrade["code"] == 4017


async def test_code_exchange_jwt_signs_in_and_revoke_logs_out(
    emu: EmbeddedEmulator, guest: GuestFactory, rest: CheckedHttp
) -> None:
    dep = emu.messaging_auth_deployment_id
    async with httpx.AsyncClient(base_url=emu.base_url, timeout=30) as http:
        bad = await http.post(
            EXCHANGE, json={"deploymentId": dep, "oauth": {"code": "nope", "redirectUri": "x"}}
        )
        assert bad.status_code == 401
        good = await http.post(
            EXCHANGE,
            json={"deploymentId": dep, "oauth": {"code": emu.messaging_auth_code, "redirectUri": "x"}},
        )
        assert good.status_code == 200
        tokens = good.json()
        refreshed = await http.post(
            "/api/v2/webdeployments/token/refresh", json={"refreshToken": tokens["refreshToken"]}
        )
        assert refreshed.status_code == 200 and refreshed.json()["jwt"]
        g = await guest(dep, configure=False)
        ok = await g.request("configureAuthenticatedSession", deploymentId=dep, data={"code": tokens["jwt"]})
        assert ok["class"] == "SessionResponse"
        revoked = await http.delete(
            "/api/v2/webdeployments/token/revoke", headers={"Authorization": f"bearer {tokens['jwt']}"}
        )
        assert revoked.status_code == 204
        await g.wait_for(is_class("LogoutEvent"))


async def test_step_up_from_guest_to_authenticated(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    dep = emu.messaging_auth_deployment_id
    control.patch_messaging_deployment(dep, authRequired=False)
    g = await guest(dep)
    other = await guest(dep, token=g.token)
    control.patch_messaging_deployment(dep, authRequired=True)
    up = await g.request(
        "configureAuthenticatedSession", deploymentId=dep, data={"code": emu.messaging_auth_code}
    )
    assert up["class"] == "SessionResponse" and up["body"]["newSession"] is False
    closed = await other.wait_for(is_class("ConnectionClosedEvent"))
    assert closed["body"] == {"reason": "signedIn"}
    sign_in = await g.wait_for(
        lambda f: (
            f.get("class") == "StructuredMessage"
            and any(e.get("presence", {}).get("type") == "SignIn" for e in f["body"].get("events", []))
        )
    )
    assert sign_in["body"]["direction"] == "Inbound"
