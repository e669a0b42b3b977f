"""The control API under `/emulator/v1`: reset, info, config, conversations, record and agent bursts."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from tests.emulator.helpers import GUEST, Guest, connected_guest, create_body, is_member, is_msg


async def test_info_matches_seed_and_reset_clears(emu, http, control) -> None:
    info = control.info()
    assert info["organization_id"] == emu.seed.organization_id
    assert info["deployment_id"] == emu.seed.deployment_id
    assert info["queues"] == ["Support", "Sales", "Billing", "Night Shift"]
    assert info["base_url"] == emu.base_url and info["member_auth_token"] == emu.seed.member_auth_token
    await Guest.create(emu, http, connect=False)
    assert len(control.conversations()) == 1
    control.reset()
    assert control.conversations() == []
    assert control.request("GET", "/conversations/nope/record").status_code == 404


def test_seed_fixes_ids_but_never_secrets() -> None:
    from webchat_tui.emulator.config import make_seed

    one, two = make_seed(99), make_seed(99)
    for name in ("organization_id", "deployment_id", "disabled_deployment_id", "auth_deployment_id"):
        assert getattr(one, name) == getattr(two, name)
    assert (one.client_id, one.readonly_client_id) == (two.client_id, two.readonly_client_id)
    assert make_seed(99).deployment_id != make_seed(100).deployment_id
    for name in ("client_secret", "readonly_client_secret", "signing_secret", "member_auth_token"):
        assert getattr(one, name) != getattr(two, name), name


async def test_config_roundtrip_and_validation(control) -> None:
    current = control.set_config(timeScale=0.5, autoAgent=False)
    assert current["timeScale"] == 0.5 and current["autoAgent"] is False
    assert control.request("GET", "/config").json() == current
    for bad in ({"timeScale": 0}, {"timeScale": "fast"}, {"autoAgent": 1}, {"nope": 1}):
        assert control.request("PUT", "/config", json=bad).status_code == 400


async def test_agent_commands_need_a_connected_agent(emu, http, control) -> None:
    control.set_config(autoAgent=False)
    guest = await Guest.create(emu, http, connect=False)
    for path, body in (
        ("agent/messages", {"body": "x"}),
        ("agent/typing", None),
        ("agent/mediarequests", {"types": ["COBROWSE"]}),
        ("agent/transfer", {}),
        ("agent/connect", None),
    ):
        response = control.request("POST", f"/conversations/{guest.cid}/{path}", json=body)
        assert response.status_code == 400, path
        assert response.json()["message"]
    assert (
        control.request("POST", "/conversations/unknown/agent/messages", json={"body": "x"}).status_code
        == 404
    )


async def test_bodies_list_and_record_kinds(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    ids = control.agent_messages(guest.cid, bodies=["one", "two"])
    control.agent_typing(guest.cid)
    await guest.send("three")
    await guest.typing()
    control.media_request(guest.cid, ["COBROWSE"])
    await guest.wait_frame(lambda f: is_msg(f, "media-request"))
    record = control.record(guest.cid)
    kinds = {e["kind"] for e in record}
    assert kinds == {"member-change", "message", "typing", "media-request"}
    bodies = [e["body"] for e in record if e["kind"] == "message" and e["bodyType"] == "standard"]
    assert bodies == ["one", "two", "three"]
    assert [e["id"] for e in record if e["kind"] == "message"][1:3] == ids
    typing = [e for e in record if e["kind"] == "typing"]
    assert len(typing) == 2 and typing[1]["senderId"] == guest.mid
    await guest.close()


async def test_burst_of_ten_thousand_arrives_complete_and_in_order(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    ids = control.agent_messages(guest.cid, body="burst", count=10_000)
    assert len(ids) == len(set(ids)) == 10_000
    await guest.wait_for(lambda frames: len(guest.messages("standard")) == 10_000, timeout=30)
    received = guest.messages("standard")
    assert [m["id"] for m in received] == ids
    assert received[0]["body"] == "burst #1" and received[-1]["body"] == "burst #10000"
    assert not any(f.get("metadata", {}).get("type") == "typing-indicator" for f in guest.frames)
    await guest.close()


async def test_create_is_not_recorded_as_http(emu, http, control) -> None:
    created = (await http.post(GUEST, json=create_body(emu))).json()
    assert control.record(created["id"]) == []


async def test_reset_closes_open_sockets(emu, http, control) -> None:
    """After a reset the conversation is gone, so its socket is closed (1001) instead of heartbeating forever,
    and reconnecting is refused with 404."""
    guest = await Guest.create(emu, http)
    await guest.wait_frame(lambda f: is_member(f, guest.mid, "CONNECTED"))
    control.reset()
    await asyncio.wait_for(guest.closed.wait(), 10)
    assert guest.close_code == 1001
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(guest.created["eventStreamUri"])
    assert refused.value.response.status_code == 404


async def test_reset_leaves_no_agent_timer_or_socket_task_behind(emu, http, control) -> None:
    """Routing, idle and media-request timers and every socket's sender/heartbeat/receiver tasks end on
    reset (polled on the server loop, generous timeout)."""
    guest = await Guest.create(emu, http)  # auto agent: routing, greeting, idle timer
    queued = await Guest.create(emu, http, queue="Night Shift")
    await guest.wait_frame(lambda f: is_msg(f, "standard"))
    await guest.send("could you screen share?")  # a reply task, then a media request timer
    await guest.wait_frame(lambda f: is_msg(f, "media-request"))

    def emulator_tasks() -> list[str]:
        names = emu.call(lambda: [t.get_coro().__qualname__ for t in asyncio.all_tasks() if not t.done()])
        return [n for n in names if n.startswith(("Director.", "Connection.", "_receive"))]

    assert any(n.startswith("Director.") for n in emulator_tasks())
    control.reset()
    control.wait_for(lambda: not emulator_tasks())
    await asyncio.wait_for(queued.closed.wait(), 10)
    await guest.close()


async def test_transfer_to_the_connected_agent_is_refused(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    agent = next(m for m in control.conversation(guest.cid)["members"] if m["role"] == "AGENT")
    refused = control.request(
        "POST", f"/conversations/{guest.cid}/agent/transfer", json={"toAgent": agent["displayName"]}
    )
    assert refused.status_code == 400 and "already" in refused.json()["message"]
    assert [m["id"] for m in control.conversation(guest.cid)["members"] if m["role"] == "AGENT"] == [
        agent["id"]
    ]
    await guest.close()


async def test_switching_the_auto_agent_on_routes_waiting_chats(emu, http, control) -> None:
    """autoAgent off: a chat waits in the queue; switching it on routes and greets it (Night Shift stays
    unstaffed)."""
    control.set_config(autoAgent=False)
    guest = await Guest.create(emu, http)
    night = await Guest.create(emu, http, queue="Night Shift")
    for chat in (guest, night):
        await chat.wait_frame(lambda f, c=chat: is_member(f, c.mid, "CONNECTED"))
    assert control.conversation(guest.cid)["state"] == "queued"
    control.set_config(autoAgent=True)
    await guest.wait_frame(lambda f: is_msg(f, "standard"))  # the greeting
    assert control.conversation(guest.cid)["state"] == "active"
    assert control.conversation(night.cid)["state"] == "queued"
    for chat in (guest, night):
        await chat.close()
