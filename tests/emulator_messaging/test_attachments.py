"""Web Messaging attachments on the real emulator (protocol.md §8): onAttachment -> presigned PUT with the
given headers -> UploadSuccessEvent -> send -> echo with a download URL; refusals (blocked extension, type,
size), the content scan, getAttachment, deleteAttachment, and sending what was never uploaded.
"""

from __future__ import annotations

import httpx
import pytest

from tests.emulator_messaging.conftest import GuestFactory
from tests.emulator_messaging.helpers import WsGuest, is_class
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient

DATA = b"%PDF-1.4 a small test document\n" * 20


@pytest.fixture(autouse=True)
def quiet(control: ControlClient) -> None:
    """No bot replies in between."""
    control.set_config(autoAgent=False)


async def presign(g: WsGuest, name: str, mime: str, size: int) -> dict:  # type: ignore[type-arg]
    return await g.request("onAttachment", fileName=name, fileType=mime, fileSize=size, errorsAsJson=True)


async def test_round_trip(emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient) -> None:
    g = await guest()
    answer = await presign(g, "report.pdf", "application/pdf", len(DATA))
    assert answer["class"] == "PresignedUrlResponse" and answer["type"] == "response"
    body = answer["body"]
    assert body["headers"]["x-amz-tagging"] and body["url"].startswith(emu.base_url)
    async with httpx.AsyncClient(timeout=30) as http:
        unsigned = await http.put(body["url"], content=DATA)  # without the signed header
        assert unsigned.status_code == 403
        put = await http.put(
            body["url"], content=DATA, headers={**body["headers"], "Content-Type": "application/pdf"}
        )
        assert put.status_code == 200
        success = await g.wait_for(is_class("UploadSuccessEvent"))
        assert success["body"]["attachmentId"] == body["attachmentId"]
        echo = await g.request(
            "onMessage",
            message={
                "type": "Text",
                "text": "here it is",
                "content": [{"contentType": "Attachment", "attachment": {"id": body["attachmentId"]}}],
            },
        )
        assert echo["class"] == "StructuredMessage" and echo["body"]["direction"] == "Inbound"
        att = echo["body"]["content"][0]["attachment"]
        assert att["id"] == body["attachmentId"] and att["filename"] == "report.pdf"
        assert att["mediaType"] == "File" and att["mime"] == "application/pdf"
        downloaded = await http.get(att["url"])
        assert downloaded.status_code == 200 and downloaded.content == DATA
        fresh = await g.request("getAttachment", attachmentId=body["attachmentId"])
        assert fresh["class"] == "PresignedUrlResponse" and fresh["body"]["headers"] == {}
        assert (await http.get(fresh["body"]["url"])).content == DATA
        tampered = fresh["body"]["url"].replace("Signature=", "Signature=0")
        assert (await http.get(tampered)).status_code == 403
    again = await g.request(
        "onMessage",
        message={
            "type": "Text",
            "content": [{"contentType": "Attachment", "attachment": {"id": body["attachmentId"]}}],
        },
    )
    assert again["class"] == "string" and again["code"] == 4008
    sid = control.messaging_session_for(g.token)["id"]
    assert [r["action"] for r in control.messaging_record(sid)][-4:] == [
        "onAttachment",
        "onMessage",
        "getAttachment",
        "onMessage",
    ]


@pytest.mark.parametrize(
    ("name", "mime", "size", "code"),
    [
        ("setup.exe", "application/octet-stream", 100, 4001),
        ("SCRIPT.JS", "text/javascript", 100, 4001),
        ("empty.txt", "text/plain", 0, 4002),
        ("huge.bin", "application/octet-stream", 10_241_000, 4002),
        ("bad/name.txt", "text/plain", 10, 4004),
        ("x" * 252 + ".txt", "text/plain", 10, 4005),
    ],
)
async def test_refused_before_upload(
    emu: EmbeddedEmulator, guest: GuestFactory, name: str, mime: str, size: int, code: int
) -> None:
    g = await guest()
    answer = await presign(g, name, mime, size)
    assert answer["class"] == "GenerateUrlError" and answer["body"]["errorCode"] == code
    assert answer["body"]["errorMessage"]


async def test_type_outside_the_allowed_media(
    emu: EmbeddedEmulator, guest: GuestFactory, control: ControlClient
) -> None:
    control.patch_messaging_deployment(emu.messaging_deployment_id, fileTypes=["image/*"])
    g = await guest()
    assert g.frames[-1]["body"]["allowedMedia"]["inbound"]["fileTypes"] == [{"type": "image/*"}]
    assert (await presign(g, "a.pdf", "application/pdf", 10))["body"]["errorCode"] == 4001
    assert (await presign(g, "a.png", "image/png", 10))["class"] == "PresignedUrlResponse"


async def test_scanned_content_fails_and_cannot_be_sent(emu: EmbeddedEmulator, guest: GuestFactory) -> None:
    g = await guest()
    content = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    body = (await presign(g, "eicar.txt", "text/plain", len(content)))["body"]
    async with httpx.AsyncClient(timeout=30) as http:
        assert (await http.put(body["url"], content=content, headers=body["headers"])).status_code == 200
    failure = await g.wait_for(is_class("UploadFailureEvent"))
    assert failure["body"]["errorCode"] == 4003
    refused = await g.request(
        "onMessage",
        message={
            "type": "Text",
            "content": [{"contentType": "Attachment", "attachment": {"id": body["attachmentId"]}}],
        },
    )
    assert refused["code"] == 4010


async def test_delete_and_unknown_attachments(emu: EmbeddedEmulator, guest: GuestFactory) -> None:
    g = await guest()
    body = (await presign(g, "notes.txt", "text/plain", 5))["body"]
    not_uploaded = await g.request(
        "onMessage",
        message={
            "type": "Text",
            "content": [{"contentType": "Attachment", "attachment": {"id": body["attachmentId"]}}],
        },
    )
    assert not_uploaded["code"] == 4010
    deleted = await g.request("deleteAttachment", attachmentId=body["attachmentId"])
    assert (
        deleted["class"] == "AttachmentDeletedResponse"
        and deleted["body"]["attachmentId"] == body["attachmentId"]
    )
    gone = await g.request(
        "onMessage",
        message={
            "type": "Text",
            "content": [{"contentType": "Attachment", "attachment": {"id": body["attachmentId"]}}],
        },
    )
    assert gone["code"] == 4009
    assert (await g.request("getAttachment", attachmentId="nope"))["code"] == 4009
    async with httpx.AsyncClient(timeout=30) as http:
        late = await http.put(body["url"], content=b"hello", headers=body["headers"])
    assert late.status_code == 400


async def test_a_file_of_several_megabytes_goes_through(emu: EmbeddedEmulator, guest: GuestFactory) -> None:
    g = await guest()
    data = bytes(range(256)) * (3 * 1024 * 4)  # 3 MiB, over the 1 MB cap of ordinary request bodies
    body = (await presign(g, "photo.png", "image/png", len(data)))["body"]
    async with httpx.AsyncClient(timeout=60) as http:
        put = await http.put(body["url"], content=data, headers=body["headers"])
        assert put.status_code == 200, put.text
        success = await g.wait_for(is_class("UploadSuccessEvent"))
        assert (await http.get(success["body"]["downloadUrl"])).content == data
