"""Test helpers for the emulator suite: a guest over real HTTP (httpx) plus a real websocket reader."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import websockets

from webchat_tui.emulator import EmbeddedEmulator

GUEST = "/api/v2/webchat/guest/conversations"


def create_body(emu: EmbeddedEmulator, queue: str = "Support", **overrides: Any) -> dict[str, Any]:
    """A valid create-conversation body for the seeded open deployment."""
    body: dict[str, Any] = {
        "organizationId": emu.seed.organization_id,
        "deploymentId": emu.seed.deployment_id,
        "routingTarget": {"targetType": "QUEUE", "targetAddress": queue},
        "memberInfo": {"displayName": "Jane Guest"},
    }
    body.update(overrides)
    return body


class Guest:
    """One guest chat: REST calls with its JWT and (after `connect()`) a websocket whose frames are
    collected."""

    def __init__(self, emu: EmbeddedEmulator, http: httpx.AsyncClient, created: dict[str, Any]) -> None:
        self.emu = emu
        self.http = http
        self.created = created
        self.cid: str = created["id"]
        self.mid: str = created["member"]["id"]
        self.jwt: str = created["jwt"]
        self.auth = {"Authorization": f"Bearer {self.jwt}"}
        self.frames: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self.ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._changed = asyncio.Event()

    @classmethod
    async def create(
        cls,
        emu: EmbeddedEmulator,
        http: httpx.AsyncClient,
        queue: str = "Support",
        connect: bool = True,
        **overrides: Any,
    ) -> Guest:
        """Create a chat (and attach its socket unless `connect=False`)."""
        response = await http.post(GUEST, json=create_body(emu, queue, **overrides))
        assert response.status_code == 200, response.text
        guest = cls(emu, http, response.json())
        if connect:
            await guest.connect()
        return guest

    async def connect(self) -> None:
        """Open the websocket at `eventStreamUri` and start collecting frames."""
        self.ws = await websockets.connect(self.created["eventStreamUri"], max_size=None)
        self.closed = asyncio.Event()
        self._reader = asyncio.create_task(self._read(self.ws))

    async def _read(self, ws: Any) -> None:
        try:
            async for text in ws:
                self.raw.append(text)
                self.frames.append(json.loads(text))
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = ws.close_code
            self.closed.set()
            self._changed.set()

    async def close(self) -> None:
        """Close the socket."""
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await self._reader

    async def wait_for(self, predicate: Callable[[list[dict[str, Any]]], Any], timeout: float = 10.0) -> Any:
        """Wait until `predicate(frames)` is truthy (event driven, with a generous timeout)."""

        async def loop() -> Any:
            while True:
                value = predicate(self.frames)
                if value:
                    return value
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(loop(), timeout)

    async def wait_frame(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        """The first collected frame matching `predicate`."""
        result: dict[str, Any] = await self.wait_for(
            lambda frames: next((f for f in frames if predicate(f)), None), timeout
        )
        return result

    def messages(self, body_type: str | None = None) -> list[dict[str, Any]]:
        """eventBodies of collected `message` frames."""
        return [
            f["eventBody"]
            for f in self.frames
            if f.get("metadata", {}).get("type") == "message"
            and (body_type is None or f["eventBody"]["bodyType"] == body_type)
        ]

    def member_changes(self) -> list[tuple[str, str]]:
        """(memberId, state) of collected member-change frames, in order."""
        return [
            (f["eventBody"]["member"]["id"], f["eventBody"]["member"]["state"])
            for f in self.frames
            if f.get("metadata", {}).get("type") == "member-change"
        ]

    # REST shortcuts -----------------------------------------------------------------------------------------
    async def send(self, body: str, body_type: str | None = None) -> httpx.Response:
        """POST a message as this guest."""
        payload: dict[str, Any] = {"body": body}
        if body_type is not None:
            payload["bodyType"] = body_type
        return await self.http.post(
            f"{GUEST}/{self.cid}/members/{self.mid}/messages", json=payload, headers=self.auth
        )

    async def typing(self) -> httpx.Response:
        """POST typing as this guest."""
        return await self.http.post(f"{GUEST}/{self.cid}/members/{self.mid}/typing", headers=self.auth)

    async def get(self, path: str, **params: Any) -> httpx.Response:
        """GET a path under this conversation."""
        return await self.http.get(f"{GUEST}/{self.cid}{path}", params=params or None, headers=self.auth)

    async def leave(self) -> httpx.Response:
        """DELETE this guest member."""
        return await self.http.delete(f"{GUEST}/{self.cid}/members/{self.mid}", headers=self.auth)


def is_msg(frame: dict[str, Any], body_type: str | None = None, sender: str | None = None) -> bool:
    """Is this a `message` frame (optionally of a body type / from a sender)?"""
    if frame.get("metadata", {}).get("type") != "message":
        return False
    body = frame["eventBody"]
    return (body_type is None or body["bodyType"] == body_type) and (
        sender is None or body["sender"]["id"] == sender
    )


def is_member(frame: dict[str, Any], member_id: str | None = None, state: str | None = None) -> bool:
    """Is this a `member-change` frame (optionally for a member / state)?"""
    if frame.get("metadata", {}).get("type") != "member-change":
        return False
    member = frame["eventBody"]["member"]
    return (member_id is None or member["id"] == member_id) and (state is None or member["state"] == state)


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is a vendor ErrorBody with this status and code, and the correlation header matches."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["status"] == status
    assert body["details"] == [] and body["errors"] == []
    assert body["contextId"] == response.headers["inin-correlation-id"]
    assert "detail" not in body
    return body


async def connected_guest(emu: EmbeddedEmulator, http: httpx.AsyncClient, control: Any) -> Guest:
    """A guest whose socket is attached and whose chat an agent has joined (auto agent off: nothing else
    happens unless the test drives it through `control`)."""
    control.set_config(autoAgent=False)
    guest = await Guest.create(emu, http)
    await guest.wait_frame(lambda f: is_member(f, guest.mid, "CONNECTED"))
    control.connect(guest.cid)
    await guest.wait_frame(lambda f: is_msg(f, "member-join"))
    return guest
