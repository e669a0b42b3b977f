"""Helpers for the Web Messaging emulator suite: the schema check every frame and REST body goes through, a
raw guest over a real websocket (the `websockets` package, no client of ours).

Schema: `tests/reference/web-messaging/schema.json` (a copy of the shared contract) with only the relaxations
of protocol.md §14.1 that concern what a server emits: `name`/`message` are not required on the error bodies
(`GenerateUrlError`, `TooManyRequestsErrorMessage`, `ErrorMessage`).
"""

from __future__ import annotations

import asyncio
import copy
import json
import ssl
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import websockets

from webchat_tui.emulator import EmbeddedEmulator

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "reference" / "web-messaging" / "schema.json"
RELAXED_ERROR_BODIES = ("GenerateUrlError", "TooManyRequestsErrorMessage", "ErrorMessage")
WAIT = 15.0  # generous: the machine is shared; never a timing assertion


@cache
def _defs() -> dict[str, Any]:
    schema = json.loads(SCHEMA_PATH.read_text())
    defs: dict[str, Any] = copy.deepcopy(schema["$defs"])
    for name in RELAXED_ERROR_BODIES:
        defs[name]["required"] = [r for r in defs[name]["required"] if r not in ("name", "message")]
    return defs


@cache
def _validator(ref: str) -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator({"$defs": _defs(), "$ref": f"#/$defs/{ref}"})


def check(ref: str, data: Any) -> None:
    """Fail unless `data` validates against `#/$defs/{ref}` of the (relaxed) schema."""
    errors = sorted(_validator(ref).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        details = "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
        raise AssertionError(f"{ref} violates schema.json: {details}\n{json.dumps(data)[:2000]}")


def check_frame(frame: dict[str, Any]) -> None:
    """Every server frame: a `ServerFrame` (envelope plus the body model its `class` selects)."""
    check("ServerFrame", frame)


class WsGuest:
    """A raw guest socket: collects (and schema-checks) every frame; helpers to send requests and wait."""

    def __init__(self, ws: Any, token: str, deployment_id: str) -> None:
        self.ws = ws
        self.token = token
        self.deployment_id = deployment_id
        self.frames: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls,
        emu: EmbeddedEmulator,
        deployment_id: str,
        token: str | None = None,
        *,
        origin: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> WsGuest:
        """Connect to `/v1?deploymentId=...` (raises `websockets.InvalidStatus` on a refused upgrade)."""
        url = f"{emu.messaging_ws_url}?deploymentId={deployment_id}&application=raw-test"
        headers = {"Origin": origin} if origin else None
        ws = await websockets.connect(url, additional_headers=headers, max_size=None, ssl=ssl_context)
        return cls(ws, token or str(uuid.uuid4()), deployment_id)

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                frame = json.loads(text)
                try:
                    check_frame(frame)
                except AssertionError as exc:
                    self.errors.append(str(exc))
                self.frames.append(frame)
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.closed.set()
            self._changed.set()

    async def send(self, action: str, **fields: Any) -> str:
        """Send one request (the token is added); returns its tracingId."""
        tracing_id = fields.pop("tracingId", None) or str(uuid.uuid4())
        request = {
            "action": action,
            "token": fields.pop("token", self.token),
            "tracingId": tracing_id,
            **fields,
        }
        await self.ws.send(json.dumps(request))
        return tracing_id

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool], start: int = 0) -> dict[str, Any]:
        """The first frame (from index `start`) matching `predicate`; fails after WAIT seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        index = start
        while True:
            assert not self.errors, self.errors[0]
            while index < len(self.frames):
                frame = self.frames[index]
                index += 1
                if predicate(frame):
                    return frame
            if self.closed.is_set():
                raise AssertionError(
                    f"socket closed ({self.close_code}) before the frame came: {self.frames[-5:]}"
                )
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"frame not seen within {WAIT} s; last frames: {self.frames[-5:]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    async def request(self, action: str, **fields: Any) -> dict[str, Any]:
        """Send and return the frame carrying the same tracingId (the answer or the echo)."""
        start = len(self.frames)
        tracing_id = await self.send(action, **fields)
        return await self.wait_for(lambda f: f.get("tracingId") == tracing_id, start)

    async def configure(self, *, start_new: bool = False, deployment_id: str | None = None) -> dict[str, Any]:
        """configureSession; returns the answer frame."""
        fields: dict[str, Any] = {"deploymentId": deployment_id or self.deployment_id}
        if start_new:
            fields["startNew"] = True
        return await self.request("configureSession", **fields)

    async def say(self, text: str, **extra: Any) -> dict[str, Any]:
        """onMessage Text; returns the answer (the Inbound echo, or an error frame)."""
        return await self.request("onMessage", message={"type": "Text", "text": text}, **extra)

    async def jwt(self) -> str:
        """getJwt."""
        answer = await self.request("getJwt")
        assert answer["class"] == "JwtResponse", answer
        return str(answer["body"]["jwt"])

    def messages(self, start: int = 0) -> list[dict[str, Any]]:
        """StructuredMessage bodies received so far (from index `start`)."""
        return [f["body"] for f in self.frames[start:] if f["class"] == "StructuredMessage"]

    async def close(self) -> None:
        """Close the socket and stop reading."""
        await self.ws.close()
        await asyncio.wait_for(self.closed.wait(), WAIT)


def is_outbound_text(text: str | None = None) -> Callable[[dict[str, Any]], bool]:
    """Predicate: an Outbound StructuredMessage (with this text, if given)."""

    def pred(frame: dict[str, Any]) -> bool:
        body = frame.get("body")
        return (
            frame.get("class") == "StructuredMessage"
            and isinstance(body, dict)
            and body.get("direction") == "Outbound"
            and body.get("type") != "Event"
            and (text is None or body.get("text") == text)
        )

    return pred


def is_class(cls: str) -> Callable[[dict[str, Any]], bool]:
    """Predicate: a frame of this class."""
    return lambda frame: frame.get("class") == cls


def has_content(content_type: str) -> Callable[[dict[str, Any]], bool]:
    """Predicate: an Outbound message carrying a content item of this type."""

    def pred(frame: dict[str, Any]) -> bool:
        body = frame.get("body")
        if frame.get("class") != "StructuredMessage" or not isinstance(body, dict):
            return False
        return body.get("direction") == "Outbound" and any(
            c.get("contentType") == content_type for c in body.get("content") or []
        )

    return pred


def is_presence(kind: str, direction: str = "Outbound") -> Callable[[dict[str, Any]], bool]:
    """Predicate: a Presence event of this kind."""

    def pred(frame: dict[str, Any]) -> bool:
        body = frame.get("body")
        if frame.get("class") != "StructuredMessage" or not isinstance(body, dict):
            return False
        events = body.get("events") or []
        return body.get("direction") == direction and any(
            e.get("eventType") == "Presence" and e["presence"]["type"] == kind for e in events
        )

    return pred
