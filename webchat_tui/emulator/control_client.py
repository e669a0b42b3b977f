"""`ControlClient`: the one client of the emulator's control API (`/emulator/v1`), for tests, benchmarks
and tools. It sends the `X-Emulator-Token` header on every call.

Standard library only (`http.client`), so a benchmark worker that imports it starts fast. One keep-alive
connection per thread: the client may be shared by threads (e.g. `asyncio.to_thread` calls).
"""

from __future__ import annotations

import http.client
import json as _json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:
    from webchat_tui.emulator.server import EmbeddedEmulator

TOKEN_HEADER = "X-Emulator-Token"
CONTROL_PREFIX = "/emulator/v1"
_STALE_ERRORS = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
_UNSET: Any = object()


class ControlError(RuntimeError):
    """A control-API call answered with an HTTP error status (the vendor ErrorBody is in `body`)."""

    def __init__(self, method: str, path: str, status: int, body: bytes) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        text = body[:500].decode("utf-8", "replace")
        super().__init__(f"control API {method} {path} -> {status}: {text}")


@dataclass(frozen=True)
class ControlResponse:
    """A raw control-API response (for tests that check error statuses)."""

    status_code: int
    content: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        """The decoded JSON body (None when empty)."""
        return _json.loads(self.content) if self.content else None

    @property
    def text(self) -> str:
        """The body as text."""
        return self.content.decode("utf-8", "replace")


class ControlClient:
    """Sync client of one emulator's control API. `token` None sends no token (`--no-control-auth`);
    `cafile` is the PEM to trust for an `https://` emulator (its self-signed certificate)."""

    def __init__(
        self, base_url: str, token: str | None, *, timeout: float = 30.0, cafile: str | None = None
    ) -> None:
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"not an http(s):// emulator URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._https = url.scheme == "https"
        self._host = url.hostname
        self._port = url.port or (443 if self._https else 80)
        self._cafile = cafile
        self.token = token
        self.timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[http.client.HTTPConnection] = []

    def __repr__(self) -> str:
        return f"ControlClient({self.base_url!r})"  # never the token

    @classmethod
    def for_emulator(cls, emulator: EmbeddedEmulator, *, timeout: float = 30.0) -> ControlClient:
        """A client of an in-process emulator (its URL, token and, with TLS, its certificate)."""
        cafile = getattr(getattr(emulator, "tls", None), "cert", None)
        return cls(emulator.base_url, emulator.control_token, timeout=timeout, cafile=cafile)

    @classmethod
    def from_info(cls, info: Mapping[str, Any], *, timeout: float = 30.0) -> ControlClient:
        """A client from the emulator's JSON start line (`base_url`, `control_token`, `tls_cert`)."""
        return cls(
            str(info["base_url"]), info.get("control_token"), timeout=timeout, cafile=info.get("tls_cert")
        )

    # --- transport ---
    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        existing: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if existing is not None:
            return existing, True
        conn: http.client.HTTPConnection
        if self._https:
            import ssl

            context = ssl.create_default_context(cafile=self._cafile)
            conn = http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout, context=context)
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        self._local.conn = conn
        with self._lock:
            self._connections.append(conn)
        return conn, False

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()
            with self._lock:
                if conn in self._connections:
                    self._connections.remove(conn)

    def request(
        self,
        method: str,
        path: str,
        json: Any = _UNSET,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> ControlResponse:
        """One call to `/emulator/v1{path}`; returns the response whatever its status (raw access)."""
        full_path = CONTROL_PREFIX + path
        sent: dict[str, str] = {}
        if self.token is not None:
            sent[TOKEN_HEADER] = self.token
        body = content
        if json is not _UNSET:
            body = _json.dumps(json).encode()
            sent["Content-Type"] = "application/json"
        if headers:
            sent.update(headers)
        for attempt in (1, 2):
            conn, reused = self._connection()
            try:
                conn.request(method, full_path, body=body, headers=sent)
                response = conn.getresponse()
                data = response.read()
            except _STALE_ERRORS:
                # The server closed an idle keep-alive connection: retry once on a fresh one. A fresh
                # connection failing is a real error.
                self._drop_connection()
                if reused and attempt == 1:
                    continue
                raise
            except BaseException:
                self._drop_connection()
                raise
            if response.will_close:
                self._drop_connection()
            return ControlResponse(response.status, data, {k.lower(): v for k, v in response.getheaders()})
        raise AssertionError("unreachable")

    def call(self, method: str, path: str, json: Any = _UNSET) -> Any:
        """One call; the decoded JSON body (None for 204); `ControlError` for a status >= 400."""
        response = self.request(method, path, json)
        if response.status_code >= 400:
            raise ControlError(method, CONTROL_PREFIX + path, response.status_code, response.content)
        return response.json()

    def close(self) -> None:
        """Close every connection this client opened (from any thread)."""
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the control API ---
    def info(self) -> dict[str, Any]:
        """Seed info: the same keys as the standalone JSON line (secrets included)."""
        return self.call("GET", "/info")  # type: ignore[no-any-return]

    def reset(self) -> None:
        """Forget conversations, faults and records; re-seed deployments and settings."""
        self.call("POST", "/reset")

    def config(self) -> dict[str, Any]:
        """The runtime config (camelCase keys)."""
        return self.call("GET", "/config")  # type: ignore[no-any-return]

    def set_config(self, **changes: Any) -> dict[str, Any]:
        """Change runtime config with camelCase keys, e.g. `set_config(autoAgent=False)`; returns it."""
        return self.call("PUT", "/config", changes)  # type: ignore[no-any-return]

    def conversations(self) -> list[dict[str, Any]]:
        """Every conversation (`id, state, deploymentId, queue, members`)."""
        return list(self.call("GET", "/conversations")["entities"])

    def conversation(self, cid: str) -> dict[str, Any]:
        """One conversation summary (`ControlError` 404 when unknown)."""
        return self.call("GET", f"/conversations/{cid}")  # type: ignore[no-any-return]

    def record(self, cid: str) -> list[dict[str, Any]]:
        """The ordered event record of a conversation."""
        return list(self.call("GET", f"/conversations/{cid}/record")["events"])

    def agent_messages(
        self,
        cid: str,
        body: str | None = None,
        count: int | None = None,
        bodies: list[str] | None = None,
        body_type: str | None = None,
    ) -> list[str]:
        """The agent sends one message, `count` numbered copies, or `bodies` (a burst); returns the ids."""
        payload: dict[str, Any] = {}
        if bodies is not None:
            payload["bodies"] = bodies
        else:
            payload["body"] = body if body is not None else "Hello from the agent"
            if count is not None:
                payload["count"] = count
        if body_type is not None:
            payload["bodyType"] = body_type
        return list(self.call("POST", f"/conversations/{cid}/agent/messages", payload)["ids"])

    def agent_typing(self, cid: str) -> None:
        """The agent is typing."""
        self.call("POST", f"/conversations/{cid}/agent/typing")

    def media_request(self, cid: str, types: list[str] | None = None) -> dict[str, Any]:
        """The agent sends a media request; returns it."""
        return self.call(  # type: ignore[no-any-return]
            "POST", f"/conversations/{cid}/agent/mediarequests", {"types": types or ["SCREENSHARE"]}
        )

    def cancel_media_request(self, cid: str, mrid: str) -> dict[str, Any]:
        """The agent cancels a PENDING media request."""
        return self.call("POST", f"/conversations/{cid}/agent/mediarequests/{mrid}/cancel")  # type: ignore[no-any-return]

    def transfer(self, cid: str, to_agent: str | None = None) -> None:
        """Transfer to another agent (`to_agent` by name, else the next free one)."""
        self.call("POST", f"/conversations/{cid}/agent/transfer", {"toAgent": to_agent} if to_agent else {})

    def end(self, cid: str) -> None:
        """The agent ends the chat."""
        self.call("POST", f"/conversations/{cid}/agent/end")

    def connect(self, cid: str, agent_name: str | None = None) -> None:
        """Route a queued chat to an agent now (with `autoAgent` off)."""
        self.call(
            "POST", f"/conversations/{cid}/agent/connect", {"agentName": agent_name} if agent_name else {}
        )

    def faults(self) -> dict[str, Any]:
        """The active fault plan."""
        return self.call("GET", "/faults")  # type: ignore[no-any-return]

    def set_faults(self, plan: dict[str, Any]) -> dict[str, Any]:
        """Replace the fault plan; returns it."""
        return self.call("PUT", "/faults", plan)  # type: ignore[no-any-return]

    def clear_faults(self) -> None:
        """Clear the fault plan."""
        self.call("DELETE", "/faults")

    # --- Web Messaging (`/emulator/v1/messaging`, contract in `webchat_tui.emulator.messaging.control`) ---
    def messaging_sessions(
        self, *, deployment_id: str | None = None, token: str | None = None
    ) -> list[dict[str, Any]]:
        """Web Messaging sessions (`id, token, deploymentId, customAttributes, state, phase, ...`)."""
        query = {k: v for k, v in (("deploymentId", deployment_id), ("token", token)) if v is not None}
        path = "/messaging/sessions" + (f"?{urlencode(query)}" if query else "")
        return list(self.call("GET", path)["entities"])

    def messaging_session(self, sid: str) -> dict[str, Any]:
        """One session summary (`ControlError` 404 when unknown)."""
        return self.call("GET", f"/messaging/sessions/{sid}")  # type: ignore[no-any-return]

    def messaging_session_for(self, token: str) -> dict[str, Any]:
        """The latest session of a guest token (`LookupError` when it has none)."""
        found = self.messaging_sessions(token=token)
        if not found:
            raise LookupError("no Web Messaging session for this token")
        return found[-1]

    def messaging_record(self, sid: str) -> list[dict[str, Any]]:
        """Every request the guest sent, in order: `{action, tracingId, time, code, request}`."""
        return list(self.call("GET", f"/messaging/sessions/{sid}/record")["events"])

    def messaging_messages(self, sid: str) -> list[dict[str, Any]]:
        """The session's transcript (StructuredMessage bodies), oldest first."""
        return list(self.call("GET", f"/messaging/sessions/{sid}/messages")["entities"])

    def messaging_agent(self, sid: str, what: str, body: dict[str, Any] | None = None) -> Any:
        """`POST /messaging/sessions/{sid}/agent/{what}`: messages, quickreplies, card, carousel, datepicker,
        listpicker, attachment, typing, transfer, disconnect (bodies in the contract)."""
        return self.call("POST", f"/messaging/sessions/{sid}/agent/{what}", body or {})

    def messaging_agent_messages(
        self, sid: str, text: str, count: int = 1, *, bot: bool = False
    ) -> list[str]:
        """The agent (or the bot) sends `text`, or `count` numbered copies; returns the message ids."""
        body: dict[str, Any] = {"text": text, "count": count}
        if bot:
            body["bot"] = True
        return list(self.messaging_agent(sid, "messages", body)["ids"])

    def messaging_session_action(self, sid: str, what: str, body: dict[str, Any] | None = None) -> Any:
        """`POST /messaging/sessions/{sid}/{what}`: expire, clear, drop (`{"closeCode"}`), ratelimit
        (`{"count", "retryAfter"}`)."""
        return self.call("POST", f"/messaging/sessions/{sid}/{what}", body or {})

    def messaging_faults(self) -> dict[str, Any]:
        """The Web Messaging socket fault plan."""
        return self.call("GET", "/messaging/faults")  # type: ignore[no-any-return]

    def set_messaging_faults(self, **plan: Any) -> dict[str, Any]:
        """Replace the socket fault plan (`dropAfterFrames`, `duplicateEveryFrames`, `reorderEveryFrames`,
        `delayMs`, ...); returns it."""
        return self.call("PUT", "/messaging/faults", plan)  # type: ignore[no-any-return]

    def clear_messaging_faults(self) -> None:
        """No socket faults."""
        self.call("DELETE", "/messaging/faults")

    def messaging_deployments(self) -> list[dict[str, Any]]:
        """The Messenger deployments and their settings."""
        return list(self.call("GET", "/messaging/deployments")["entities"])

    def patch_messaging_deployment(self, deployment_id: str, **settings: Any) -> dict[str, Any]:
        """Change a deployment's settings (camelCase, e.g. `durationSeconds=60`); returns it."""
        return self.call("PATCH", f"/messaging/deployments/{deployment_id}", settings)  # type: ignore[no-any-return]

    # --- the agent desk (human agents; contract in `webchat_tui.emulator.routes.agent_feed`) ---
    def agents(self) -> dict[str, Any]:
        """The agent modes: `mode`, `humanFirstTimeout`, `queues` and `deployments` overrides."""
        return self.call("GET", "/agents")  # type: ignore[no-any-return]

    def set_agents(self, **settings: Any) -> dict[str, Any]:
        """Change the agent modes, e.g. `set_agents(mode="human")` or `set_agents(queues={"Sales": "human"})`
        (a None mode in a map removes the override); returns them."""
        return self.call("PUT", "/agents", settings)  # type: ignore[no-any-return]

    def desk(self) -> list[dict[str, Any]]:
        """Conversations waiting for a person or taken by one (`channel, id, state, guest, queue, ...`)."""
        return list(self.call("GET", "/agent/conversations")["entities"])

    def take(self, channel: str, cid: str, agent_name: str | None = None) -> dict[str, Any]:
        """A person takes a waiting conversation (`channel` webchat or messaging); returns its entry."""
        body: dict[str, Any] = {"channel": channel, "id": cid}
        if agent_name:
            body["agentName"] = agent_name
        return self.call("POST", "/agent/take", body)  # type: ignore[no-any-return]

    def desk_transfer(
        self, channel: str, cid: str, *, to_agent: str | None = None, queue: str | None = None
    ) -> None:
        """Hand a person's conversation to a simulated agent (`to_agent`, else the next free one) or to
        `queue`."""
        body: dict[str, Any] = {"channel": channel, "id": cid}
        if to_agent:
            body["toAgent"] = to_agent
        if queue:
            body["queue"] = queue
        self.call("POST", "/agent/transfer", body)

    @property
    def feed_url(self) -> str:
        """`ws(s)://host:port/emulator/v1/agent/feed`: the live agent-side feed."""
        return (
            ("wss" if self._https else "ws")
            + self.base_url[self.base_url.index(":") :]
            + CONTROL_PREFIX
            + "/agent/feed"
        )

    async def open_feed(self) -> Any:
        """Connect to the agent feed (a `websockets` client connection; iterate it for JSON text frames)."""
        import websockets

        headers = {TOKEN_HEADER: self.token} if self.token is not None else {}
        ssl_context = None
        if self._https:
            import ssl

            ssl_context = ssl.create_default_context(cafile=self._cafile)
        return await websockets.connect(
            self.feed_url,
            additional_headers=headers,
            ssl=ssl_context,
            max_size=2**24,
            open_timeout=self.timeout,
        )

    @staticmethod
    def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
        """Poll `predicate()` until it returns something truthy (returned); `TimeoutError` after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout} s: {predicate}")
            time.sleep(interval)
