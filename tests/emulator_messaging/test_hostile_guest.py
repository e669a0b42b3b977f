"""A hostile guest against the real Web Messaging emulator (raw websockets, no client of ours): it must
neither reach another guest's data nor grow the emulator's memory without bound, and no frame may take its
own socket down unanswered."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.emulator_messaging.conftest import GuestFactory
from tests.emulator_messaging.helpers import WsGuest, is_class
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient, ControlError
from webchat_tui.emulator.messaging import store as store_module
from webchat_tui.emulator.messaging.session import MAX_RECORD
from webchat_tui.emulator.server import MAX_WS_FRAME_BYTES


@pytest.fixture(autouse=True)
def quiet(control: ControlClient) -> None:
    """No bot replies in between."""
    control.set_config(autoAgent=False)


async def _upload(g: WsGuest, http: httpx.AsyncClient, data: bytes, **fields: str) -> dict:  # type: ignore[type-arg]
    answer = await g.request("onAttachment", fileType="text/plain", fileSize=len(data), **fields)
    assert answer["class"] == "PresignedUrlResponse", answer
    body = answer["body"]
    put = await http.put(body["url"], content=data, headers=body["headers"])
    assert put.status_code == 200
    await g.wait_for(is_class("UploadSuccessEvent"))
    return body  # type: ignore[no-any-return]


async def test_a_guest_cannot_take_over_another_guests_attachment_id(guest: GuestFactory) -> None:
    alice, mallory = await guest(), await guest()
    async with httpx.AsyncClient(timeout=30) as http:
        mine = await _upload(alice, http, b"alice's file", fileName="a.txt", attachmentId="alice-file-1")
        sent = await alice.request(
            "onMessage",
            message={
                "type": "Text",
                "text": "here",
                "content": [{"contentType": "Attachment", "attachment": {"id": mine["attachmentId"]}}],
            },
        )
        url = sent["body"]["content"][0]["attachment"]["url"]
        # Mallory read the id in a shared transcript and asks for an upload URL under it.
        taken = await mallory.request(
            "onAttachment", attachmentId="alice-file-1", fileName="b.txt", fileType="text/plain", fileSize=4
        )
        assert taken["class"] == "string" and taken["code"] == 400, taken
        assert (await http.get(url)).content == b"alice's file"
        fresh = await alice.request("getAttachment", attachmentId="alice-file-1")
        assert (await http.get(fresh["body"]["url"])).content == b"alice's file"
        # Nor may an id become a path: it is put into the presigned URLs.
        for bad in ("../../emulator/v1/info?", "a/b", "x" * 129, "é"):
            answer = await mallory.request(
                "onAttachment", attachmentId=bad, fileName="b.txt", fileType="text/plain", fileSize=4
            )
            assert answer["class"] == "string" and answer["code"] == 400, (bad, answer)


async def test_a_file_name_of_only_dots_is_refused(guest: GuestFactory) -> None:
    g = await guest()
    for name in ("..", ".", " . "):
        answer = await g.request("onAttachment", fileName=name, fileType="text/plain", fileSize=4)
        assert answer["class"] == "GenerateUrlError" and answer["body"]["errorCode"] == 4004, (name, answer)


async def test_a_deeply_nested_frame_is_answered_and_the_socket_lives(guest: GuestFactory) -> None:
    g = await guest()
    start = len(g.frames)
    await g.ws.send("[" * 100_000 + "]" * 100_000)
    refused = await g.wait_for(is_class("string"), start)
    assert refused["code"] == 400
    echo = await g.request("echo", message={"type": "Text", "text": "still here"})
    assert echo["body"]["text"] == "still here"


async def test_an_oversized_frame_closes_only_that_socket(emu: EmbeddedEmulator, guest: GuestFactory) -> None:
    g = await guest()
    big = json.dumps({"action": "echo", "token": g.token, "message": {"type": "Text", "text": "x"}})
    big = big[:-1] + ', "junk": "' + "j" * MAX_WS_FRAME_BYTES + '"}'
    await g.ws.send(big)
    await asyncio.wait_for(g.closed.wait(), 30)
    assert g.close_code == 1009  # message too big: never decoded, never recorded
    again = await guest(token=g.token)
    assert (await again.request("echo", message={"type": "Text", "text": "ok"}))["code"] == 200


async def test_the_request_record_is_bounded(guest: GuestFactory, control: ControlClient) -> None:
    g = await guest()
    sid = control.messaging_session_for(g.token)["id"]
    await g.request("echo", message={"type": "Text", "text": "big"}, junk="j" * 100_000)
    first = control.messaging_record(sid)[-1]
    assert first["request"] == {
        "action": "echo",
        "truncated": True,
        "frameChars": first["request"]["frameChars"],
    }
    for _ in range(MAX_RECORD):
        await g.send("echo", message={"type": "Text", "text": "ping"})
    last = await g.request("echo", message={"type": "Text", "text": "last"})
    record = control.messaging_record(sid)
    assert len(record) == MAX_RECORD and record[-1]["tracingId"] == last["tracingId"]


async def test_presence_join_counts_against_the_rate_limit(
    guest: GuestFactory, control: ControlClient
) -> None:
    g = await guest()
    sid = control.messaging_session_for(g.token)["id"]
    join = {"type": "Event", "events": [{"eventType": "Presence", "presence": {"type": "Join"}}]}
    tracing = [await g.send("onMessage", message=join) for _ in range(30)]
    answers = [await g.wait_for(lambda f, t=t: f.get("tracingId") == t) for t in tracing]  # type: ignore[misc]
    limited = [a for a in answers if a["class"] == "TooManyRequestsErrorMessage"]
    assert limited and limited[0]["body"]["errorCode"] == 4029
    kept = control.messaging_session(sid)["messageCount"]
    assert kept == len(answers) - len(limited) < 30


async def test_an_agent_burst_is_bounded_in_bytes(guest: GuestFactory, control: ControlClient) -> None:
    g = await guest()
    sid = control.messaging_session_for(g.token)["id"]
    with pytest.raises(ControlError) as refused:
        control.messaging_agent(sid, "messages", {"text": "x" * 1_000_000, "count": 51})
    assert refused.value.status == 400 and "MB" in str(refused.value)
    assert control.messaging_session(sid)["messageCount"] == 0
    assert len(control.messaging_agent_messages(sid, "fine", count=1_000)) == 1_000


async def test_a_malformed_button_response_is_refused_not_echoed(guest: GuestFactory) -> None:
    """The echo goes to every socket of the session and into history: it must match schema.json (the `guest`
    fixture checks every frame) and carry no guest-invented fields."""
    g = await guest()

    def answer(button: object) -> dict[str, object]:
        return {
            "type": "Structured",
            "text": "b",
            "content": [{"contentType": "ButtonResponse", "buttonResponse": button, "junk": [[[1]]]}],
        }

    for bad in ({}, {"type": 5, "text": "t", "payload": "p"}, {"type": "QuickReply", "text": "t"}, "x"):
        refused = await g.request("onMessage", message=answer(bad))
        assert refused["class"] == "string" and refused["code"] == 400, (bad, refused)
        await asyncio.sleep(0.6)  # under the 2 per second an onMessage is allowed
    good = {
        "type": "QuickReply",
        "text": "t",
        "payload": "p",
        "originatingMessageId": "m1",
        "extra": {"a": 1},
    }
    echo = await g.request("onMessage", message=answer(good))
    assert echo["body"]["content"] == [
        {
            "contentType": "ButtonResponse",
            "buttonResponse": {
                "type": "QuickReply",
                "text": "t",
                "payload": "p",
                "originatingMessageId": "m1",
            },
        }
    ]


async def test_minted_tokens_do_not_grow_the_session_table_without_bound(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One socket configures token after token: beyond the live-session cap the oldest session without a
    socket expires, and a forgotten session is unreachable by its token too (the caps are lowered here)."""
    monkeypatch.setattr(store_module, "MAX_LIVE_SESSIONS", 20)
    monkeypatch.setattr(store_module, "MAX_RETIRED_SESSIONS", 10)
    assert emu.app is not None
    store = emu.app.state.messaging
    control.reset()
    g = await guest(configure=False)
    first = None
    for i in range(60):
        answer = await g.request("configureSession", token=f"minted-{i}", deploymentId=g.deployment_id)
        assert answer["class"] == "SessionResponse"
        first = first or control.messaging_session_for("minted-0")["id"]
    sessions = control.messaging_sessions()
    assert sum(s["state"] in ("active", "readOnly") for s in sessions) <= 20
    assert len(sessions) <= 20 + 10 and len(store.by_token) <= 20 + 10
    assert first not in {s["id"] for s in sessions}


async def test_uploaded_files_are_bounded_in_memory(
    guest: GuestFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A guest uploading file after file (onAttachment is not rate-limited): past the budget (lowered here)
    the oldest files are forgotten, their URLs answer 404 and getAttachment 4009."""
    monkeypatch.setattr(store_module, "MAX_FILE_BYTES", 100_000)
    g = await guest()
    async with httpx.AsyncClient(timeout=30) as http:
        uploaded = [await _upload(g, http, bytes([65 + i]) * 40_000, fileName=f"f{i}.txt") for i in range(3)]
        urls = []
        for body in uploaded:
            answer = await g.request("getAttachment", attachmentId=body["attachmentId"])
            urls.append(answer["body"].get("url") if answer["class"] == "PresignedUrlResponse" else None)
        assert urls[0] is None  # forgotten: 4009
        assert [(await http.get(u)).content[:1] for u in urls[1:] if u] == [b"B", b"C"]


async def test_a_session_holds_a_bounded_number_of_attachments(
    guest: GuestFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "MAX_SESSION_ATTACHMENTS", 5)
    g = await guest()
    answers = [
        await g.request("onAttachment", fileName=f"f{i}.txt", fileType="text/plain", fileSize=4)
        for i in range(6)
    ]
    assert [a["class"] for a in answers] == ["PresignedUrlResponse"] * 5 + ["string"]
    assert answers[-1]["code"] == 400


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("deployments/{dep}", '{"messagesPerSecond": 1e400}'),
        ("deployments/{dep}", '{"messagesPerSecond": ' + "9" * 400 + "}"),
        ("deployments/{dep}", '{"durationSeconds": ' + "9" * 400 + "}"),
        ("deployments/{dep}", '{"maxFileSizeKB": 100000000000000000000}'),
        ("deployments/{dep}", '{"maxTextLength": 0}'),
        ("sessions/{sid}/ratelimit", '{"retryAfter": 1000000000000000000000000000000}'),
        ("sessions/{sid}/ratelimit", '{"count": -1}'),
    ],
)
async def test_messaging_control_numbers_are_finite_and_in_range(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient, path: str, body: str
) -> None:
    g = await guest()
    sid = control.messaging_session_for(g.token)["id"]
    url = f"{emu.base_url}/emulator/v1/messaging/" + path.format(dep=g.deployment_id, sid=sid)
    method = "PATCH" if path.startswith("deployments") else "POST"
    headers = {"Content-Type": "application/json", "X-Emulator-Token": emu.control_token}
    async with httpx.AsyncClient(timeout=30) as http:
        answer = await http.request(method, url, content=body, headers=headers)
    assert answer.status_code == 400 and answer.json()["code"] == "bad.request", answer.text
    deployment = next(d for d in control.messaging_deployments() if d["id"] == g.deployment_id)
    assert deployment["messagesPerSecond"] == 2.0 and deployment["maxFileSizeKB"] == 10240
