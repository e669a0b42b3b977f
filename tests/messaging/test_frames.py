"""Every example frame of the Web Messaging contract (`reference/web-messaging/frames/`) is parsed by the
client into the right typed object, leniently and inertly. Pure parsing: no network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from webchat_tui.chat.types import Attachment, Card, Carousel, DatePicker, MemberRole, QuickReply
from webchat_tui.messaging import frames as f
from webchat_tui.messaging import requests as r
from webchat_tui.messaging.client import frame_error
from webchat_tui.messaging.convert import GUEST_ID, presence_line, to_chat_message
from webchat_tui.messaging.errors import (
    AuthenticationFailed,
    BadRequest,
    CannotDowngrade,
    CustomAttributesTooLarge,
    FileTypeInvalid,
    Forbidden,
    MessageTooLong,
    RateLimited,
    SessionExpired,
    SessionNotFound,
    SessionReadOnly,
    Unauthorized,
    UnexpectedServerError,
)

_HERE = Path(__file__).resolve()
# The contract's frames: the repository's copy when there is one, else the shared reference beside the clone
# (or beside the folder of worktrees).
_CANDIDATES = [_HERE.parents[1] / "reference" / "web-messaging" / "frames"] + [
    parent / "shared" / "reference" / "web-messaging" / "frames" for parent in _HERE.parents[2:5]
]
FRAMES = next((p for p in _CANDIDATES if p.is_dir()), _CANDIDATES[0])

SERVER_BODY: dict[str, type[f.Body]] = {
    "01": f.SessionResponse,
    "02": f.SessionResponse,
    "03": f.SessionResponse,
    "04": f.SessionResponse,
    "05": f.SessionResponse,
    "06": f.SessionResponse,
    **{f"{n:02d}": f.StructuredMessage for n in range(7, 21)},
    "21": f.ErrorText,
    "22": f.StructuredMessage,
    "23": f.StructuredMessage,
    "24": f.JwtResponse,
    "25": f.PresignedUrlResponse,
    "26": f.PresignedUrlResponse,
    "27": f.UploadSuccessEvent,
    "28": f.UploadFailureEvent,
    "29": f.GenerateUrlError,
    "30": f.AttachmentDeletedResponse,
    "31": f.SessionExpiredEvent,
    "32": f.TooManyRequestsErrorMessage,
    **{f"{n:02d}": f.ErrorText for n in range(33, 45)},
    "45": f.ConnectionClosedEvent,
    "46": f.ConnectionClosedEvent,
    "47": f.SessionClearedEvent,
    "48": f.LogoutEvent,
}

CLIENT_REQUEST: dict[str, type[r.Request]] = {
    "c01": r.ConfigureSession,
    "c02": r.ConfigureSession,
    "c03": r.ConfigureAuthenticatedSession,
    "c04": r.OnMessage,
    "c05": r.OnMessage,
    "c06": r.OnMessage,
    "c07": r.Echo,
    "c08": r.OnMessage,
    "c09": r.OnMessage,
    "c10": r.OnMessage,
    "c11": r.OnMessage,
    "c12": r.GetJwt,
    "c13": r.OnAttachment,
    "c14": r.GetAttachment,
    "c15": r.DeleteAttachment,
    "c16": r.CloseSession,
    "c17": r.OnAttachment,
    "c18": r.OnMessage,
}

ERRORS: dict[str, type[Exception]] = {
    "21": SessionReadOnly,
    "28": FileTypeInvalid,
    "29": FileTypeInvalid,
    "32": RateLimited,
    "33": MessageTooLong,
    "34": CustomAttributesTooLarge,
    "35": SessionNotFound,
    "36": SessionExpired,
    "37": CannotDowngrade,
    "38": Forbidden,
    "39": Forbidden,
    "40": AuthenticationFailed,  # a Forbidden whose words say a sign-in is needed
    "41": Unauthorized,
    "42": BadRequest,
    "43": BadRequest,
    "44": UnexpectedServerError,
}


def _load(name: str) -> Any:
    return json.loads((FRAMES / name).read_text())


def _files(prefix: str) -> list[str]:
    return sorted(p.name for p in FRAMES.glob(f"{prefix}*.json"))


def test_the_contract_has_69_frames_and_every_one_is_covered() -> None:
    names = [p.name for p in FRAMES.glob("*.json")]
    assert len(names) == 69
    server = [n for n in names if n[0].isdigit()]
    client = [n for n in names if n.startswith("c")]
    rest = [n for n in names if n.startswith("r")]
    assert {n[:2] for n in server} == set(SERVER_BODY)
    assert {n[:3] for n in client} == set(CLIENT_REQUEST)
    assert len(rest) == 3


@pytest.mark.parametrize("name", _files("[0-9]"))
def test_server_frame_parses_to_its_typed_body(name: str) -> None:
    raw = (FRAMES / name).read_text()
    frame = f.parse_frame(raw)
    data = json.loads(raw)
    assert type(frame.body) is SERVER_BODY[name[:2]]
    assert frame.class_name == data["class"]
    assert frame.code == data["code"]
    assert frame.type == data["type"]
    assert frame.tracing_id == data.get("tracingId")
    expected_error = ERRORS.get(name[:2])
    error = frame_error(frame)
    if expected_error is None:
        assert error is None, name
    else:
        assert type(error) is expected_error, name
        assert str(error)  # plain words


@pytest.mark.parametrize("name", _files("c"))
def test_client_frame_parses_to_its_request_model_and_reencodes_the_same_fields(name: str) -> None:
    data = _load(name)
    request = r.parse_request(data)
    assert type(request) is CLIENT_REQUEST[name[:3]]
    again = json.loads(r.encode(request))
    # Everything the vendor sent comes back (our encoder may only drop keys the vendor left out).
    for key, value in data.items():
        if key == "journeyContext":
            continue
        assert again[key] == value, (name, key)


def test_session_response_fields() -> None:
    body = f.parse_frame((FRAMES / "06-session-response-allowed-media.json").read_text()).body
    assert isinstance(body, f.SessionResponse)
    assert body.connected and body.new_session and not body.read_only
    assert body.max_custom_data_bytes == 100
    assert body.allowed_media is not None and body.allowed_media.inbound is not None
    assert [t.type for t in body.allowed_media.inbound.file_types] == ["video/mpg", "video/3gpp"]
    assert body.allowed_media.inbound.max_file_size_kb == 10240
    assert body.blocked_extensions == [".ade", ".adp"]
    resumed = f.parse_frame((FRAMES / "02-session-response-resumed.json").read_text()).body
    assert isinstance(resumed, f.SessionResponse) and resumed.new_session is False
    closed = f.parse_frame((FRAMES / "04-session-response-after-closesession.json").read_text()).body
    assert isinstance(closed, f.SessionResponse) and not closed.connected and closed.read_only
    cleared = f.parse_frame((FRAMES / "05-session-response-cleared-existing.json").read_text()).body
    assert isinstance(cleared, f.SessionResponse) and cleared.cleared_existing_session


def _guest() -> Any:
    from webchat_tui.chat.types import Member

    return Member(GUEST_ID, "You", MemberRole.CUSTOMER, "CONNECTED", is_self=True)


def _message(name: str) -> Any:
    body = f.parse_frame((FRAMES / name).read_text()).body
    assert isinstance(body, f.StructuredMessage)
    return to_chat_message(body, _guest(), fallback_id="fb")


def test_structured_content_becomes_neutral_content() -> None:
    quick = _message("11-outbound-quick-replies.json")
    assert quick.sender_role == MemberRole.BOT and quick.body == "What would you like to do?"
    assert quick.content == (QuickReply("Yes", "cookie1"), QuickReply("No", "cookie2"))
    card = _message("12-outbound-card.json").content[0]
    assert isinstance(card, Card) and card.title == "Title" and card.actions[0].payload == "postback_payload"
    carousel = _message("13-outbound-carousel.json").content[0]
    assert isinstance(carousel, Carousel) and [c.title for c in carousel.cards] == ["Card 1", "Card 2"]
    assert carousel.cards[0].actions[0].url == "http://example.org"
    picker = _message("14-outbound-datepicker.json").content[0]
    assert isinstance(picker, DatePicker) and picker.title == "Select a time slot"
    assert picker.times[0].raw == "2022-08-22T19:24:26.704Z" and picker.times[0].date_time is not None
    attachment = _message("15-outbound-attachment.json").content[0]
    assert isinstance(attachment, Attachment)
    assert (attachment.id, attachment.filename, attachment.mime, attachment.size_bytes) == (
        "attachment_id",
        "image.png",
        "image/png",
        100,
    )


def test_senders_and_echoes() -> None:
    agent = _message("09-outbound-agent-text.json")
    assert agent.sender_role == MemberRole.AGENT and agent.sender_name == "Tony Stark" and not agent.is_own
    bot = _message("10-outbound-bot-text.json")
    assert bot.sender_role == MemberRole.BOT and bot.sender_kind == "bot"
    echo = _message("07-inbound-echo-own-message-vendor.json")
    assert echo.is_own and echo.sender_id == GUEST_ID and echo.id == "test_id"
    assert echo.timestamp.isoformat() == "2022-08-22T19:24:26.704000+00:00"
    placeholder_time = _message("12-outbound-card.json")  # "time": "some_time" -> arrival time, not a crash
    assert placeholder_time.timestamp.tzinfo is not None


def test_events_are_not_messages_but_disconnect_is_a_system_line() -> None:
    for name in ("16-outbound-typing.json", "17-inbound-presence-join-echo.json"):
        assert _message(name) is None
    body = f.parse_frame((FRAMES / "18-outbound-presence-disconnect-readonly-vendor.json").read_text()).body
    assert isinstance(body, f.StructuredMessage)
    assert body.metadata.get("readOnly") == "true"
    line = presence_line(body, "Disconnect", fallback_id="x")
    assert line is not None and line.body_type == "member-leave" and line.sender_kind == "system"


def test_connection_closed_reason_either_spelling() -> None:
    signed = f.parse_frame((FRAMES / "46-connection-closed-signed-in.json").read_text()).body
    assert isinstance(signed, f.ConnectionClosedEvent) and signed.why == "signedIn"
    java = f.parse_frame(
        '{"type":"message","class":"ConnectionClosedEvent","code":200,"body":{"reasonCode":"x"}}'
    )
    assert isinstance(java.body, f.ConnectionClosedEvent) and java.body.why == "x"


def test_rest_bodies() -> None:
    page = f.HistoryPage.model_validate(_load("r01-history-page.json"))
    assert len(page.entities) == 3 and page.total == 3 and page.page_count == 1
    assert page.entities[1].time is None  # "time": null in the vendor's fixture
    assert page.entities[2].content[0].quick_reply is not None
    empty = f.HistoryPage.model_validate(_load("r02-history-page-empty.json"))
    assert empty.entities == [] and empty.total == 0
    config = f.DeploymentConfig.model_validate(_load("r03-deployment-config.json"))
    assert (
        config.conversations.conversation_clear is not None
        and config.conversations.conversation_clear.enabled
    )
    assert config.conversations.messaging_endpoint == "wss://webmessaging.inindca.com"


def test_lenient_unknown_class_fields_and_content_types() -> None:
    unknown = f.parse_frame('{"type":"message","class":"BrandNewEvent","code":200,"body":{"x":1}}')
    assert isinstance(unknown.body, f.UnknownBody) and unknown.body.class_name == "BrandNewEvent"
    extra = f.parse_frame(
        '{"type":"response","class":"SessionResponse","code":200,"newField":1,'
        '"body":{"connected":true,"newSession":false,"futureKnob":{"a":1}}}'
    )
    assert isinstance(extra.body, f.SessionResponse) and extra.body.new_session is False
    odd = f.parse_frame(
        '{"type":"message","class":"StructuredMessage","code":200,"body":{"type":"Structured","direction":'
        '"Outbound","text":"hi","content":[{"contentType":"Mention","mention":{}}],'
        '"events":[{"eventType":"Hologram"}],"metadata":{"n":3}}}'
    )
    assert isinstance(odd.body, f.StructuredMessage)
    assert odd.body.content[0].content_type == "Mention" and odd.body.metadata == {"n": "3"}
    bad_shape = f.parse_frame('{"type":"response","class":"JwtResponse","code":200,"body":{"jwt":[1]}}')
    assert isinstance(bad_shape.body, f.UnknownBody)
    with pytest.raises(f.ProtocolViolation):
        f.parse_frame("[1, 2]")
    with pytest.raises(f.ProtocolViolation):
        f.parse_frame("not json")


def test_remote_strings_are_inert_at_parse() -> None:
    hostile = {
        "type": "message",
        "class": "StructuredMessage",
        "code": 200,
        "body": {
            "type": "Structured",
            "direction": "Outbound",
            "id": "m\x1b[2J1",
            "text": "hi\x1b]8;;http://evil\x07there\u202e",
            "channel": {"time": "2024-01-01T00:00:00.000Z", "from": {"nickname": "Eve\x1b[31m\nRed"}},
            "content": [
                {"contentType": "QuickReply", "quickReply": {"text": "Y\x9bes", "payload": "p\x00"}},
                {"contentType": "Card", "card": {"title": "T\x1b", "description": "d\x07", "actions": []}},
            ],
        },
    }
    message = to_chat_message(f.frame_from_dict(hostile).body, _guest(), fallback_id="x")  # type: ignore[arg-type]
    assert message is not None
    flat = repr(message)
    for bad in ("\x1b", "\x07", "\x9b", "\x00", "\u202e"):
        assert bad not in flat
    assert message.sender_name == "Eve[31m Red"
    error = f.parse_frame('{"type":"response","class":"string","code":409,"body":"read\\u001b[2Jonly"}')
    assert isinstance(error.body, f.ErrorText) and "\x1b" not in error.body.text


@pytest.mark.parametrize(
    "text_json",
    [
        '"a\\u001b[2Jb"',  # escaped ESC: the raw text looks printable
        '"a\u202eb"',  # a raw bidi override (valid inside a JSON string)
        '"a\x9bb"',  # a raw C1 CSI
        '"a\x7fb"',  # a raw DEL
    ],
)
def test_parse_frame_never_skips_the_walk_when_a_string_could_be_unsafe(text_json: str) -> None:
    raw = (
        '{"type":"message","class":"StructuredMessage","code":200,"body":{"type":"Text","direction":'
        f'"Outbound","id":"x","text":{text_json},"channel":{{"from":{{"nickname":{text_json}}}}}}}}}'
    )
    body = f.parse_frame(raw).body
    assert isinstance(body, f.StructuredMessage)
    expected = "a[2Jb" if "u001b" in text_json else "ab"  # ESC goes; the rest of the sequence is plain text
    assert body.text == expected and body.channel is not None and body.channel.from_ is not None
    assert body.channel.from_.display_name == expected
