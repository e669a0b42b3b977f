"""Edges found by fuzzing the vendor swagger (issue 8, item 19): a 405 lists every method of its path in
`Allow`, and a media-request PATCH checks every field of its body, not only `state`.
"""

from __future__ import annotations

import pytest

from tests.emulator.helpers import GUEST, Guest, assert_error, connected_guest

MEMBER = GUEST + "/{cid}/members/{mid}"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", MEMBER, "DELETE, GET"),
        ("PATCH", MEMBER, "DELETE, GET"),
        ("PUT", GUEST, "POST"),
        ("DELETE", GUEST + "/{cid}/messages", "GET"),
        ("POST", GUEST + "/{cid}/mediarequests/x", "GET, PATCH"),
        ("GET", MEMBER + "/messages", "POST"),
        ("DELETE", "/api/v2/webchat/deployments/x", None),  # DELETE exists there: not a 405
        ("POST", "/api/v2/webchat/deployments/x", "DELETE, GET, PUT"),
        ("POST", "/api/v2/webchat/settings", "DELETE, GET, PUT"),
    ],
)
async def test_405_allow_lists_every_method_of_the_path(emu, http, method, path, allow) -> None:
    guest = await Guest.create(emu, http, connect=False)
    url = path.format(cid=guest.cid, mid=guest.mid)
    response = await http.request(method, url, headers=guest.auth)
    if allow is None:
        assert response.status_code != 405
        return
    assert_error(response, 405, "method.not.allowed")
    assert response.headers["allow"] == allow


@pytest.mark.parametrize(
    "body",
    [
        {"state": "ACCEPTED", "types": "SCREENSHARE"},
        {"state": "ACCEPTED", "types": ["VIDEO"]},
        {"state": "ACCEPTED", "types": [5]},
        {"state": "ACCEPTED", "securityKey": 5},
        {"state": "ACCEPTED", "communicationId": False},
        {"state": "ACCEPTED", "id": {"x": 1}},
        {"state": "ACCEPTED", "name": []},
        {"state": "ACCEPTED", "selfUri": 1.5},
    ],
)
async def test_media_request_patch_checks_every_field(emu, http, control, body) -> None:
    guest = await connected_guest(emu, http, control)
    mr = control.media_request(guest.cid, ["SCREENSHARE"])
    url = f"{GUEST}/{guest.cid}/mediarequests/{mr['id']}"
    error = assert_error(await http.patch(url, json=body, headers=guest.auth), 400, "invalid.value")
    assert error["messageParams"]["field"] in body
    assert (await guest.get(f"/mediarequests/{mr['id']}")).json()["state"] == "PENDING"  # nothing changed
    fine = {**mr, "state": "ACCEPTED"}  # the whole object as read, with the new state: accepted
    accepted = await http.patch(url, json=fine, headers=guest.auth)
    assert accepted.status_code == 200 and accepted.json()["state"] == "ACCEPTED"
    await guest.close()
