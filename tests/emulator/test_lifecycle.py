"""The simulated contact centre over a real websocket: routing, greeting, replies, transfer, end,
idle timeout, heartbeats and ping/pong. Runs at time scale 0.02 (agent delays of tens of milliseconds).
"""

from __future__ import annotations

import json

import pytest

from tests.emulator.helpers import Guest, connected_guest, is_member, is_msg


def kind(frame: dict) -> str:
    return frame.get("metadata", {}).get("type") or frame["eventBody"].get("message", "")


async def test_full_auto_agent_lifecycle(emu, http, control) -> None:
    guest = await Guest.create(emu, http, queue="Support")
    greeting = await guest.wait_frame(lambda f: is_msg(f, "standard"))
    conv = control.conversation(guest.cid)
    members = {m["role"]: m for m in conv["members"]}
    acd, agent = members["ACD"], members["AGENT"]
    assert agent["displayName"] in ("Alex Rivera", "Sam Chen", "Priya Patel")
    assert greeting["eventBody"]["sender"]["id"] == agent["id"]
    assert agent["displayName"].split()[0] in greeting["eventBody"]["body"]
    # order on the wire: guest CONNECTED, ACD CONNECTED, agent ALERTING, agent CONNECTED, ACD DISCONNECTED,
    # member-join, typing, greeting
    sequence = []
    for f in guest.frames:
        if is_member(f):
            sequence.append(("member", f["eventBody"]["member"]["id"], f["eventBody"]["member"]["state"]))
        elif kind(f) == "typing-indicator":
            sequence.append(("typing", f["eventBody"]["sender"]["id"]))
        elif is_msg(f):
            sequence.append(("message", f["eventBody"]["sender"]["id"], f["eventBody"]["bodyType"]))
    assert sequence == [
        ("member", guest.mid, "CONNECTED"),
        ("member", acd["id"], "CONNECTED"),
        ("member", agent["id"], "ALERTING"),
        ("member", agent["id"], "CONNECTED"),
        ("member", acd["id"], "DISCONNECTED"),
        ("message", agent["id"], "member-join"),
        ("typing", agent["id"]),
        ("message", agent["id"], "standard"),
    ]
    frame = guest.frames[0]
    assert frame["topicName"] == f"v2.conversations.chats.{guest.cid}.members" and frame["version"] == "2"
    assert set(frame["metadata"]) == {"CorrelationId", "type"}
    assert set(frame["eventBody"]) == {"conversation", "member", "timestamp"}

    # a reply comes after typing
    sent = (await guest.send("Where is my order?")).json()
    reply = await guest.wait_frame(
        lambda f: (
            is_msg(f, "standard", agent["id"])
            and f is not greeting
            and f["eventBody"]["id"] != greeting["eventBody"]["id"]
        )
    )
    assert "Where is my order?" in reply["eventBody"]["body"]
    index_sent = next(i for i, f in enumerate(guest.frames) if f.get("eventBody", {}).get("id") == sent["id"])
    index_reply = guest.frames.index(reply)
    assert any(
        kind(f) == "typing-indicator" and f["eventBody"]["sender"]["id"] == agent["id"]
        for f in guest.frames[index_sent:index_reply]
    )

    # "bye": goodbye, member-leave, agent DISCONNECTED, guest DISCONNECTED
    await guest.send("ok, bye!")
    await guest.wait_frame(lambda f: is_member(f, guest.mid, "DISCONNECTED"))
    tail = [
        (kind(f), f["eventBody"].get("bodyType"), f["eventBody"].get("member", {}).get("id"))
        for f in guest.frames[-4:]
    ]
    assert tail[0][0] == "message" and "Goodbye" in guest.frames[-4]["eventBody"]["body"]
    assert tail[1:] == [
        ("message", "member-leave", None),
        ("member-change", None, agent["id"]),
        ("member-change", None, guest.mid),
    ]
    assert control.conversation(guest.cid)["state"] == "ended"
    await guest.close()


async def test_keyword_transfer_brings_another_agent(emu, http, control) -> None:
    guest = await Guest.create(emu, http, queue="Sales")
    await guest.wait_frame(lambda f: is_msg(f, "standard"))
    first = next(m for m in control.conversation(guest.cid)["members"] if m["role"] == "AGENT")
    await guest.send("Can you transfer me please?")
    await guest.wait_frame(lambda f: is_member(f, first["id"], "DISCONNECTED"))
    second_join = await guest.wait_frame(
        lambda f: is_msg(f, "member-join") and f["eventBody"]["sender"]["id"] != first["id"]
    )
    second_id = second_join["eventBody"]["sender"]["id"]
    states = [s for mid, s in guest.member_changes() if mid == second_id]
    assert states == ["ALERTING", "CONNECTED"]
    assert (guest.mid, "DISCONNECTED") not in guest.member_changes()
    assert control.conversation(guest.cid)["state"] == "active"
    names = [m["displayName"] for m in control.conversation(guest.cid)["members"] if m["role"] == "AGENT"]
    assert len(set(names)) == 2
    await guest.close()


async def test_control_transfer_end_and_manual_connect(emu, http, control) -> None:
    control.set_config(autoAgent=False)
    guest = await Guest.create(emu, http, queue="Billing")
    await guest.wait_frame(lambda f: is_member(f, guest.mid, "CONNECTED"))
    await guest.wait_for(lambda frames: len(guest.member_changes()) == 2)  # guest + ACD, nothing else
    assert control.conversation(guest.cid)["state"] == "queued"
    control.connect(guest.cid)
    join = await guest.wait_frame(lambda f: is_msg(f, "member-join"))
    agent_id = join["eventBody"]["sender"]["id"]
    assert [s for m, s in guest.member_changes() if m == agent_id] == ["ALERTING", "CONNECTED"]
    control.agent_typing(guest.cid)
    await guest.wait_frame(lambda f: kind(f) == "typing-indicator")
    control.transfer(guest.cid, to_agent="Dana Okafor")
    second = await guest.wait_frame(
        lambda f: is_msg(f, "member-join") and f["eventBody"]["sender"]["id"] != agent_id
    )
    second_id = second["eventBody"]["sender"]["id"]
    member = (await guest.get(f"/members/{second_id}")).json()
    assert member["displayName"] == "Dana Okafor" and member["role"] == "AGENT"
    assert not guest.messages("standard")  # no greeting with the auto agent off
    control.end(guest.cid)
    await guest.wait_frame(lambda f: is_member(f, guest.mid, "DISCONNECTED"))
    assert [m for m, s in guest.member_changes() if s == "DISCONNECTED"][-2:] == [second_id, guest.mid]
    record_kinds = [e["kind"] for e in control.record(guest.cid)]
    assert record_kinds.count("member-change") == len(guest.member_changes())
    await guest.close()


async def test_night_shift_stays_queued(emu, http, control) -> None:
    """Never staffed: the chat stays with the ACD member, and the idle timer (1 ms here) does not run while
    no agent is connected."""
    control.set_config(timeScale=0.001, idleTimeout=1.0)
    guest = await Guest.create(emu, http, queue="Night Shift")
    await guest.wait_frame(
        lambda f: is_member(f, state="CONNECTED") and f["eventBody"]["member"]["id"] != guest.mid
    )
    await guest.send("anyone there?")  # queued chats accept guest messages
    # the routing delay at this scale is 1.5 ms; a heartbeat round proves time has passed without an agent
    control.set_config(heartbeatInterval=0.05)
    await guest.wait_frame(lambda f: f.get("eventBody", {}).get("message") == "WebSocket Heartbeat")
    conv = control.conversation(guest.cid)
    assert conv["state"] == "queued" and {m["role"] for m in conv["members"]} == {"CUSTOMER", "ACD"}
    await guest.close()


async def test_idle_timeout_ends_a_connected_chat(emu, http, control) -> None:
    control.set_config(autoAgent=False, idleTimeout=5.0)  # 5 s x 0.02 = 100 ms
    guest = await Guest.create(emu, http)
    await guest.wait_frame(lambda f: is_member(f, guest.mid, "CONNECTED"))
    control.connect(guest.cid)
    await guest.wait_frame(lambda f: is_member(f, guest.mid, "DISCONNECTED"))
    notice = guest.messages("notice")
    assert notice and "inactivity" in notice[0]["body"]
    assert control.conversation(guest.cid)["state"] == "ended"
    await guest.close()


async def test_heartbeat_and_ping_pong(emu, http, control) -> None:
    control.set_config(autoAgent=False, heartbeatInterval=0.05)
    guest = await Guest.create(emu, http)
    assert guest.ws.response.headers.get("Sec-WebSocket-Extensions") is None  # permessage-deflate is off
    heartbeat = await guest.wait_frame(lambda f: f.get("topicName") == "channel.metadata")
    assert heartbeat == {"topicName": "channel.metadata", "eventBody": {"message": "WebSocket Heartbeat"}}
    await guest.ws.send(json.dumps({"message": "ping"}))
    pong = await guest.wait_frame(lambda f: f.get("eventBody", {}).get("message") == "pong")
    assert pong == {"topicName": "channel.metadata", "eventBody": {"message": "pong"}}
    await guest.ws.send("not json at all")  # ignored, the socket stays up
    await guest.ws.send(json.dumps({"message": "ping"}))
    await guest.wait_for(
        lambda frames: sum(f.get("eventBody", {}).get("message") == "pong" for f in frames) == 2
    )
    await guest.close()


async def test_socket_with_bad_token_is_refused_without_a_server_error(emu, http) -> None:
    """A refused handshake is an ErrorBody 401, and the server logs no error for it (uvicorn's sansio
    websocket implementation would report a denied handshake as an incomplete one)."""
    import logging

    import websockets

    errors: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = errors.append  # type: ignore[method-assign]
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addHandler(handler)
    try:
        guest = await Guest.create(emu, http, connect=False)
        bad = guest.created["eventStreamUri"].rsplit("/", 1)[0] + "/not-a-jwt"
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(bad)
        assert refused.value.response.status_code == 401
        assert json.loads(refused.value.response.body)["code"] == "bad.credentials"
        await guest.connect()  # a later good handshake on the same server: the refusal is fully handled
        await guest.wait_frame(lambda f: is_member(f, guest.mid, "CONNECTED"))
        await guest.close()
    finally:
        uvicorn_log.removeHandler(handler)
    assert [r.getMessage() for r in errors] == []


async def test_reconnect_keeps_the_conversation(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    await guest.close()
    guest.frames.clear()
    await guest.connect()
    [message_id] = control.agent_messages(guest.cid, body="are you back?")
    frame = await guest.wait_frame(lambda f: is_msg(f, "standard"))
    assert frame["eventBody"]["id"] == message_id
    assert not guest.member_changes()  # routing is not restarted by a second attach
    await guest.close()


async def test_reconnects_and_a_second_socket_never_restart_routing(emu, http, control) -> None:
    """With the auto agent on: dropping and reopening the socket while routing runs, plus a second socket on
    the same chat, still give one ACD member, one agent and one greeting, delivered to both sockets."""
    guest = await Guest.create(emu, http)
    await guest.wait_frame(lambda f: is_member(f, guest.mid, "CONNECTED"))
    await guest.close()
    await guest.connect()
    second = Guest(emu, http, guest.created)
    await second.connect()
    for socket in (guest, second):
        await socket.wait_frame(lambda f: is_msg(f, "standard"))
    roles = [m["role"] for m in control.conversation(guest.cid)["members"]]
    assert sorted(roles) == ["ACD", "AGENT", "CUSTOMER"]
    record = control.record(guest.cid)
    assert [e["state"] for e in record if e["kind"] == "member-change" and e["memberId"] == guest.mid] == [
        "CONNECTED"
    ]
    assert len([e for e in record if e["kind"] == "message" and e["bodyType"] == "standard"]) == 1
    assert control.conversation(guest.cid)["state"] == "active"
    await second.close()
    await guest.close()


async def test_guest_typing_and_messages_restart_the_idle_timer(emu, http, control) -> None:
    """Guest activity (typing counts) replaces the pending idle timer; agent activity does not. Checked on the
    timer object itself (read on the server loop), so no timing is involved."""
    guest = await connected_guest(emu, http, control)
    store = emu.app.state.store

    def timer():  # the conversation's pending idle task
        return emu.call(lambda: store.conversations[guest.cid].idle_task)

    def stopped(task) -> bool:  # cancelled, or its cancellation requested
        return emu.call(lambda: task.cancelled() or task.cancelling() > 0)

    first = timer()
    assert first is not None and not first.done()
    control.agent_messages(guest.cid, body="agent talking does not count")
    assert timer() is first
    assert (await guest.typing()).status_code == 200
    second = timer()
    assert second is not first and stopped(first) and not stopped(second)
    assert (await guest.send("still here")).status_code == 200
    third = timer()
    assert third is not second and stopped(second)
    control.end(guest.cid)
    assert timer() is None and stopped(third)
    await guest.close()
