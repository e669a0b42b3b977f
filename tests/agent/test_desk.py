"""The emulator's agent desk on the real emulator: agent modes (emulator, queue, deployment), the live feed
(token, snapshot, events), take and transfer for Web Chat v2 (`ChatSession` guests) and Web Messaging (raw,
schema-checked guest sockets), and the human-first fallback."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import websockets

from tests.agent.conftest import FeedReader, until
from tests.api.conftest import FAST_STREAM
from tests.emulator_messaging.helpers import WsGuest, is_outbound_text, is_presence
from webchat_tui.api import ChatSession, GuestMemberInfo, SessionState, WebChatClient
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import TOKEN_HEADER, ControlClient, ControlError


async def _chat(
    client: WebChatClient, emu: EmbeddedEmulator, name: str, queue: str = "Support"
) -> ChatSession:
    session = ChatSession(client, stream_options=FAST_STREAM)
    await session.start(
        organization_id=emu.seed.organization_id,
        deployment_id=emu.seed.deployment_id,
        queue=queue,
        member_info=GuestMemberInfo(
            display_name=name, email="ada@example.com", custom_fields={"tier": "gold"}
        ),
    )
    return session


def _of(kind: str, cid: str) -> Any:
    def pred(e: dict[str, Any]) -> bool:
        if e.get("type") != kind:
            return False
        return (e.get("conversation") or e).get("id") == cid

    return pred


async def test_modes_are_checked_and_reset(control: ControlClient, emu: EmbeddedEmulator) -> None:
    assert control.agents() == {
        "mode": "simulated",
        "humanFirstTimeout": 60.0,
        "queues": {},
        "deployments": {},
    }
    for bad in ({"mode": "robot"}, {"humanFirstTimeout": 0}, {"queues": {"Sales": "x"}}, {"extra": 1}):
        with pytest.raises(ControlError) as err:
            control.set_agents(**bad)
        assert err.value.status == 400
    assert control.agents()["mode"] == "simulated"  # nothing half-applied
    got = control.set_agents(mode="human-first", humanFirstTimeout=5, queues={"Sales": "human"})
    assert got == {
        "mode": "human-first",
        "humanFirstTimeout": 5.0,
        "queues": {"Sales": "human"},
        "deployments": {},
    }
    assert control.set_agents(queues={"Sales": None})["queues"] == {}
    control.reset()
    assert control.agents()["mode"] == "simulated"


async def test_feed_needs_the_control_token(emu: EmbeddedEmulator) -> None:
    url = ControlClient.for_emulator(emu).feed_url
    for headers in ({}, {TOKEN_HEADER: "wrong-token-value"}):
        with pytest.raises(websockets.InvalidStatus) as err:
            await websockets.connect(url, additional_headers=headers)
        assert err.value.response.status_code == 401


async def test_webchat_waits_for_a_person_then_goes_to_another_queue(
    emu: EmbeddedEmulator, human: ControlClient, feed: FeedReader, client: WebChatClient
) -> None:
    snapshot = await feed.wait_for(lambda e: e["type"] == "snapshot")
    assert snapshot["conversations"] == []
    guest = await _chat(client, emu, "Ada")
    try:
        cid = str(guest.conversation_id)
        waiting = (await feed.wait_for(_of("waiting", cid)))["conversation"]
        assert waiting["guest"] == "Ada" and waiting["queue"] == "Support" and waiting["state"] == "waiting"
        assert waiting["fields"] == {"tier": "gold", "email": "ada@example.com"}
        await guest.send("anyone there?")  # queued: the desk sees it, no simulated agent answers
        message = await feed.wait_for(_of("message", cid))
        assert message["text"] == "anyone there?" and message["kind"] == "text"
        assert guest.agent is None

        taken = await asyncio.to_thread(human.take, "webchat", cid, "Trainer Tess")
        assert taken["state"] == "taken" and taken["agent"] == "Trainer Tess"
        await guest.wait_until(lambda s: s.agent is not None and s.agent.display_name == "Trainer Tess", 30)
        assert await guest.typing()
        await feed.wait_for(_of("typing", cid))
        with pytest.raises(ControlError):  # already taken
            human.take("webchat", cid)

        # To the Sales queue, answered by simulated agents there.
        human.set_agents(queues={"Sales": "simulated"})
        start = len(feed.events)
        await asyncio.to_thread(human.desk_transfer, "webchat", cid, queue="Sales")
        released = await feed.wait_for(_of("released", cid), start)
        assert released["to"] == "Sales"
        await guest.wait_until(
            lambda s: s.agent is not None and s.agent.display_name in ("Jordan Lee", "Maria Garcia"), 30
        )
        assert human.conversation(cid)["queue"] == "Sales"
        assert human.desk() == []
    finally:
        await guest.close()


async def test_human_first_falls_back_to_a_simulated_agent(
    emu: EmbeddedEmulator, human: ControlClient, feed: FeedReader, client: WebChatClient
) -> None:
    human.set_agents(mode="human-first", humanFirstTimeout=1)  # x time scale 0.02
    guest = await _chat(client, emu, "Bea")
    try:
        cid = str(guest.conversation_id)
        await feed.wait_for(_of("waiting", cid))
        released = await feed.wait_for(_of("released", cid))
        assert released["to"] == "simulated"
        await guest.wait_until(
            lambda s: (
                s.state is SessionState.CONNECTED and any(m.body.startswith("Hi Bea") for m in s.messages)
            ),
            30,
        )
    finally:
        await guest.close()


async def test_queue_and_deployment_overrides(
    emu: EmbeddedEmulator, control: ControlClient, feed: FeedReader, client: WebChatClient, guest: Any
) -> None:
    control.set_agents(queues={"Billing": "human"}, deployments={emu.messaging_direct_deployment_id: "human"})
    support = await _chat(client, emu, "Sam", queue="Support")
    billing = await _chat(client, emu, "Bill", queue="Billing")
    try:
        await feed.wait_for(_of("waiting", str(billing.conversation_id)))
        await support.wait_until(lambda s: s.state is SessionState.CONNECTED, 30)  # simulated, as before
        assert {e["id"] for e in control.desk()} == {billing.conversation_id}
        ws: WsGuest = await guest(emu.messaging_direct_deployment_id)
        await ws.say("hello desk")
        entry = await feed.wait_for(
            lambda e: e["type"] == "waiting" and e["conversation"]["channel"] == "messaging"
        )
        assert entry["conversation"]["deploymentId"] == emu.messaging_direct_deployment_id
    finally:
        await support.close()
        await billing.close()


async def test_messaging_take_rich_content_answers_and_end(
    emu: EmbeddedEmulator, human: ControlClient, feed: FeedReader, guest: Any
) -> None:
    human.patch_messaging_deployment(emu.messaging_direct_deployment_id, messagesPerSecond=100)
    ws: WsGuest = await guest(emu.messaging_direct_deployment_id)
    attrs = {"channel": {"metadata": {"customAttributes": {"name": "Mia", "plan": "pro"}}}}
    await ws.say("I need help", **attrs)
    entry = (await feed.wait_for(lambda e: e["type"] == "waiting"))["conversation"]
    sid = entry["id"]
    assert entry["channel"] == "messaging" and entry["guest"] == "Mia" and entry["fields"]["plan"] == "pro"
    assert human.messaging_session(sid)["phase"] == "queued"

    await asyncio.to_thread(human.take, "messaging", sid, "Trainer Tess")
    assert human.messaging_session(sid)["agent"] == "Trainer Tess"
    start = len(ws.frames)
    human.messaging_agent(sid, "quickreplies", {"text": "Is it urgent?", "replies": ["Yes", "No"]})
    frame = await ws.wait_for(is_outbound_text("Is it urgent?"), start)
    assert [c["quickReply"]["text"] for c in frame["body"]["content"]] == ["Yes", "No"]
    assert frame["body"]["channel"]["from"]["nickname"] == "Trainer Tess"
    button = {
        "contentType": "ButtonResponse",
        "buttonResponse": {"type": "QuickReply", "text": "Yes", "payload": "Yes"},
    }
    await ws.request("onMessage", message={"type": "Structured", "content": [button]})
    answer = await feed.wait_for(lambda e: e["type"] == "message" and e["kind"] == "button")
    assert answer["text"] == "Yes"
    await ws.send(  # no answer frame for guest typing
        "onMessage", message={"type": "Event", "events": [{"eventType": "Typing", "typing": {"type": "On"}}]}
    )
    await feed.wait_for(_of("typing", sid))
    # No simulated agent talks in a person's conversation.
    assert (await ws.say("thanks"))["code"] == 200
    await feed.wait_for(lambda e: e["type"] == "message" and e["text"] == "thanks")
    assert not any("Let me check" in (m.get("text") or "") for m in human.messaging_messages(sid))

    start = len(ws.frames)
    human.messaging_agent(sid, "disconnect")
    await ws.wait_for(is_presence("Disconnect"), start)
    await feed.wait_for(_of("ended", sid))
    assert human.desk() == []


async def test_messaging_bot_hands_over_to_the_person(
    emu: EmbeddedEmulator, human: ControlClient, feed: FeedReader, guest: Any
) -> None:
    ws: WsGuest = await guest(emu.messaging_deployment_id)  # bot first
    await ws.say("hello")
    await ws.wait_for(is_outbound_text())  # the bot's menu
    assert human.desk() == []
    await ws.say("agent please")
    entry = (await feed.wait_for(lambda e: e["type"] == "waiting"))["conversation"]
    await until(lambda: human.messaging_session(entry["id"])["phase"] == "queued")
    # Transfer back to a simulated agent, who greets.
    await asyncio.to_thread(human.take, "messaging", entry["id"])
    start = len(ws.frames)
    await asyncio.to_thread(human.desk_transfer, "messaging", entry["id"])
    await ws.wait_for(lambda f: "How can I help" in str(f.get("body", {}).get("text")), start)


async def test_messaging_human_first_falls_back(
    emu: EmbeddedEmulator, human: ControlClient, feed: FeedReader, guest: Any
) -> None:
    human.set_agents(mode="human-first", humanFirstTimeout=1)  # x time scale 0.02
    ws: WsGuest = await guest(emu.messaging_direct_deployment_id)
    await ws.say("hello")
    entry = (await feed.wait_for(lambda e: e["type"] == "waiting"))["conversation"]
    released = await feed.wait_for(_of("released", entry["id"]))
    assert released["to"] == "simulated"
    await ws.wait_for(lambda f: "How can I help" in str(f.get("body", {}).get("text")))
    assert human.messaging_session(entry["id"])["agent"] == "Alex Rivera"
