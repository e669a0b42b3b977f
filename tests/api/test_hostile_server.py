"""The client against a hostile server (a small real server on 127.0.0.1, see `tests/api/hostile.py`): every
remote string inert, every malformed answer a typed `WebChatError`, paging bounded, ids checked, redirects
refused (issue 8, items 2, 3, 7, 8 and 16)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from tests.api.conftest import FAST_RETRY, FAST_STREAM, chat_request
from tests.api.hostile import (
    NASTY,
    HostileRequest,
    HostileServer,
    hostile_error_body,
    json_response,
    nasty,
    response,
)
from webchat_tui.api import StreamOptions, Timeouts, WebChatClient, errors
from webchat_tui.api.events import MessageEvent
from webchat_tui.api.paging import PageLimits
from webchat_tui.api.stream import EventStream, StreamStatus
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.sanitize import is_inert

CID = "c0ffee00-0000-4000-8000-000000000001"
GUEST = "9e570000-0000-4000-8000-000000000001"


def _strings(value: Any) -> Iterator[str]:
    """Every string inside ``value`` (keys included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


# Header values go out as raw UTF-8: C1 controls and bidi overrides are legal obs-text for HTTP parsers (ESC
# is not; see the next test), and the client decodes them back into the very characters they stand for.
HOSTILE_HEADERS = [
    (b"inin-correlation-id", "corr\x9b7777m\x9d52;c;SE9TVElMRQ==\x9c\u202eid".encode()),
    (b"Retry-After", "\u202e1".encode()),
    (b"x-evil", "\x9b31mvalue\u2066".encode()),
]


def assert_inert_error(exc: errors.WebChatError) -> None:
    for text in (str(exc), repr(exc), exc.message, *_strings(vars(exc))):
        assert is_inert(text), ascii(text)


async def test_error_body_and_headers_reach_the_client_inert() -> None:
    def handler(request: HostileRequest) -> bytes:
        return json_response(400, hostile_error_body(), HOSTILE_HEADERS)

    with HostileServer(handler) as server:
        async with WebChatClient(base_url=server.base_url, retry=FAST_RETRY) as client:
            with pytest.raises(errors.BadRequestError) as caught:
                await client.post_webchat_guest_conversations(_request())
    exc = caught.value
    assert_inert_error(exc)
    assert exc.code is not None and "evil.code" in exc.code  # the words survive, only the controls go
    assert exc.correlation_id is not None and exc.correlation_id.startswith("corr")
    assert "withParams" in exc.message and "param" in exc.message
    assert all(is_inert(s) for s in _strings(exc.body)) and "nested" in json.dumps(exc.body)


async def test_escape_and_osc_in_a_header_reach_the_client_inert() -> None:
    def handler(request: HostileRequest) -> bytes:
        return json_response(400, {}, [(b"inin-correlation-id", NASTY.encode())])

    with HostileServer(handler) as server:
        async with WebChatClient(base_url=server.base_url, retry=FAST_RETRY) as client:
            with pytest.raises(errors.WebChatError) as caught:
                await client.get_webchat_guest_conversation_member(CID, GUEST, jwt="x" * 20)
    assert_inert_error(caught.value)
    assert "52;c;SE9TVElMRQ==" in str(caught.value)  # shown as literal text, without its ESC and BEL


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"not json", "not a JSON object"),
        (b"[1, 2]", "not a JSON object"),
        (b"[" * 1000 + b"]" * 1000, "not a JSON object"),  # deeper than the JSON decoder's recursion limit
        (json.dumps({"id": 5, "jwt": [], "eventStreamUri": None, "member": "x"}).encode(), "contract"),
        (json.dumps({"id": "..", "jwt": "j" * 30, "eventStreamUri": "ws://x", "member": {}}).encode(), "id"),
    ],
    ids=["not-json", "array", "1000-deep", "wrong-types", "dot-dot-id"],
)
async def test_a_malformed_body_is_a_typed_error_never_a_pydantic_or_recursion_error(
    body: bytes, why: str
) -> None:
    def handler(request: HostileRequest) -> bytes:
        return response(200, body, [(b"Content-Type", b"application/json")])

    with HostileServer(handler) as server:
        async with WebChatClient(base_url=server.base_url, retry=FAST_RETRY) as client:
            with pytest.raises(errors.InvalidResponseError) as caught:
                await client.post_webchat_guest_conversations(_request())
    assert why in str(caught.value)
    assert_inert_error(caught.value)


async def test_a_dot_dot_conversation_id_never_sends_the_jwt_elsewhere() -> None:
    created = {
        "id": "..",
        "jwt": "hostile-jwt-" + "j" * 30,
        "eventStreamUri": "ws://127.0.0.1:1/x",
        "member": {"id": GUEST},
    }

    def handler(request: HostileRequest) -> bytes:
        return json_response(200, created)

    with HostileServer(handler) as server:
        async with WebChatClient(base_url=server.base_url, retry=FAST_RETRY) as client:
            with pytest.raises(errors.InvalidResponseError):
                await client.post_webchat_guest_conversations(_request())
            with pytest.raises(errors.ClientValidationError):
                await client.get_webchat_guest_conversation_members("..", jwt="x" * 20)
    assert [r.method for r in server.requests] == ["POST"]


@pytest.mark.parametrize("bad", [".", "..", "a/b", "a\x1bb", "a\nb", "x" * 129, "a b", "%2e%2e"])
def test_ids_that_would_change_the_path_are_refused(bad: str) -> None:
    client = WebChatClient(base_url="http://127.0.0.1:9")
    with pytest.raises(errors.ClientValidationError):
        client._guest_path(bad, "members")


async def test_every_path_segment_is_percent_encoded() -> None:
    def handler(request: HostileRequest) -> bytes:
        return json_response(200, {"id": "a:b~c", "state": "CONNECTED"})

    with HostileServer(handler) as server:
        async with WebChatClient(base_url=server.base_url, retry=FAST_RETRY) as client:
            await client.get_webchat_guest_conversation_member("conv:1", "a:b~c", jwt="x" * 20)
    assert server.requests[0].path == "/api/v2/webchat/guest/conversations/conv%3A1/members/a%3Ab~c"


async def test_a_redirect_is_an_error_not_a_success() -> None:
    def handler(request: HostileRequest) -> bytes:
        body = json.dumps({"id": GUEST, "displayName": "Mallory"}).encode()
        return response(
            302,
            body,
            [(b"Location", b"http://127.0.0.1:1/elsewhere"), (b"Content-Type", b"application/json")],
        )

    with HostileServer(handler) as server:
        async with WebChatClient(base_url=server.base_url, retry=FAST_RETRY) as client:
            with pytest.raises(errors.RedirectError) as caught:
                await client.get_webchat_guest_conversation_member(CID, GUEST, jwt="x" * 20)
    assert caught.value.status == 302 and len(server.requests) == 1


# ------------------------------------------------------------------------------------------------------------
# Backfill paging (item 7)


def _message(message_id: str) -> dict[str, Any]:
    return {
        "id": message_id,
        "sender": {"id": GUEST},
        "body": nasty("hello"),
        "bodyType": "standard",
        "timestamp": "2026-01-01T00:00:00.000Z",
    }


async def _pages(handler: Any, **limits: Any) -> tuple[Exception | None, int, HostileServer]:
    """Walk the message pages served by ``handler``; (error, messages seen, server)."""
    seen = 0
    error: Exception | None = None
    with HostileServer(handler) as server:
        async with WebChatClient(
            base_url=server.base_url, retry=FAST_RETRY, timeout=Timeouts(total=limits.pop("total", 30.0))
        ) as client:
            try:
                async for page in client.iter_message_event_pages(
                    CID, jwt="x" * 20, limits=PageLimits(**limits)
                ):
                    seen += len(page.items)
                    assert all(is_inert(m.body) for m in page.items)
            except Exception as exc:  # noqa: BLE001 - returned for the test to check its type
                error = exc
    return error, seen, server


async def test_endless_pages_are_capped_with_a_typed_error() -> None:
    counter = iter(range(10**9))

    def handler(request: HostileRequest) -> bytes:
        ids = [f"m{next(counter)}" for _ in range(100)]
        return json_response(200, {"entities": [_message(i) for i in ids], "next": "more"})

    error, seen, server = await _pages(handler, max_pages=20)
    assert isinstance(error, errors.PagingError) and "more than 20 pages" in str(error)
    assert seen == 2000 and len(server.requests) == 20


async def test_a_repeated_page_stops_the_walk() -> None:
    def handler(request: HostileRequest) -> bytes:
        return json_response(200, {"entities": [_message("m1"), _message("m2")], "next": "again"})

    error, _, server = await _pages(handler)
    assert isinstance(error, errors.PagingError) and "repeated" in str(error)
    assert len(server.requests) == 2  # the second answer repeats the cursor m2: nothing more is asked


async def test_a_trickled_response_gives_up_within_the_total_timeout() -> None:
    async def trickle(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(10_000):
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.05)

    error, _, _ = await _pages(lambda request: trickle, total=1.0)
    assert isinstance(error, errors.ApiTimeoutError)


async def test_a_message_id_with_a_slash_is_skipped_and_the_cursor_stays_usable() -> None:
    def handler(request: HostileRequest) -> bytes:
        if request.query.get("after") == ["m1"]:
            return json_response(200, {"entities": [_message("m3")]})
        return json_response(200, {"entities": [_message("m1"), _message("../m2/x")], "next": "more"})

    error, seen, server = await _pages(handler)
    assert error is None and seen == 2
    assert [r.query.get("after") for r in server.requests] == [None, ["m1"]]


# ------------------------------------------------------------------------------------------------------------
# The event stream (items 3 and 16)


async def test_malformed_frames_are_skipped_and_the_stream_lives_on(emu: EmbeddedEmulator) -> None:
    """REST backfill from the real emulator; frames from a hostile websocket server."""
    deep = '{"a":' * 1000 + "1" + "}" * 1000
    frames = [
        json.dumps({"topicName": "t", "metadata": {"type": "member-change"}, "eventBody": {"member": "x"}}),
        json.dumps({"topicName": "t", "metadata": {"type": "member-change"}, "eventBody": {"member": [1]}}),
        '{"metadata":{"type":"message"},"eventBody":' + deep + "}",
        deep,
        "[" * 5000,
        json.dumps({"metadata": {"type": "message"}, "eventBody": {"id": "../x", "sender": {"id": GUEST}}}),
        json.dumps(
            {
                "topicName": nasty("topic"),
                "metadata": {"type": "message"},
                "eventBody": {
                    "id": "after-the-junk",
                    "sender": {"id": GUEST},
                    "body": nasty("still alive"),
                    "bodyType": nasty("standard"),
                    "timestamp": nasty("2026"),
                },
            }
        ),
    ]

    async def hostile(ws: ServerConnection) -> None:
        for frame in frames:
            await ws.send(frame)
        await ws.wait_closed()

    async with serve(hostile, "127.0.0.1", 0) as ws_server:
        port = ws_server.sockets[0].getsockname()[1]
        async with WebChatClient(base_url=emu.base_url, retry=FAST_RETRY) as client:
            created = await client.post_webchat_guest_conversations(chat_request(emu))
            stream = EventStream(
                client,
                created.id,
                f"ws://127.0.0.1:{port}/stream",
                member_id=created.member.id,
                options=FAST_STREAM,
            )
            await stream.start()
            try:
                got: list[MessageEvent] = []
                while not any(m.id == "after-the-junk" for m in got):
                    batch = await asyncio.wait_for(stream.next_batch(), 20)
                    assert batch, "the stream closed"
                    assert not any(isinstance(i, StreamStatus) and i.status == "failed" for i in batch)
                    got += [i for i in batch if isinstance(i, MessageEvent)]
                alive = next(m for m in got if m.id == "after-the-junk")
                assert "still alive" in alive.body and is_inert(alive.body) and is_inert(alive.body_type)
                assert is_inert(alive.timestamp) and not stream.closed
            finally:
                await stream.close()


async def test_the_event_stream_never_follows_a_redirect(emu: EmbeddedEmulator) -> None:
    def elsewhere(request: HostileRequest) -> bytes:
        return response(404)

    with HostileServer(elsewhere) as other:

        def redirect(request: HostileRequest) -> bytes:
            return response(302, b"", [(b"Location", f"ws://127.0.0.1:{other.port}/stolen".encode())])

        with HostileServer(redirect) as server:
            async with WebChatClient(base_url=emu.base_url, retry=FAST_RETRY) as client:
                created = await client.post_webchat_guest_conversations(chat_request(emu))
                stream = EventStream(
                    client,
                    created.id,
                    f"ws://127.0.0.1:{server.port}/token/x",
                    member_id=created.member.id,
                    options=StreamOptions(reconnect_base=0.01, reconnect_max=0.05, start_attempts=2),
                )
                with pytest.raises(errors.StreamError) as caught:
                    await stream.start()
                await stream.close()
        assert "redirect" in str(caught.value)
        assert other.requests == []


def _request() -> Any:
    from webchat_tui.api.models import CreateWebChatConversationRequest, GuestMemberInfo, WebChatRoutingTarget

    return CreateWebChatConversationRequest(
        organization_id="org",
        deployment_id="dep",
        routing_target=WebChatRoutingTarget(target_address="Support"),
        member_info=GuestMemberInfo(display_name="Ada"),
    )
