"""Media requests (co-browse / screen share): notification, list/get, guest PATCH transitions, agent-side
TIMEDOUT / CANCELLED, illegal transitions and the keyword-triggered request of the demo agent.
"""

from __future__ import annotations

import pytest

from tests.emulator.helpers import Guest, assert_error, connected_guest, is_msg


@pytest.mark.parametrize("answer", ["ACCEPTED", "DECLINED", "ERRORED"])
async def test_guest_answers_a_pending_request(emu, http, control, answer) -> None:
    guest = await connected_guest(emu, http, control)
    mr = control.media_request(guest.cid, ["SCREENSHARE"])
    assert mr["state"] == "PENDING" and mr["types"] == ["SCREENSHARE"] and mr["securityKey"]
    assert "communicationId" not in mr
    note = await guest.wait_frame(lambda f: is_msg(f, "media-request"))
    assert note["eventBody"]["body"] == mr["id"]
    agent_id = note["eventBody"]["sender"]["id"]
    assert (await guest.get(f"/members/{agent_id}")).json()["role"] == "AGENT"
    listed = (await guest.get("/mediarequests")).json()
    assert [r["id"] for r in listed["entities"]] == [mr["id"]]
    got = (await guest.get(f"/mediarequests/{mr['id']}")).json()
    assert got["state"] == "PENDING" and got["selfUri"].endswith(f"/mediarequests/{mr['id']}")
    url = f"/api/v2/webchat/guest/conversations/{guest.cid}/mediarequests/{mr['id']}"
    patched = await http.patch(url, json={"state": answer}, headers=guest.auth)
    assert patched.status_code == 200, patched.text
    assert patched.json()["state"] == answer
    assert ("communicationId" in patched.json()) == (answer == "ACCEPTED")
    # terminal or not, going back to PENDING / answering again is illegal
    again = await http.patch(url, json={"state": "DECLINED"}, headers=guest.auth)
    assert_error(again, 400, "bad.request")
    record = [e for e in control.record(guest.cid) if e["kind"].startswith("media-request")]
    assert record[0] == {
        "kind": "media-request",
        "id": mr["id"],
        "types": ["SCREENSHARE"],
        "state": "PENDING",
    }
    assert record[1]["state"] == answer and record[1]["fromState"] == "PENDING" and record[1]["ok"] is True
    assert record[2]["ok"] is False
    await guest.close()


async def test_accepted_request_may_error_later(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    mr = control.media_request(guest.cid, ["COBROWSE", "SCREENSHARE"])
    url = f"/api/v2/webchat/guest/conversations/{guest.cid}/mediarequests/{mr['id']}"
    assert (await http.patch(url, json={"state": "ACCEPTED"}, headers=guest.auth)).status_code == 200
    errored = await http.patch(
        url, json={"state": "ERRORED", "types": ["COBROWSE", "SCREENSHARE"]}, headers=guest.auth
    )
    assert errored.status_code == 200 and errored.json()["state"] == "ERRORED"
    await guest.close()


async def test_patch_validation(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    mr = control.media_request(guest.cid, ["COBROWSE"])
    url = f"/api/v2/webchat/guest/conversations/{guest.cid}/mediarequests/{mr['id']}"
    assert_error(await http.patch(url, json={"state": "CANCELLED"}, headers=guest.auth), 400, "invalid.value")
    assert_error(await http.patch(url, json={"state": "PENDING"}, headers=guest.auth), 400, "invalid.value")
    assert_error(await http.patch(url, json={}, headers=guest.auth), 400, "constraint.validation")
    assert_error(await http.patch(url, json=["x"], headers=guest.auth), 400, "bad.request")
    missing = url.rsplit("/", 1)[0] + "/00000000-0000-4000-8000-000000000000"
    assert_error(
        await http.patch(missing, json={"state": "ACCEPTED"}, headers=guest.auth), 404, "chat.error.not.found"
    )
    control.end(guest.cid)
    assert_error(
        await http.patch(url, json={"state": "ACCEPTED"}, headers=guest.auth),
        400,
        "chat.error.conversation.state",
    )
    await guest.close()


async def test_pending_request_times_out(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    control.set_config(mediaRequestTimeout=2.0)  # 2 s x 0.02 = 40 ms
    mr = control.media_request(guest.cid, ["SCREENSHARE"])
    await guest.wait_for(lambda frames: len([f for f in frames if is_msg(f, "media-request")]) == 2)
    notes = guest.messages("media-request")
    assert [n["body"] for n in notes] == [mr["id"], mr["id"]]
    assert (await guest.get(f"/mediarequests/{mr['id']}")).json()["state"] == "TIMEDOUT"
    url = f"/api/v2/webchat/guest/conversations/{guest.cid}/mediarequests/{mr['id']}"
    assert_error(await http.patch(url, json={"state": "ACCEPTED"}, headers=guest.auth), 400, "bad.request")
    await guest.close()


async def test_agent_cancels_a_pending_request(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    mr = control.media_request(guest.cid, ["COBROWSE"])
    cancelled = control.cancel_media_request(guest.cid, mr["id"])
    assert cancelled["state"] == "CANCELLED"
    await guest.wait_for(lambda frames: len([f for f in frames if is_msg(f, "media-request")]) == 2)
    assert (await guest.get(f"/mediarequests/{mr['id']}")).json()["state"] == "CANCELLED"
    again = control.request("POST", f"/conversations/{guest.cid}/agent/mediarequests/{mr['id']}/cancel")
    assert again.status_code == 400
    bad_types = control.request(
        "POST", f"/conversations/{guest.cid}/agent/mediarequests", json={"types": ["VIDEO"]}
    )
    assert bad_types.status_code == 400
    await guest.close()


@pytest.mark.parametrize(
    ("text", "kind"), [("Could you screen share?", "SCREENSHARE"), ("let's co-browse", "COBROWSE")]
)
async def test_demo_agent_sends_request_on_keyword(emu, http, control, text, kind) -> None:
    guest = await Guest.create(emu, http)
    await guest.wait_frame(lambda f: is_msg(f, "standard"))  # greeting
    await guest.send(text)
    note = await guest.wait_frame(lambda f: is_msg(f, "media-request"))
    got = (await guest.get(f"/mediarequests/{note['eventBody']['body']}")).json()
    assert got["types"] == [kind] and got["state"] == "PENDING"
    await guest.close()


async def test_nothing_changes_a_media_request_after_the_chat_ended(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    mr = control.media_request(guest.cid, ["COBROWSE"])
    control.end(guest.cid)
    before = control.record(guest.cid)
    cancel = control.request("POST", f"/conversations/{guest.cid}/agent/mediarequests/{mr['id']}/cancel")
    assert cancel.status_code == 400 and cancel.json()["code"] == "chat.error.conversation.state"
    assert control.record(guest.cid) == before  # no media-request message after the end
    assert (await guest.get(f"/mediarequests/{mr['id']}")).json()["state"] == "PENDING"
    await guest.close()
