"""The simulated contact centre behind Web Messaging: the bot-first deployment
(quick replies, card, carousel, date picker, hand-over), straight to an agent, keyword reactions (transfer,
file, bye) and the control API's agent side. Every frame is schema-checked by the `guest` fixture.
"""

from __future__ import annotations

import httpx
import pytest

from tests.emulator_messaging.conftest import GuestFactory
from tests.emulator_messaging.helpers import (
    WsGuest,
    has_content,
    is_class,
    is_outbound_text,
    is_presence,
)
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient


@pytest.fixture(autouse=True)
def unpaced(emu: EmbeddedEmulator, control: ControlClient) -> None:
    """These guests answer faster than 2 a second: the rate limit is tested elsewhere."""
    for dep in control.messaging_deployments():
        control.patch_messaging_deployment(dep["id"], messagesPerSecond=0)


JOIN = {"type": "Event", "events": [{"eventType": "Presence", "presence": {"type": "Join"}}]}


def is_typing(frame: dict) -> bool:  # type: ignore[type-arg]
    body = frame.get("body")
    return (
        frame.get("class") == "StructuredMessage"
        and isinstance(body, dict)
        and any(e.get("eventType") == "Typing" for e in body.get("events") or [])
    )


async def tap(g: WsGuest, kind: str, text: str, payload: str) -> None:
    """A button response as the Kotlin transport sends it (type Text, empty text)."""
    response = {"type": kind, "text": text, "payload": payload}
    await g.send(
        "onMessage",
        message={
            "type": "Text",
            "text": "",
            "content": [{"contentType": "ButtonResponse", "buttonResponse": response}],
        },
    )


async def test_bot_first_deployment_offers_rich_content_then_hands_over(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    g = await guest()
    join = await g.request("onMessage", message=JOIN)
    assert join["body"]["direction"] == "Inbound" and join["body"]["events"][0]["presence"]["type"] == "Join"
    start = len(g.frames)
    menu = await g.wait_for(has_content("QuickReply"), start)
    assert any(is_typing(f) for f in g.frames[start : g.frames.index(menu)])  # typing before the reply
    assert menu["body"]["originatingEntity"] == "Bot" and menu["body"]["type"] == "Structured"
    replies = [c["quickReply"]["payload"] for c in menu["body"]["content"]]
    assert replies == ["agent", "card", "date"]

    mark = len(g.frames)
    await tap(g, "QuickReply", "Show me a card", "card")
    card = await g.wait_for(has_content("Card"), mark)
    assert card["body"]["content"][0]["card"]["actions"][0]["type"] == "Postback"

    mark = len(g.frames)
    await g.say("a carousel please")
    carousel = await g.wait_for(has_content("Carousel"), mark)
    assert len(carousel["body"]["content"][0]["carousel"]["cards"]) == 3

    mark = len(g.frames)
    await tap(g, "QuickReply", "Book an appointment", "date")
    picker = await g.wait_for(has_content("DatePicker"), mark)
    slot = picker["body"]["content"][0]["datePicker"]["availableTimes"][0]["dateTime"]
    mark = len(g.frames)
    await tap(g, "DatePicker", slot, slot)
    await g.wait_for(is_outbound_text(f"You're booked for {slot}. Anything else?"), mark)

    mark = len(g.frames)
    await tap(g, "QuickReply", "Talk to an agent", "agent")
    await g.wait_for(is_outbound_text("Let me connect you with an agent."), mark)
    greeting = await g.wait_for(
        lambda f: is_outbound_text()(f) and f["body"].get("originatingEntity") == "Human", mark
    )
    assert greeting["body"]["text"].startswith("Hi, I'm ")
    assert greeting["body"]["channel"]["from"]["nickname"] in {"Alex Rivera", "Sam Chen", "Priya Patel"}
    session = control.messaging_session_for(g.token)
    assert session["phase"] == "agent"
    # the record holds every answer the guest gave, in order
    taps = [
        r["request"]["message"]["content"][0]["buttonResponse"]["payload"]
        for r in control.messaging_record(session["id"])
        if r["action"] == "onMessage" and r["request"]["message"].get("content")
    ]
    assert taps == ["card", "date", slot, "agent"]


async def test_direct_deployment_agent_reacts_to_keywords(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    g = await guest(emu.messaging_direct_deployment_id)
    await g.say("hello")
    first = await g.wait_for(lambda f: is_outbound_text()(f) and f["body"]["text"].startswith("Hi, I'm "))
    first_agent = first["body"]["channel"]["from"]["nickname"]

    mark = len(g.frames)
    await g.say("please transfer me")
    await g.wait_for(is_outbound_text("Sure, let me transfer you to a colleague."), mark)
    second = await g.wait_for(
        lambda f: is_outbound_text()(f) and f["body"]["text"].startswith("Hi, I'm "), mark
    )
    assert second["body"]["channel"]["from"]["nickname"] != first_agent

    mark = len(g.frames)
    await g.say("can you send me the file")
    sent = await g.wait_for(has_content("Attachment"), mark)
    attachment = sent["body"]["content"][0]["attachment"]
    assert attachment["mediaType"] == "File" and attachment["filename"] == "emulator-receipt.txt"
    async with httpx.AsyncClient(timeout=30) as http:
        downloaded = await http.get(attachment["url"])
    assert downloaded.status_code == 200 and downloaded.content.startswith(b"Emulator receipt")

    mark = len(g.frames)
    await g.say("bye")
    await g.wait_for(is_outbound_text("Thanks for chatting with us. Goodbye!"), mark)
    disconnect = await g.wait_for(is_presence("Disconnect"), mark)
    assert disconnect["body"]["metadata"]["readOnly"] == "true"
    assert (await g.say("one more thing"))["code"] == 409
    assert control.messaging_session_for(g.token)["state"] == "readOnly"


async def test_agent_idle_timeout_closes_the_conversation(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    control.set_config(idleTimeout=25.0)  # x 0.02 = 0.5 s
    g = await guest(emu.messaging_direct_deployment_id)
    await g.say("hello")
    await g.wait_for(is_outbound_text("This conversation was closed because of inactivity."))
    await g.wait_for(is_presence("Disconnect"))


async def test_control_agent_side_sends_every_rich_kind(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    control.set_config(autoAgent=False)
    g = await guest(emu.messaging_direct_deployment_id)
    sid = control.messaging_session_for(g.token)["id"]
    burst = control.messaging_agent(sid, "messages", {"text": "numbered", "count": 5})
    for i, mid in enumerate(burst["ids"], 1):
        frame = await g.wait_for(lambda f, mid=mid: f.get("body", {}).get("id") == mid)  # type: ignore[misc]
        assert frame["body"]["text"] == f"numbered #{i}"
    control.messaging_agent(sid, "typing")
    await g.wait_for(is_typing)
    control.messaging_agent(
        sid, "quickreplies", {"text": "Pick one", "replies": ["Yes", {"text": "No", "payload": "no-thanks"}]}
    )
    qr = await g.wait_for(has_content("QuickReply"))
    assert [c["quickReply"]["payload"] for c in qr["body"]["content"]] == ["Yes", "no-thanks"]
    for what, kind in (
        ("card", "Card"),
        ("carousel", "Carousel"),
        ("datepicker", "DatePicker"),
        ("listpicker", "ListPicker"),
    ):
        control.messaging_agent(sid, what)
        await g.wait_for(has_content(kind))
    control.messaging_agent(
        sid, "attachment", {"fileName": "notes.txt", "text": "hello file", "caption": "your notes"}
    )
    att = await g.wait_for(has_content("Attachment"))
    assert att["body"]["text"] == "your notes"
    bot = control.messaging_agent(sid, "messages", {"text": "from the bot", "bot": True})
    frame = await g.wait_for(lambda f: f.get("body", {}).get("id") == bot["ids"][0])
    assert frame["body"]["originatingEntity"] == "Bot"
    control.messaging_agent(sid, "transfer", {"toAgent": "Maria Garcia"})
    control.messaging_agent(sid, "messages", {"text": "Maria here"})
    maria = await g.wait_for(is_outbound_text("Maria here"))
    assert maria["body"]["channel"]["from"]["nickname"] == "Maria Garcia"
    summary = control.messaging_session_for(g.token)
    assert summary["agent"] == "Maria Garcia" and summary["messageCount"] == 13
    control.messaging_session_action(sid, "clear")
    await g.wait_for(is_class("SessionClearedEvent"))
