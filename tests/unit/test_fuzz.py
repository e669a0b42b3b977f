"""Fuzzing (hypothesis) of what the network hands the client (issue 8): random and mutated event-stream frames
into the frame parser, random ErrorBody documents and header values into the error mapping the client uses for
every HTTP response, random bodies into the response models. Only typed exceptions may escape, and no string a
UI could show (event fields, `str`/`repr` of errors, their attributes, the TUI's error sentences) keeps a
terminal control."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webchat_tui.api import errors
from webchat_tui.api._error_mapping import api_error
from webchat_tui.api._transport import HttpResponse
from webchat_tui.api.events import UnknownEvent, message_from_rest, parse_frame
from webchat_tui.api.models import CreateWebChatConversationResponse, WebChatMemberInfo, WebChatMessage
from webchat_tui.api.validation import parse_body
from webchat_tui.sanitize import is_inert
from webchat_tui.tui.errors import describe_action_error, describe_start_error

PIECES = ["\x1b[", "\x1b]52;c;", "\x1b]8;;", "\x07", "\x9b", "\x9d", "\x9c", "\u202e", "\u2066", "\r", "\x00"]
PIECES += ["..", "/", "id", "m-1", "CONNECTED", "message", "member-change", "typing-indicator"]

text = st.one_of(
    st.text(max_size=30),
    st.lists(st.sampled_from(PIECES), max_size=6).map("".join),
    st.text(alphabet=st.characters(max_codepoint=0x3000), max_size=20),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(text, children, max_size=4)),
    max_leaves=25,
)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _frame(kind: str, body: dict[str, Any], topic: Any) -> str:
    return json.dumps({"topicName": topic, "metadata": {"type": kind}, "eventBody": body})


frame_bodies = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(text, json_values),
        "sender": st.one_of(st.fixed_dictionaries({"id": text}), json_values),
        "member": st.one_of(st.fixed_dictionaries({"id": text, "state": text}), json_values),
        "body": st.one_of(text, json_values),
        "bodyType": st.one_of(text, json_values),
        "timestamp": st.one_of(text, json_values),
        "conversation": st.one_of(st.fixed_dictionaries({"id": text}), json_values),
        "message": st.one_of(st.sampled_from(["WebSocket Heartbeat", "pong"]), text),
    },
)
frames = st.builds(
    _frame,
    st.one_of(st.sampled_from(["message", "typing-indicator", "member-change"]), text),
    frame_bodies,
    st.one_of(st.sampled_from(["channel.metadata", "v2.system.socket_closing"]), text, json_values),
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A well-formed frame with random bytes flipped, cut or inserted."""
    raw = bytearray(draw(frames).encode())
    for _ in range(draw(st.integers(1, 8))):
        if not raw:
            break
        at = draw(st.integers(0, len(raw) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            raw[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del raw[at:]
        else:
            raw[at:at] = draw(st.sampled_from([b"{", b"[", b'"', b"\x1b", b"\xc2\x9b", b"\\u001b"]))
    return bytes(raw)


def _event_strings(event: Any) -> list[str]:
    if isinstance(event, UnknownEvent):
        return [s for s in (event.topic, event.type) if s is not None]
    return [v for f in dataclasses.fields(event) if isinstance(v := getattr(event, f.name), str)]


@settings(max_examples=400, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(frames, mutated(), st.binary(max_size=200), json_values.map(json.dumps)))
def test_frames_never_raise_and_every_kept_string_is_inert(raw: str | bytes) -> None:
    event = parse_frame(raw)
    assert all(is_inert(s) for s in _event_strings(event))


@settings(max_examples=200, database=None, deadline=None)
@given(json_values)
def test_rest_messages_never_raise_and_are_inert(entity: Any) -> None:
    event = message_from_rest(entity) if isinstance(entity, dict) else None
    if event is not None:
        assert all(is_inert(s) for s in _event_strings(event))


error_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "message": st.one_of(text, json_values),
            "code": st.one_of(text, json_values),
            "status": json_values,
            "messageWithParams": st.one_of(text, json_values),
            "messageParams": st.one_of(st.dictionaries(text, text, max_size=3), json_values),
            "contextId": st.one_of(text, json_values),
            "entityId": text,
            "details": json_values,
            "errors": json_values,
        },
    ),
)
header_values = st.one_of(text, st.sampled_from(["5", "0.5", "Wed, 21 Oct 2015 07:28:00 GMT"]))


@settings(max_examples=300, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([300, 302, 307, 400, 401, 403, 404, 408, 409, 413, 429, 500, 502, 503, 504, 599]),
    st.one_of(error_bodies.map(lambda b: json.dumps(b).encode()), st.binary(max_size=50)),
    st.dictionaries(st.sampled_from(["inin-correlation-id", "retry-after", "x-other"]), header_values),
)
def test_every_error_response_becomes_an_inert_typed_error(
    status: int, content: bytes, headers: dict[str, str]
) -> None:
    error = api_error("op", HttpResponse(status=status, headers=headers, content=content))
    assert isinstance(error, errors.ApiError)
    shown = [str(error), repr(error), error.message, *_strings(vars(error))]
    shown += [describe_start_error(error, queue="Support"), describe_action_error(error, "send the message")]
    assert all(is_inert(s) for s in shown), [ascii(s) for s in shown if not is_inert(s)]


@settings(max_examples=300, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([CreateWebChatConversationResponse, WebChatMessage, WebChatMemberInfo]),
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {},
            optional={
                "id": text,
                "jwt": text,
                "eventStreamUri": text,
                "member": json_values,
                "sender": st.fixed_dictionaries({"id": text, "displayName": text}),
                "body": text,
                "displayName": text,
                "timestamp": st.one_of(text, st.just("2026-01-01T00:00:00Z")),
                "customFields": st.dictionaries(text, text, max_size=3),
            },
        ),
    ),
)
def test_response_bodies_parse_inert_or_raise_a_typed_error(model: Any, data: Any) -> None:
    try:
        parsed = parse_body(model, data, 200, "op")
    except errors.InvalidResponseError as exc:
        assert is_inert(str(exc)) and is_inert(repr(exc))
        return
    assert all(is_inert(s) for s in _strings(parsed.model_dump()))
