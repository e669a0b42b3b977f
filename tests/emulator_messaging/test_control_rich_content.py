"""The control API's rich content (quick replies, card, carousel, date picker, list picker) is checked before
anything is sent: a bad field is a 400 naming it and no frame goes out; good content of every kind reaches the
guest in frames that validate against `schema.json` (the `guest` fixture checks each). The control API's
1 MiB and JSON-only rules hold on these routes too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.emulator_messaging.conftest import GuestFactory
from tests.emulator_messaging.helpers import has_content
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.emulator.messaging.director import sample_card, sample_list_picker

SLOT = {"dateTime": "2026-12-01T10:00:00Z", "duration": 3600}

BAD: list[tuple[str, dict[str, Any], str]] = [
    ("quickreplies", {"replies": ["Yes", {"text": 5}]}, "replies[1].text must be a string"),
    (
        "quickreplies",
        {"replies": [{"text": "No", "payload": {"a": 1}}]},
        "replies[0].payload must be a string",
    ),
    ("card", {"card": {"title": "Plans"}}, "card.actions is required"),
    ("card", {"card": {"title": 7, "actions": []}}, "card.title must be a string"),
    (
        "card",
        {"card": {"title": "Plans", "actions": [{"type": "Call", "text": "Ring"}]}},
        "card.actions[0].type must be one of Link, Postback",
    ),
    (
        "card",
        {"card": {"title": "Plans", "actions": [], "defaultAction": {"type": "Link"}}},
        "card.defaultAction.text is required",
    ),
    ("card", {"card": "a card"}, "card must be an object"),
    ("card", {"bot": "yes"}, "bot must be a boolean"),
    ("carousel", {"cards": []}, "cards must hold at least 1 item"),
    ("carousel", {"cards": [sample_card(1), {"title": "Two"}]}, "cards[1].actions is required"),
    (
        "datepicker",
        {"datePicker": {"availableTimes": [{"dateTime": "tomorrow", "duration": 60}]}},
        "datePicker.availableTimes[0].dateTime must be an ISO 8601 date-time",
    ),
    (
        "datepicker",
        {"datePicker": {"availableTimes": [{"dateTime": SLOT["dateTime"]}]}},
        "datePicker.availableTimes[0].duration is required",
    ),
    (
        "datepicker",
        {"datePicker": {"availableTimes": [SLOT], "dateDisplayFormat": "dd/mm"}},
        "datePicker.dateDisplayFormat must be one of dayMonthYear, monthDayYear, yearMonthDay",
    ),
    (
        "datepicker",
        {"datePicker": {"location": {"address": "Main St 1"}}},
        "datePicker.location.text is required",
    ),
    (
        "listpicker",
        {"listPicker": {"sections": [], "receivedMessage": {}, "replyMessage": {}}},
        "listPicker.sections must hold at least 1 item",
    ),
    (
        "listpicker",
        {"listPicker": {**sample_list_picker(), "replyMessage": None}},
        "listPicker.replyMessage must be an object",
    ),
    (
        "listpicker",
        {
            "listPicker": {
                **sample_list_picker(),
                "sections": [
                    {"title": "Plans", "multipleSelection": "no", "items": [{"id": "a", "title": "A"}]}
                ],
            }
        },
        "listPicker.sections[0].multipleSelection must be a boolean",
    ),
    (
        "listpicker",
        {"listPicker": {k: v for k, v in sample_list_picker().items() if k != "receivedMessage"}},
        "listPicker.receivedMessage is required",
    ),
]


@pytest.mark.parametrize(("what", "body", "said"), BAD, ids=[said for _what, _body, said in BAD])
async def test_malformed_rich_content_is_a_400_naming_the_field_and_nothing_is_sent(
    emu: EmbeddedEmulator,
    guest: GuestFactory,
    control: ControlClient,
    what: str,
    body: dict[str, Any],
    said: str,
) -> None:
    g = await guest(emu.messaging_direct_deployment_id)
    sid = control.messaging_session_for(g.token)["id"]
    before = control.messaging_session_for(g.token)["messageCount"]
    answer = control.request("POST", f"/messaging/sessions/{sid}/agent/{what}", body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "bad.request" and said in answer.json()["message"], answer.text
    assert control.messaging_session_for(g.token)["messageCount"] == before
    control.messaging_agent(sid, "messages", {"text": "after the refusal"})  # the session lives on
    frame = await g.wait_for(lambda f: f.get("body", {}).get("text") == "after the refusal")
    assert not [f for f in g.frames[: g.frames.index(frame)] if f.get("body", {}).get("content")]


async def test_rich_content_of_every_kind_and_field_reaches_the_guest_schema_valid(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    """Every optional field the checks know, sent as given (the `guest` fixture validates each frame)."""
    g = await guest(emu.messaging_direct_deployment_id)
    sid = control.messaging_session_for(g.token)["id"]
    card = {
        **sample_card(1),
        "video": "https://example.com/v.mp4",
        "defaultAction": {"type": "Link", "text": "Open", "url": "https://example.com/"},
    }
    picker = {
        "id": "slots",
        "title": "Book",
        "subtitle": "Pick one",
        "imageUrl": "https://example.com/i.png",
        "availableTimes": [SLOT, {"dateTime": "2026-12-02T10:30:00+01:00", "duration": 1800.5}],
        "dateMinimum": "2026-12-01",
        "dateMaximum": "2026-12-31",
        "dateDisplayFormat": "yearMonthDay",
        "location": {
            "text": "Office",
            "address": "Main St 1",
            "latitude": 53.3,
            "longitude": -6.2,
            "url": "u",
        },
    }
    sections = [
        {"title": "One", "multipleSelection": True, "items": [{"id": "a", "title": "A", "imageUrl": "i"}]},
        {"title": "Two", "multipleSelection": False, "items": [{"id": "b", "title": "B", "subtitle": "s"}]},
    ]
    lister = {
        **sample_list_picker(),
        "sections": sections,
        "receivedMessage": {"header": "h", "subtitle": "s"},
    }
    sent = [
        ("quickreplies", {"text": "Pick", "replies": ["Yes", {"text": "No", "payload": "no"}]}, "QuickReply"),
        ("card", {"card": card, "bot": True}, "Card"),
        ("carousel", {"cards": [card, sample_card(2)], "text": "Plans"}, "Carousel"),
        ("datepicker", {"datePicker": picker}, "DatePicker"),
        ("listpicker", {"listPicker": lister}, "ListPicker"),
    ]
    for what, body, kind in sent:
        control.messaging_agent(sid, what, body)
        frame = await g.wait_for(has_content(kind))
        item = frame["body"]["content"][0]
        if kind == "DatePicker":
            assert item["datePicker"] == picker
        if kind == "ListPicker":
            assert item["listPicker"]["sections"] == sections


async def test_the_control_body_rules_hold_on_the_rich_content_routes(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    g = await guest(emu.messaging_direct_deployment_id)
    sid = control.messaging_session_for(g.token)["id"]
    path = f"/messaging/sessions/{sid}/agent/card"
    big = {"card": {**sample_card(1), "description": "x" * (1024 * 1024)}}
    too_big = control.request(
        "POST", path, content=json.dumps(big).encode(), headers={"Content-Type": "application/json"}
    )
    assert too_big.status_code == 413, too_big.text
    plain = control.request(
        "POST",
        path,
        content=json.dumps({"card": sample_card(1)}).encode(),
        headers={"Content-Type": "text/plain"},
    )
    assert plain.status_code == 415, plain.text
    assert control.messaging_session_for(g.token)["messageCount"] == 0
