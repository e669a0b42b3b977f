"""Client hardening without a server (issue 8): frames that used to raise, the bounded per-client secret
registry, the redacting filter beside uvicorn's access log, and settings reprs without secrets."""

from __future__ import annotations

import gc
import io
import json
import logging

import pytest
from uvicorn.logging import AccessFormatter

from webchat_tui.api import WebChatClient, errors
from webchat_tui.api._redact import REDACTED, RedactingFilter, SecretRegistry, redact
from webchat_tui.api.events import MemberChangeEvent, UnknownEvent, parse_frame
from webchat_tui.api.models import WebChatMessage
from webchat_tui.api.validation import is_valid_id, parse_body
from webchat_tui.config import ChatSettings


@pytest.mark.parametrize(
    "frame",
    [
        '{"metadata":{"type":"member-change"},"eventBody":{"member":"x"}}',
        '{"metadata":{"type":"member-change"},"eventBody":{"member":[1,2]}}',
        '{"metadata":{"type":"member-change"},"eventBody":{"member":7}}',
        '{"a":' * 1000 + "1" + "}" * 1000,
        '{"metadata":{"type":"message"},"eventBody":' + '{"a":' * 1000 + "1" + "}" * 1001,
        "[" * 100_000,
        b"\xff\xfe",
    ],
    ids=["member-str", "member-list", "member-int", "1000-deep", "deep-body", "100k-open", "bad-utf8"],
)
def test_parse_frame_never_raises(frame: str | bytes) -> None:
    assert isinstance(parse_frame(frame), UnknownEvent)


def test_a_good_member_change_still_parses() -> None:
    frame = {
        "metadata": {"type": "member-change"},
        "eventBody": {"member": {"id": "m-1", "state": "CONNECTED"}},
    }
    event = parse_frame(json.dumps(frame))
    assert isinstance(event, MemberChangeEvent) and event.member_id == "m-1"


@pytest.mark.parametrize("good", ["a", "c0ffee00-0000-4000-8000-000000000001", "a.b", "x" * 128, "a:b~c_d-e"])
def test_valid_ids(good: str) -> None:
    assert is_valid_id(good)


@pytest.mark.parametrize(
    "bad", ["", ".", "..", "a/b", "/", "a\x00", "abc\n", "a\x9b", "a\u202e", "x" * 129, "a?b", 5]
)
def test_invalid_ids(bad: object) -> None:
    assert not is_valid_id(bad)


def test_a_pydantic_error_never_escapes_parsing() -> None:
    with pytest.raises(errors.InvalidResponseError) as caught:
        parse_body(WebChatMessage, {"id": "m1", "sender": "nobody", "timestamp": "never"}, 200, "op")
    assert "op: the response does not match the contract" in str(caught.value)
    assert "nobody" not in str(caught.value)  # input values are not echoed


def test_the_secret_registry_is_bounded_and_per_client() -> None:
    a = WebChatClient(base_url="http://127.0.0.1:9")
    b = WebChatClient(base_url="http://127.0.0.1:9")
    secrets = [f"guest-token-{i:06d}-abcdef" for i in range(10_000)]
    for i, secret in enumerate(secrets):
        a.set_guest_token(f"c{i}", secret)
    assert len(a.secrets) == a.secrets.maxsize < 10_000
    assert len(b.secrets) == 0
    assert redact(f"x {secrets[-1]} y") == f"x {REDACTED} y"  # the newest are kept
    b.set_guest_token("cb", "only-in-b-token-123456")
    assert "only-in-b-token-123456" not in redact("only-in-b-token-123456")
    del b
    gc.collect()
    # The registry went with its client: nothing of it is consulted any more.
    assert redact("only-in-b-token-123456") == "only-in-b-token-123456"


def test_registry_inserts_do_not_sort() -> None:
    registry = SecretRegistry(maxsize=4)
    for value in ("aaaaaa1", "bbbbbbbb2", "cccccc3", "dddddd4", "eeeeee5"):
        registry.add(value)
    assert len(registry) == 4
    assert registry.redact("aaaaaa1 eeeeee5") == f"aaaaaa1 {REDACTED}"  # the oldest was dropped


def test_redaction_keeps_uvicorn_access_log_working() -> None:
    registry = SecretRegistry()
    registry.add("ACCESS-LOG-SECRET-1234")
    logger = logging.getLogger("test.uvicorn.access.hardening")
    logger.propagate = False
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False)
    )
    errors_seen: list[logging.LogRecord] = []
    handler.handleError = errors_seen.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    logger.addFilter(RedactingFilter())
    logger.setLevel(logging.INFO)
    try:
        args = ("127.0.0.1:5000", "GET", "/stream?token=ACCESS-LOG-SECRET-1234", "1.1", 101)
        logger.info('%s - "%s %s HTTP/%s" %d', *args)
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5001", "GET", "/plain", "1.1", 200)
    finally:
        logger.removeHandler(handler)
    assert errors_seen == []
    text = stream.getvalue()
    assert "ACCESS-LOG-SECRET-1234" not in text and REDACTED in text
    assert '"GET /plain HTTP/1.1" 200' in text


def test_chat_settings_repr_hides_the_member_auth_token() -> None:
    settings = ChatSettings(display_name="Ada", member_auth_token="MEMBER-AUTH-SENTINEL-42")
    assert "MEMBER-AUTH-SENTINEL-42" not in repr(settings)
    assert settings.member_auth_token == "MEMBER-AUTH-SENTINEL-42"
