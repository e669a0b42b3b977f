"""Web Messaging socket faults on the real emulator: duplicated, reordered and delayed frames, sockets dropped
after N frames, refused handshakes, and a drop storm during a 500-message burst that history still serves
exactly once and in order.
"""

from __future__ import annotations

import asyncio

import pytest
import websockets

from tests.emulator_messaging.conftest import CheckedHttp, GuestFactory
from tests.emulator_messaging.helpers import WsGuest
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient


@pytest.fixture(autouse=True)
def quiet(control: ControlClient) -> None:
    """The agent side is driven through the control API."""
    control.set_config(autoAgent=False)


def agent_ids(g: WsGuest, start: int = 0) -> list[str]:
    return [m["id"] for m in g.messages(start) if m["direction"] == "Outbound" and m["type"] != "Event"]


async def burst(g: WsGuest, control: ControlClient, count: int) -> list[str]:
    sid = control.messaging_session_for(g.token)["id"]
    start = len(g.frames)
    ids: list[str] = control.messaging_agent(sid, "messages", {"text": "m", "count": count})["ids"]
    await g.wait_for(lambda f: False if set(ids) - set(agent_ids(g, start)) else True, start)
    return ids


async def test_duplicate_every_second_pushed_frame(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    control.set_messaging_faults(duplicateEveryFrames=2)
    g = await guest()
    start = len(g.frames)
    ids = await burst(g, control, 6)
    await asyncio.sleep(0.2)
    got = agent_ids(g, start)
    assert sorted(got) == sorted(ids + ids[1::2])


async def test_reorder_swaps_frames_but_loses_none(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    control.set_messaging_faults(reorderEveryFrames=3)
    g = await guest()
    start = len(g.frames)
    ids = await burst(g, control, 9)
    got = agent_ids(g, start)
    assert sorted(got) == sorted(ids) and got != ids


async def test_delayed_frames_keep_their_order(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    control.set_messaging_faults(delayMs=30)
    g = await guest()
    start = len(g.frames)
    ids = await burst(g, control, 5)
    assert agent_ids(g, start) == ids


async def test_drop_after_frames_then_resume(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    control.set_messaging_faults(dropAfterFrames=3, dropTimes=1, closeCode=1012)
    control.patch_messaging_deployment(emu.messaging_deployment_id, messagesPerSecond=0)
    g = await guest()
    await g.say("one")
    await g.say("two")
    await asyncio.wait_for(g.closed.wait(), 15)
    assert g.close_code == 1012 and len(g.frames) == 3
    again = await guest(token=g.token)
    assert again.frames[-1]["body"]["newSession"] is False
    for i in range(3):
        assert (await again.say(f"after {i}"))["class"] == "StructuredMessage"


async def test_refused_handshake(emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient) -> None:
    control.set_messaging_faults(refuseHandshakes=1, refuseStatus=503)
    with pytest.raises(websockets.InvalidStatus) as refused:
        await WsGuest.open(emu, emu.messaging_deployment_id)
    assert refused.value.response.status_code == 503
    await guest()


async def test_bad_fault_plans_are_refused(emu: EmbeddedEmulator, control: ControlClient) -> None:
    for plan in ({"dropAfterFrames": -1}, {"closeCode": 1006}, {"nope": 1}, {"delayMs": "slow"}):
        response = control.request("PUT", "/messaging/faults", plan)
        assert response.status_code == 400, plan
    assert control.messaging_faults()["dropAfterFrames"] == 0


async def test_drop_storm_during_a_burst_history_has_every_message_once(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient, rest: CheckedHttp
) -> None:
    control.set_messaging_faults(dropAfterFrames=40, duplicateEveryFrames=7, reorderEveryFrames=5)
    g = await guest()
    sid = control.messaging_session_for(g.token)["id"]
    drops = 0
    sent: list[str] = []

    async def send_burst() -> None:
        for _ in range(10):
            sent.extend(control.messaging_agent(sid, "messages", {"text": "storm", "count": 50})["ids"])
            await asyncio.sleep(0.05)

    task = asyncio.create_task(send_burst())
    current = g
    while not task.done() or drops < 3:
        await asyncio.wait(
            {task, asyncio.create_task(current.closed.wait())}, return_when=asyncio.FIRST_COMPLETED
        )
        if current.closed.is_set():
            drops += 1
            current = await guest(token=g.token)
            answer = next(f for f in current.frames if f["class"] == "SessionResponse")
            assert answer["body"]["newSession"] is False
    await task
    assert drops >= 3 and len(sent) == 500
    control.set_messaging_faults()
    jwt = await current.jwt()
    seen: list[str] = []
    for number in range(1, 7):
        page = await rest.get_json(
            f"/api/v2/webmessaging/messages?pageSize=100&pageNumber={number}",
            "WebMessagingMessageEntityList",
            headers={"Authorization": f"Bearer {jwt}"},
        )
        seen.extend(e["id"] for e in page["entities"])
    assert list(reversed(seen)) == sent


async def test_messaging_control_routes_need_the_control_token(
    emu: EmbeddedEmulator, control: ControlClient
) -> None:
    bare = ControlClient(emu.base_url, None)
    try:
        for method, path in (
            ("GET", "/messaging/sessions"),
            ("PUT", "/messaging/faults"),
            ("GET", "/messaging/deployments"),
        ):
            assert bare.request(method, path, {}).status_code == 401, path
    finally:
        bare.close()
    assert control.messaging_sessions() == []
