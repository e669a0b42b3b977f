"""Fault injection through `/emulator/v1/faults`: HTTP status/latency/Retry-After rules (before and after the
handler) and websocket faults (drop after N frames, refused handshakes, duplicated frames).
"""

from __future__ import annotations

import httpx
import pytest
import websockets

from tests.emulator.helpers import GUEST, Guest, assert_error, connected_guest, create_body, is_member, is_msg

SEND = "postWebchatGuestConversationMemberMessages"


async def test_429_with_retry_after_for_n_calls(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    control.set_faults(
        {
            "http": [
                {
                    "operation": SEND,
                    "status": 429,
                    "code": "too.many.requests.retry.after",
                    "retryAfter": 3,
                    "times": 2,
                }
            ]
        }
    )
    for _ in range(2):
        response = await guest.send("hello")
        body = assert_error(response, 429, "too.many.requests.retry.after")
        assert response.headers["retry-after"] == "3" and "[3] seconds" in body["message"]
    assert (await guest.send("hello")).status_code == 200
    assert control.faults()["http"][0]["times"] == 0
    messages = [e for e in control.record(guest.cid) if e["kind"] == "message" and e["senderId"] == guest.mid]
    assert len(messages) == 1  # rejected calls changed nothing
    await guest.close()


async def test_fault_only_hits_its_operation_and_wildcard_probability(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    control.set_faults({"http": [{"operation": SEND, "status": 503}]})
    assert (await guest.typing()).status_code == 200
    assert_error(await guest.send("x"), 503, "service.unavailable")
    control.set_faults(
        {"http": [{"operation": SEND, "status": 401, "code": "credentials.expired", "times": 1}]}
    )
    assert_error(await guest.send("x"), 401, "credentials.expired")
    control.set_faults({"http": [{"operation": "*", "status": 500, "probability": 0.0}]})
    assert (await guest.send("x")).status_code == 200
    control.set_faults({"http": [{"operation": "*", "status": 500, "code": "caht.error"}]})
    assert_error(await http.post(GUEST, json=create_body(emu)), 500, "caht.error")
    assert_error(await guest.get("/members"), 500, "caht.error")
    assert control.request("GET", "/info").status_code == 200  # never on the control API
    await guest.close()


async def test_after_handler_is_an_ambiguous_failure(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    control.set_faults({"http": [{"operation": SEND, "status": 503, "afterHandler": True, "times": 1}]})
    response = await guest.send("did this arrive?")
    assert_error(response, 503, "service.unavailable")
    echo = await guest.wait_frame(lambda f: is_msg(f, sender=guest.mid))
    assert echo["eventBody"]["body"] == "did this arrive?"
    stored = (await guest.get("/messages")).json()["entities"]
    assert [m["body"] for m in stored if m["sender"]["id"] == guest.mid] == ["did this arrive?"]
    await guest.close()


async def test_latency_lets_the_client_time_out(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    control.set_faults({"http": [{"operation": SEND, "latencyMs": 400, "afterHandler": True, "times": 1}]})
    with pytest.raises(httpx.ReadTimeout):
        await http.post(
            f"{GUEST}/{guest.cid}/members/{guest.mid}/messages",
            json={"body": "slow"},
            headers=guest.auth,
            timeout=0.05,
        )
    await guest.wait_frame(lambda f: is_msg(f, sender=guest.mid))  # it was stored anyway
    control.set_faults({"http": [{"operation": SEND, "latencyMs": 30, "times": 1}]})
    assert (await guest.send("late but fine")).status_code == 200
    await guest.close()


async def test_websocket_drop_after_frames(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    await guest.close()
    control.set_faults({"websocket": {"dropAfterFrames": 3, "dropTimes": 1, "closeCode": 1012}})
    guest.frames.clear()
    await guest.connect()
    ids = control.agent_messages(guest.cid, body="m", count=10)
    await guest.closed.wait()
    assert guest.close_code == 1012
    assert [f["eventBody"]["id"] for f in guest.frames] == ids[:3]
    # dropTimes 1: the next connection is healthy and sees new frames; history comes from REST
    guest.frames.clear()
    await guest.connect()
    [late] = control.agent_messages(guest.cid, body="after reconnect")
    await guest.wait_frame(lambda f: f["eventBody"].get("id") == late)
    backlog = (await guest.get("/messages", after=ids[2])).json()["entities"]
    assert [m["id"] for m in backlog] == [*ids[3:], late]
    await guest.close()


async def test_websocket_refused_handshakes(emu, http, control) -> None:
    guest = await Guest.create(emu, http, connect=False)
    control.set_faults({"websocket": {"refuseHandshakes": 2, "refuseStatus": 503}})
    for _ in range(2):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(guest.created["eventStreamUri"])
        assert refused.value.response.status_code == 503
    assert control.conversation(guest.cid)["state"] == "pending_socket"  # routing waits for a real attach
    await guest.connect()
    await guest.wait_frame(lambda f: is_member(f, guest.mid, "CONNECTED"))
    assert control.faults()["websocket"]["refuseHandshakes"] == 0
    await guest.close()


async def test_websocket_duplicates_every_kth_message_frame(emu, http, control) -> None:
    guest = await connected_guest(emu, http, control)
    await guest.close()
    control.set_faults({"websocket": {"duplicateEveryFrames": 2}})
    guest.frames.clear()
    await guest.connect()
    ids = control.agent_messages(guest.cid, body="d", count=4)
    await guest.wait_for(lambda frames: len(frames) >= 6)
    assert [f["eventBody"]["id"] for f in guest.frames] == [ids[0], ids[1], ids[1], ids[2], ids[3], ids[3]]
    await guest.close()


async def test_fault_plan_validation_get_delete_and_reset(emu, control) -> None:
    for bad in (
        {"http": [{"operation": "noSuchOperation", "status": 500}]},
        {"http": [{"status": "500"}]},
        {"http": [{"probability": 2}]},
        {"websocket": {"dropAfterFrames": "x"}},
        {"http": [{"status": 200}]},
        {"http": [{"status": 999}]},
        {"http": [{"status": 503, "times": -1}]},
        {"http": [{"latencyMs": -5}]},
        {"websocket": {"refuseHandshakes": 1, "refuseStatus": 200}},
        {"websocket": {"dropAfterFrames": 1, "closeCode": 1005}},
        {"websocket": {"dropAfterFrames": 1, "closeCode": 99999}},
        {"websocket": {"dropAfterFrames": -1}},
        {"bogus": []},
        [1, 2],
    ):
        assert control.request("PUT", "/faults", json=bad).status_code == 400, bad
    assert control.faults()["http"] == []  # a rejected plan changes nothing
    plan = control.set_faults(
        {
            "http": [{"operation": SEND, "status": 429, "retryAfter": 1}],
            "websocket": {"dropAfterFrames": 25, "dropTimes": 20},
        }
    )
    assert plan["http"][0]["status"] == 429 and plan["websocket"]["dropAfterFrames"] == 25
    assert control.faults() == plan
    control.clear_faults()
    assert control.faults()["http"] == [] and control.faults()["websocket"]["dropAfterFrames"] == 0
    control.set_faults({"http": [{"operation": SEND, "status": 429}]})
    control.reset()
    assert control.faults()["http"] == []


async def test_slow_consumer_is_disconnected_not_buffered_forever(emu, http, control, monkeypatch) -> None:
    """A socket that stops reading fills its bounded send queue; the server closes it with 1008 (the client
    must then backfill via REST) instead of buffering without limit."""
    from webchat_tui.emulator import sockets

    monkeypatch.setattr(sockets, "MAX_QUEUED_FRAMES", 500)  # the bound, lowered so the test stays small
    control.set_config(autoAgent=False)
    guest = await Guest.create(emu, http, connect=False)
    ws = await websockets.connect(guest.created["eventStreamUri"], max_queue=1)  # reads ~nothing
    control.wait_for(lambda: control.conversation(guest.cid)["state"] == "queued")
    control.connect(guest.cid)
    ids = control.agent_messages(guest.cid, body="x" * 200, count=12_000)
    received = 0
    with pytest.raises(websockets.ConnectionClosed):
        async for _ in ws:
            received += 1
    assert ws.close_code == 1008
    assert 0 < received < len(ids)
    stored = (await guest.get("/messages", sortOrder="descending", maxResults=1)).json()["entities"]
    assert stored[0]["id"] == ids[-1]  # nothing lost on the REST side
