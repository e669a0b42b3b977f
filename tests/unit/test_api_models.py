"""Pure unit tests of the api layer: models, events, errors, validation, regions, retry maths, redaction."""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime, timedelta

import pytest

from webchat_tui.api import errors
from webchat_tui.api._redact import REDACTED, RedactingFilter, Secret, redact, register_secret
from webchat_tui.api._retry import OpClass, RetryPolicy, backoff_delay, parse_retry_after, status_is_retryable
from webchat_tui.api.events import (
    HeartbeatEvent,
    MemberChangeEvent,
    MessageEvent,
    PongEvent,
    SocketClosingEvent,
    TypingEvent,
    UnknownEvent,
    message_from_rest,
    parse_frame,
)
from webchat_tui.api.models import (
    BodyType,
    CreateWebChatConversationRequest,
    CreateWebChatConversationResponse,
    ErrorBody,
    GuestMemberInfo,
    MemberRole,
    WebChatDeployment,
    WebChatGuestMediaRequest,
    WebChatMemberInfo,
    WebChatMessage,
    WebChatRoutingTarget,
)
from webchat_tui.api.regions import REGIONS, resolve_environment
from webchat_tui.api.stream import ReconnectPolicy
from webchat_tui.api.validation import validate_member_info, validate_message_body

# --- models ----------


def test_request_serialises_camel_case_without_nones() -> None:
    request = CreateWebChatConversationRequest(
        organization_id="o",
        deployment_id="d",
        routing_target=WebChatRoutingTarget(target_address="Support", skills=["English"]),
        member_info=GuestMemberInfo(display_name="Ada", custom_fields={"orderId": "42"}),
    )
    assert request.to_wire() == {
        "organizationId": "o",
        "deploymentId": "d",
        "routingTarget": {"targetType": "QUEUE", "targetAddress": "Support", "skills": ["English"]},
        "memberInfo": {"displayName": "Ada", "customFields": {"orderId": "42"}},
    }


def test_models_accept_both_names_and_keep_unknown_fields() -> None:
    info = WebChatMemberInfo.model_validate({"id": "m", "displayName": "A", "role": "AGENT", "newField": 7})
    assert info.display_name == "A"
    assert info.role is MemberRole.AGENT
    assert info.to_wire()["newField"] == 7
    assert WebChatMemberInfo(display_name="B").display_name == "B"


def test_unknown_enum_values_are_kept_as_strings_and_known_ones_any_case() -> None:
    info = WebChatMemberInfo.model_validate({"id": "m", "role": "SUPERVISOR", "state": "connected"})
    assert info.role == "SUPERVISOR" and not isinstance(info.role, MemberRole)
    assert info.state == "CONNECTED"
    message = WebChatMessage.model_validate(
        {
            "id": "1",
            "sender": {"id": "s"},
            "body": "x",
            "bodyType": "rich-card",
            "timestamp": "2019-06-18T16:59:22.277Z",
        }
    )
    assert message.body_type == "rich-card"
    assert (
        WebChatMessage.model_validate(
            {
                "id": "1",
                "sender": {"id": "s"},
                "body": "x",
                "bodyType": "notice",
                "timestamp": "2019-06-18T16:59:22Z",
            }
        ).body_type
        is BodyType.NOTICE
    )
    assert WebChatGuestMediaRequest.model_validate({"types": ["HOLOGRAM"], "state": "PENDING"}).types == [
        "HOLOGRAM"
    ]


def test_remote_text_is_sanitised_when_parsed() -> None:
    message = WebChatMessage.model_validate(
        {
            "id": "1",
            "sender": {"id": "s"},
            "body": "hi\x1b[2J\u202ethere\nnext",
            "timestamp": "2019-06-18T16:59:22Z",
        }
    )
    assert message.body == "hi[2Jthere\nnext"
    assert WebChatMemberInfo.model_validate({"displayName": "Ev\x07il\nName"}).display_name == "Evil Name"


def test_secrets_are_not_in_reprs() -> None:
    created = CreateWebChatConversationResponse.model_validate(
        {
            "id": "c",
            "jwt": "SENTINEL-JWT-123",
            "eventStreamUri": "wss://x/v1/token/SENTINEL-JWT-123",
            "member": {},
        }
    )
    assert "SENTINEL" not in repr(created) and "SENTINEL" not in str(created)
    request = CreateWebChatConversationRequest(
        organization_id="o",
        deployment_id="d",
        routing_target=WebChatRoutingTarget(target_address="Q"),
        member_info=GuestMemberInfo(display_name="A"),
        member_auth_token="SENTINEL-AUTH-456",
    )
    assert "SENTINEL" not in repr(request)
    assert "SENTINEL" not in repr(Secret("SENTINEL-SECRET-789"))


def test_admin_models_round_trip() -> None:
    data = {
        "name": "d",
        "webChatConfig": {"webChatSkin": "basic"},
        "allowedDomains": ["example.com"],
        "flow": {"id": "f"},
        "authenticationRequired": False,
    }
    assert WebChatDeployment.model_validate(data).to_wire() == data


def test_error_body_nested() -> None:
    body = ErrorBody.model_validate(
        {
            "status": 400,
            "code": "bad.request",
            "errors": [{"code": "inner"}],
            "details": [{"fieldName": "body"}],
            "limit": {"namespace": "webchat"},
        }
    )
    assert body.errors and body.errors[0].code == "inner"
    assert body.details and body.details[0].field_name == "body"


# --- stream events ----------

_MESSAGE = (
    '{"topicName":"v2.conversations.chats.C.messages","version":"2","eventBody":{"id":"M1","conversation":{"id":"C"},'
    '"sender":{"id":"A"},"body":"Hi\\u001b[31m","bodyType":"standard","timestamp":"2019-06-18T16:59:22.277Z"},'
    '"metadata":{"CorrelationId":"x","type":"message"}}'
)


def test_parse_frames_into_the_union() -> None:
    message = parse_frame(_MESSAGE)
    assert message == MessageEvent("M1", "A", "Hi[31m", "standard", "2019-06-18T16:59:22.277Z", "C")
    typing = parse_frame(
        json.dumps(
            {
                "topicName": "v2.conversations.chats.C.messages",
                "version": "2",
                "eventBody": {
                    "id": "T",
                    "conversation": {"id": "C"},
                    "sender": {"id": "A"},
                    "timestamp": "t",
                },
                "metadata": {"type": "typing-indicator"},
            }
        )
    )
    assert typing == TypingEvent("T", "A", "t", "C")
    member = parse_frame(
        json.dumps(
            {
                "topicName": "v2.conversations.chats.C.members",
                "version": "2",
                "eventBody": {
                    "conversation": {"id": "C"},
                    "member": {"id": "G", "state": "CONNECTED"},
                    "timestamp": "t",
                },
                "metadata": {"type": "member-change"},
            }
        )
    )
    assert member == MemberChangeEvent("G", "CONNECTED", "t", "C")
    heartbeat = '{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}'
    assert isinstance(parse_frame(heartbeat), HeartbeatEvent)
    assert isinstance(
        parse_frame('{"topicName":"channel.metadata","eventBody":{"message":"pong"}}'), PongEvent
    )
    assert isinstance(
        parse_frame('{"topicName":"v2.system.socket_closing","eventBody":{}}'), SocketClosingEvent
    )


def test_unknown_and_malformed_frames_are_kept_not_raised() -> None:
    unknown = parse_frame('{"topicName":"v2.other","eventBody":{"x":1},"metadata":{"type":"presence"}}')
    assert (
        isinstance(unknown, UnknownEvent)
        and unknown.type == "presence"
        and unknown.data["eventBody"] == {"x": 1}
    )
    assert isinstance(parse_frame("not json"), UnknownEvent)
    assert isinstance(parse_frame('{"metadata":{"type":"message"},"eventBody":{"id":"x"}}'), UnknownEvent)
    assert isinstance(parse_frame("[1,2]"), UnknownEvent)


def test_message_from_rest() -> None:
    event = message_from_rest(
        {"id": "M", "sender": {"id": "S"}, "body": "b", "bodyType": "notice", "timestamp": "t"}
    )
    assert event == MessageEvent("M", "S", "b", "notice", "t", "")
    assert message_from_rest({"body": "no id"}) is None


# --- errors ----------


def test_error_classes_by_status_and_code() -> None:
    body = {
        "message": "Conversation State",
        "code": "chat.error.conversation.state",
        "status": 400,
        "messageParams": {"message": "The conversation is not active"},
        "contextId": "ctx",
    }
    error = errors.error_from_response(400, body, correlation_id="corr")
    assert isinstance(error, errors.BadRequestError)
    assert (error.status, error.code, error.correlation_id) == (400, "chat.error.conversation.state", "corr")
    assert error.message_params == {"message": "The conversation is not active"}
    assert "not active" in error.message
    expired = errors.error_from_response(401, {"code": "credentials.expired", "message": "expired"})
    assert isinstance(expired, errors.SessionExpired) and isinstance(expired, errors.AuthenticationError)
    limited = errors.error_from_response(429, {"code": "too.many.requests.retry.after"}, retry_after=3.0)
    assert isinstance(limited, errors.RateLimitError) and limited.retry_after == 3.0
    for status, cls in [
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (409, errors.ConflictError),
        (500, errors.InternalServerError),
        (502, errors.ServerError),
        (503, errors.ServiceUnavailableError),
        (504, errors.GatewayTimeoutError),
    ]:
        assert type(errors.error_from_response(status, None)) is cls
    assert errors.error_from_response(400, None).correlation_id is None
    assert errors.error_from_response(400, {"contextId": "c2"}).correlation_id == "c2"


def test_network_errors_are_not_http_errors() -> None:
    assert not issubclass(errors.NetworkError, errors.ApiError)
    assert issubclass(errors.ApiTimeoutError, errors.NetworkError)
    assert issubclass(errors.ClientValidationError, ValueError)
    error = errors.ClientValidationError("memberInfo.email", "is not valid")
    assert (error.field, error.reason) == ("memberInfo.email", "is not valid")


def test_error_text_never_contains_registered_secrets() -> None:
    register_secret("SENTINEL-IN-ERROR-0001")
    error = errors.error_from_response(401, {"message": "bad token SENTINEL-IN-ERROR-0001"})
    assert "SENTINEL" not in str(error) and "SENTINEL" not in repr(error)


# --- validation ----------


@pytest.mark.parametrize(
    ("body", "reason"),
    [("", "must not be empty"), ("   \n", "must not be empty"), ("x" * 4001, "maximum is 4000")],
)
def test_message_body_validation(body: str, reason: str) -> None:
    with pytest.raises(errors.ClientValidationError) as info:
        validate_message_body(body)
    assert info.value.field == "body" and reason in info.value.reason


def test_message_body_limits_accept_4000() -> None:
    validate_message_body("x" * 4000)


@pytest.mark.parametrize(
    ("info", "field"),
    [
        (GuestMemberInfo(display_name=" "), "memberInfo.displayName"),
        (GuestMemberInfo(display_name="A", email="not-an-email"), "memberInfo.email"),
        (GuestMemberInfo(display_name="A", phone_number="call me"), "memberInfo.phoneNumber"),
        (
            GuestMemberInfo(display_name="A", avatar_image_url="javascript:alert(1)"),
            "memberInfo.avatarImageUrl",
        ),
    ],
)
def test_member_info_validation(info: GuestMemberInfo, field: str) -> None:
    with pytest.raises(errors.ClientValidationError) as caught:
        validate_member_info(info)
    assert caught.value.field == field


def test_member_info_valid() -> None:
    validate_member_info(
        GuestMemberInfo(
            display_name="Ada",
            email="ada@example.com",
            phone_number="+1 555 0100",
            avatar_image_url="https://example.com/a.png",
        )
    )


# --- regions ----------


def test_all_17_regions_resolve() -> None:
    assert len(REGIONS) == 17
    hosts = [r.env_host for r in REGIONS]
    assert hosts[0] == "mypurecloud.com" and hosts[-1] == "apse1.pure.cloud"
    for region in REGIONS:
        assert resolve_environment(region.env_host) == region
        assert resolve_environment(f"api.{region.env_host}") == region
        assert resolve_environment(f"https://api.{region.env_host}/") == region
        assert resolve_environment(region.key) == region
        assert region.api_url == f"https://api.{region.env_host}"
        assert region.login_url == f"https://login.{region.env_host}"


def test_unknown_region_is_a_validation_error() -> None:
    with pytest.raises(errors.ClientValidationError) as info:
        resolve_environment("mypurecloud.moon")
    assert info.value.field == "environment"


# --- retry maths ----------


def test_full_jitter_backoff_is_bounded_and_grows() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    rng = random.Random(1)
    for attempt in range(10):
        ceiling = min(8.0, 0.5 * 2**attempt)
        delays = [backoff_delay(attempt, policy, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # full jitter spans the range


def test_retry_after_parsing() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.25") == 0.25
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = datetime(2026, 1, 1, tzinfo=UTC)
    when = (now + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(when, now=now) == 30.0


def test_retry_classes() -> None:
    assert status_is_retryable(OpClass.SAFE, 503) and status_is_retryable(OpClass.SAFE, 408)
    assert not status_is_retryable(OpClass.SAFE, 409) and not status_is_retryable(OpClass.SAFE, 400)
    assert status_is_retryable(OpClass.IDEMPOTENT, 500)
    assert status_is_retryable(OpClass.NON_IDEMPOTENT, 429) and status_is_retryable(
        OpClass.NON_IDEMPOTENT, 503
    )
    assert not status_is_retryable(OpClass.NON_IDEMPOTENT, 500)
    assert not status_is_retryable(OpClass.EPHEMERAL, 429)


def test_reconnect_backoff_does_not_reset_for_short_lived_connections() -> None:
    policy = ReconnectPolicy(base=0.5, cap=30.0, stable_after=10.0, rng=random.Random(3))
    delays = []
    for _ in range(8):
        policy.connection_ended(uptime=0.05)  # dies right after opening
        delays.append(policy.next_delay())
    ceilings = [min(30.0, 0.5 * 2**i) for i in range(8)]
    assert all(c * 0.1 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert sum(delays) > 10.0  # not a tight loop: eight quick deaths cost well over 10 s of waiting
    policy.connection_ended(uptime=60.0)
    assert policy.attempt == 0


# --- redaction ----------


def test_redact_patterns_and_registry() -> None:
    register_secret("REGISTERED-SECRET-42")
    text = redact(
        "Authorization: Bearer abc.def.ghijklmnop "
        "GET wss://h/v1/token/eyJhbGciOiJIUzI1NiJ9"
        ".eyJzdWIiOiJ4In0.sig "
        "access_token=zzz123456 and REGISTERED-SECRET-42"
    )
    assert (
        "abc.def" not in text and "eyJ" not in text and "zzz123456" not in text and "REGISTERED" not in text
    )
    assert REDACTED in text


def test_redacting_filter_rewrites_records() -> None:
    register_secret("FILTER-SECRET-777")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s used", ("FILTER-SECRET-777",), None)
    assert RedactingFilter().filter(record)
    assert "FILTER-SECRET" not in record.getMessage()


@pytest.mark.parametrize(
    "body",
    [
        {"id": 7, "sender": {"id": "s"}, "body": "x"},
        {"id": None, "sender": {"id": "s"}, "body": "x"},
        {"id": "", "sender": {"id": "s"}, "body": "x"},
        {"id": "m", "sender": {"id": ["s"]}, "body": "x"},
        {"id": "m", "sender": "s", "body": "x"},
    ],
)
def test_a_message_frame_with_malformed_ids_is_unknown_not_a_message(body: dict[str, object]) -> None:
    """Ids become REST cursors and member lookups: a non-string id must not reach them (it made the
    session's backfill raise and end the chat)."""
    frame = json.dumps({"topicName": "t.messages", "eventBody": body, "metadata": {"type": "message"}})
    assert isinstance(parse_frame(frame), UnknownEvent)
    assert message_from_rest(body) is None  # type: ignore[arg-type]


def test_non_string_timestamps_and_member_states_are_dropped_not_kept() -> None:
    frame = json.dumps(
        {
            "topicName": "t.messages",
            "eventBody": {"id": "m", "sender": {"id": "s"}, "body": "x", "timestamp": 1718000000},
            "metadata": {"type": "message"},
        }
    )
    message = parse_frame(frame)
    assert isinstance(message, MessageEvent) and message.timestamp == ""
    rest = message_from_rest({"id": "m", "sender": {"id": "s"}, "body": "x", "timestamp": ["x"]})
    assert rest is not None and rest.timestamp == ""
    member = parse_frame(
        json.dumps(
            {
                "topicName": "t.members",
                "eventBody": {"member": {"id": 5, "state": "CONNECTED"}},
                "metadata": {"type": "member-change"},
            }
        )
    )
    assert isinstance(member, UnknownEvent)
