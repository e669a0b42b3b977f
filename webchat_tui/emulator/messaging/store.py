"""The Web Messaging store: sessions by token and every guest request action of protocol.md §3, with the
session semantics of §7, the limits of §11 and the error codes of §12.

No HTTP here: the websocket route, the REST routes, the bot/agent director and the control API share these
operations. Mutated only on the server's event loop. Shares the Web Chat v2 `Store` for the runtime config
(time scale, auto agent, idle timeout), the seed and the id source.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import TYPE_CHECKING, Any

import jwt

from webchat_tui.emulator import wire
from webchat_tui.emulator.errors import EmulatorError
from webchat_tui.emulator.messaging import frames
from webchat_tui.emulator.messaging.attachments import (
    DOWNLOAD_URL_LIFETIME,
    UPLOAD_URL_LIFETIME,
    UrlSigner,
    check_upload,
)
from webchat_tui.emulator.messaging.deployments import MessagingDeployment, seeded_messaging_deployments
from webchat_tui.emulator.messaging.faults import MessagingFaults
from webchat_tui.emulator.messaging.session import (
    ACTIVE,
    CLEARED,
    ENDED,
    EXPIRED,
    MAX_CONNECTIONS,
    NEW,
    READ_ONLY,
    REPLACED,
    Attachment,
    MessagingSession,
    Peer,
)

if TYPE_CHECKING:
    from webchat_tui.emulator.messaging.director import MessagingDirector
    from webchat_tui.emulator.state import Store

log = logging.getLogger("webchat_tui.emulator.messaging")
MAX_TOKEN_LENGTH = 2048
MAX_RETIRED_SESSIONS = 10_000  # expired, cleared or replaced sessions kept for the control API
MAX_FILE_BYTES = 256 * 1024 * 1024
"""Bytes of uploaded and agent-sent files held in memory, all sessions together (oldest forgotten first)."""
MAX_SESSION_ATTACHMENTS = 1_000  # onAttachment is not rate-limited: each one is kept
MAX_LIVE_SESSIONS = 20_000
"""Sessions a token still reaches (about 4 KB each). A new one beyond this expires the oldest session that
has no socket, so a guest minting tokens cannot grow memory without bound (20,000 cost 80 MB)."""
JWT_LIFETIME = 3600  # seconds (not scaled: a client refreshes by `exp` itself)
JWT_ISSUER = "urn:emulator:webmessaging"
AUTH_USER = {"firstName": "Jamie", "lastName": "Demo"}  # who the seeded sign-in code belongs to
BOT_NAME = "Emulator Bot"
CLOSE_AFTER_EVENT = 4000  # app close code when the server ends a socket after ConnectionClosedEvent
GENERIC_FAILURE = "Request failed."
REQUEST_ACTIONS = (
    "configureSession",
    "configureAuthenticatedSession",
    "onAttachment",
    "getAttachment",
    "deleteAttachment",
    "onMessage",
    "closeSession",
    "echo",
    "getJwt",
    "disconnectCustomer",
    "resumeToken",
    "getConfiguration",
)
MESSAGE_TYPES = ("Text", "Structured", "Event", "Receipt", "Message")
BUTTON_RESPONSE_TYPES = ("Button", "DatePicker", "Form", "ListPicker", "QuickReply")
ATTACHMENT_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
"""A guest-chosen attachmentId (Kotlin sends a UUID): it becomes a URL path segment and a key shared by all
sessions, so anything else is refused."""
MAX_RECORDED_REQUEST = 16 * 1024
"""A recorded request larger than this (characters of its frame) keeps only its action and size."""


class RequestError(Exception):
    """A request refused with a `class:"string"` frame (`code`, human-readable `text`)."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code} {text}")
        self.code = code
        self.text = text


def _too_large(dep: MessagingDeployment) -> RequestError:
    limit = dep.max_custom_data_bytes
    return RequestError(4013, f"Custom Attributes in channel metadata is larger than {limit} bytes")


def _button_response(value: Any) -> dict[str, str]:
    """A guest's ButtonResponse as it is echoed and kept: its schema fields only (`type`, `text`, `payload`
    required; `id`, `originatingMessageId` optional), all strings; anything else is a 400."""
    if not isinstance(value, dict) or value.get("type") not in BUTTON_RESPONSE_TYPES:
        raise RequestError(400, GENERIC_FAILURE)
    kept = {k: value[k] for k in ("type", "text", "payload", "id", "originatingMessageId") if k in value}
    if not all(isinstance(v, str) for v in kept.values()) or not {"text", "payload"} <= kept.keys():
        raise RequestError(400, GENERIC_FAILURE)
    return kept


def _attr_bytes(attrs: dict[str, str]) -> int:
    """Size of custom attributes as Kotlin measures it: UTF-8 bytes of every key and value."""
    return sum(len(k.encode()) + len(v.encode()) for k, v in attrs.items())


class MessagingStore:
    """All Web Messaging state plus the operations on it."""

    def __init__(self, store: Store) -> None:
        self.core = store
        self.seed = store.seed
        self.ids = store.ids
        self.signer = UrlSigner()
        self.faults = MessagingFaults()
        self.director: MessagingDirector | None = None
        self.deployments: dict[str, MessagingDeployment] = seeded_messaging_deployments(store.seed)
        self.sessions: dict[str, MessagingSession] = {}
        self.by_token: dict[str, MessagingSession] = {}
        self.authenticated_tokens: set[str] = set()
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> deployment id
        self.attachments: dict[str, Attachment] = {}
        self.peers: set[Peer] = set()
        self.retired: dict[str, None] = {}  # ids of sessions no token reaches any more, oldest first
        self._jwt_key = f"{store.seed.signing_secret}:webmessaging"

    # --- lifecycle ---
    @property
    def scale(self) -> float:
        """The shared time scale."""
        return self.core.config.time_scale

    def reset(self) -> None:
        """Forget sessions, attachments and faults; re-seed deployments. Open sockets are closed (1001)."""
        for session in self.sessions.values():
            session.cancel_tasks()
        for peer in list(self.peers):
            peer.close(1001)
        self.sessions.clear()
        self.retired.clear()
        self.by_token.clear()
        self.authenticated_tokens.clear()
        self.refresh_tokens.clear()
        self.attachments.clear()
        self.faults.clear()
        self.deployments = seeded_messaging_deployments(self.seed)

    def spawn(self, session: MessagingSession, coro: Any) -> asyncio.Task[Any]:
        """Run a coroutine tied to `session` (cancelled when the session ends, is cleared or on reset)."""
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coro)
        session.tasks.add(task)
        task.add_done_callback(session.tasks.discard)
        return task

    def _retire(self, session: MessagingSession) -> None:
        """The session is over for good; past `MAX_RETIRED_SESSIONS` the oldest is forgotten, files too."""
        self.retired[session.id] = None
        while len(self.retired) > MAX_RETIRED_SESSIONS:
            oldest = next(iter(self.retired))
            del self.retired[oldest]
            old = self.sessions.pop(oldest, None)
            if old is not None:
                for att_id in old.attachments:
                    self.attachments.pop(att_id, None)
                if self.by_token.get(old.token) is old:  # else the forgotten session stays reachable
                    del self.by_token[old.token]

    def _ended(self, session: MessagingSession) -> None:
        """Tell the director (and so the agent desk) that the session's conversation is over."""
        if self.director is not None:
            self.director.on_ended(session)

    def get_session(self, session_id: str) -> MessagingSession:
        """The session or a control-API 404."""
        session = self.sessions.get(session_id)
        if session is None:
            raise EmulatorError("not.found", message="The requested messaging session was not found.")
        return session

    def get_deployment(self, deployment_id: str) -> MessagingDeployment:
        """The deployment or a 404."""
        dep = self.deployments.get(deployment_id)
        if dep is None:
            raise EmulatorError("not.found", message="The requested deployment was not found.")
        return dep

    # --- sockets ---
    def handshake_refusal(self, deployment_id: str | None, origin: str | None) -> str | None:
        """Why an upgrade is refused with 403 (unknown deployment, Origin not allowed), or None."""
        dep = self.deployments.get(deployment_id or "")
        if dep is None:
            return "Deployment not found"
        if dep.allowed_origins and (origin or "").rstrip("/") not in dep.allowed_origins:
            return "Origin not allowed for this deployment"
        return None

    def connect(self, peer: Peer) -> None:
        """A socket opened."""
        self.peers.add(peer)

    def disconnect(self, peer: Peer) -> None:
        """A socket went away."""
        self.peers.discard(peer)
        session = peer.session
        if session is not None and peer in session.connections:
            session.connections.remove(peer)
        peer.session = None

    def _attach(self, peer: Peer, session: MessagingSession) -> None:
        if peer.session is not None and peer.session is not session and peer in peer.session.connections:
            peer.session.connections.remove(peer)
        peer.session = session
        session.base_url = peer.base_url
        if peer not in session.connections:
            session.connections.append(peer)

    # --- requests ---
    def handle(self, peer: Peer, raw: str, base_url: str) -> None:
        """One text frame from the guest: parse, dispatch, answer; every request is recorded."""
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, or nested too deep to decode
            peer.send(frames.error(400, GENERIC_FAILURE))
            return
        if not isinstance(data, dict):
            peer.send(frames.error(400, GENERIC_FAILURE))
            return
        tracing = data.get("tracingId")
        tracing_id = tracing if isinstance(tracing, str) else None
        action = data.get("action")
        session = peer.session
        try:
            code = self._dispatch(peer, action, data, tracing_id, base_url)
        except RequestError as exc:
            peer.send(frames.error(exc.code, exc.text, tracing_id))
            code = exc.code
        except Exception:  # an emulator bug must not take the guest's socket down: 5000, as the service does
            log.exception("Web Messaging request %r failed", action)
            peer.send(frames.error(5000, GENERIC_FAILURE, tracing_id))
            code = 5000
        target = peer.session or session
        if target is not None:
            request = {k: v for k, v in data.items() if k != "token"}
            if len(raw) > MAX_RECORDED_REQUEST:
                request = {"action": action, "truncated": True, "frameChars": len(raw)}
            target.record.append(
                {
                    "action": action,
                    "tracingId": tracing_id,
                    "time": wire.now_iso(),
                    "code": code,
                    "request": request,
                }
            )

    def _dispatch(
        self, peer: Peer, action: Any, data: dict[str, Any], tracing_id: str | None, base: str
    ) -> int:
        if action not in REQUEST_ACTIONS:
            raise RequestError(400, GENERIC_FAILURE)
        token = data.get("token")
        if not isinstance(token, str) or not token:
            raise RequestError(4020, "Missing parameter: token")
        if len(token) > MAX_TOKEN_LENGTH:
            raise RequestError(400, f"token is longer than {MAX_TOKEN_LENGTH} characters")
        if action == "configureSession":
            return self.configure(peer, data, tracing_id, authenticated=False)
        if action == "configureAuthenticatedSession":
            return self.configure(peer, data, tracing_id, authenticated=True)
        session = self._session_for(peer, token)
        if action == "echo":
            return self._echo(peer, session, data, tracing_id)
        if action == "getConfiguration":
            return self._get_configuration(peer, session, tracing_id)
        if session.state == EXPIRED:
            raise RequestError(4006, "Session has expired")
        if action == "getJwt":
            return self._get_jwt(peer, session, tracing_id)
        if action == "onMessage":
            return self.guest_message(peer, session, data, tracing_id, base)
        if action == "closeSession":
            return self._close_session(peer, session, data, tracing_id)
        if action == "onAttachment":
            return self._on_attachment(peer, session, data, tracing_id, base)
        if action == "getAttachment":
            return self._get_attachment(peer, session, data, tracing_id, base)
        if action == "deleteAttachment":
            return self._delete_attachment(peer, session, data, tracing_id)
        if action == "resumeToken":
            exp = int(time.time()) + JWT_LIFETIME
            body = {"resumeToken": self.ids.token(128), "exp": exp}
            peer.send(frames.frame(frames.RESPONSE, "ResumeTokenResponse", body, tracing_id=tracing_id))
            return 200
        # disconnectCustomer: undocumented; read as "the guest ends the conversation" (README).
        self.disconnect_conversation(session, read_only=session.deployment.read_only_disconnect)
        peer.send(frames.frame(frames.RESPONSE, "string", "Success", tracing_id=tracing_id))
        return 200

    def _session_for(self, peer: Peer, token: str) -> MessagingSession:
        session = peer.session
        if session is None or session.token != token:
            raise RequestError(4007, "Session not found")
        self._check_expiry(session)
        if session.state in (CLEARED, REPLACED):
            raise RequestError(4007, "Session not found")
        return session

    # --- configure (§3.1, §3.2, §7) ---
    def configure(
        self, peer: Peer, data: dict[str, Any], tracing_id: str | None, *, authenticated: bool
    ) -> int:
        """Start or resume the token's session on this socket and answer `SessionResponse`."""
        token: str = data["token"]
        dep_id = data.get("deploymentId")
        if not isinstance(dep_id, str) or not dep_id:
            raise RequestError(4020, "Missing parameter: deploymentId")
        dep = self.deployments.get(dep_id)
        if dep is None or dep_id != peer.deployment_id:
            raise RequestError(400, "Deployment not found")
        start_new = data.get("startNew") is True
        auth_jwt: str | None = None
        if authenticated:
            code = (data.get("data") or {}).get("code") if isinstance(data.get("data"), dict) else None
            if not isinstance(code, str) or not code:
                raise RequestError(4020, "Missing parameter: data.code")
            if not dep.auth_required:
                raise RequestError(403, "Turn on the Feature Toggle or fix the configuration.")
            if not self.valid_auth_code(code, dep.id):
                raise RequestError(401, "User is unauthorized")
            auth_jwt = code
        else:
            if token in self.authenticated_tokens:
                raise RequestError(4017, "Cannot downgrade an authenticated session to unauthenticated")
            if dep.auth_required:
                raise RequestError(403, "Session authentication failed")
        existing = self.by_token.get(token)
        if existing is not None:
            self._check_expiry(existing)
        step_up = authenticated and existing is not None and existing.live and not existing.authenticated
        fresh = start_new or existing is None or not existing.live or existing.deployment.id != dep.id
        if not fresh and existing is not None:
            others = [p for p in existing.connections if p is not peer]
            if len(others) >= MAX_CONNECTIONS:
                # A 4th simultaneous socket gets a reason-less ConnectionClosedEvent (§7.4), then is closed.
                peer.send(frames.frame(frames.MESSAGE, "ConnectionClosedEvent", {}))
                peer.close(CLOSE_AFTER_EVENT)
                return 429
            session = existing
        else:
            if existing is not None and existing.live:
                existing.state = REPLACED
                self._retire(existing)
                existing.cancel_tasks()
                for other in list(existing.connections):
                    if other is not peer:
                        other.send(frames.frame(frames.MESSAGE, "ConnectionClosedEvent", {}))
                        other.close(CLOSE_AFTER_EVENT)
                existing.connections.clear()
            session = self._new_session(token, dep)
        if authenticated:
            self.authenticated_tokens.add(token)
            session.authenticated = True
            session.auth_jwt = auth_jwt
        self._attach(peer, session)
        self.touch(session)
        if step_up:
            for other in session.connections:
                if other is not peer:
                    other.send(frames.frame(frames.MESSAGE, "ConnectionClosedEvent", {"reason": "signedIn"}))
            self._add(session, self._inbound(msg_type="Event", events=[frames.presence_event("SignIn")]))
        body: dict[str, Any] = {
            "connected": True,
            "newSession": session is not existing,
            "readOnly": session.read_only,
            "clearedExistingSession": False,
            "allowedMedia": dep.allowed_media(),
            "blockedExtensions": list(dep.blocked_extensions),
            "maxCustomDataBytes": dep.max_custom_data_bytes,
            "durationSeconds": int(session.duration),
            "expirationDate": int(session.expires_at),
        }
        peer.send(frames.frame(frames.RESPONSE, "SessionResponse", body, tracing_id=tracing_id))
        return 200

    def _new_session(self, token: str, dep: MessagingDeployment) -> MessagingSession:
        if len(self.sessions) - len(self.retired) >= MAX_LIVE_SESSIONS:
            idle = next((s for s in self.sessions.values() if s.live and not s.connections), None)
            if idle is not None:
                self.expire(idle)
        session = MessagingSession(id=self.ids.new(), token=token, deployment=dep, created=wire.now_iso())
        self.sessions[session.id] = session
        self.by_token[token] = session
        return session

    def valid_auth_code(self, code: str, deployment_id: str | None) -> bool:
        """The seeded sign-in code itself, or a JWT from the code exchange for this deployment (None: any)."""
        if code == self.seed.messaging_auth_code:
            return True
        try:
            claims = jwt.decode(code, self._jwt_key, algorithms=["HS256"], issuer=JWT_ISSUER)
        except jwt.PyJWTError:
            return False
        return claims.get("kind") == "auth" and deployment_id in (None, claims.get("did"))

    def issue_refresh_token(self, deployment_id: str) -> str:
        """A refresh token for `POST /api/v2/webdeployments/token/refresh`."""
        token = self.ids.token(128)
        self.refresh_tokens[token] = deployment_id
        return token

    def logout(self, auth_jwt: str) -> None:
        """Token revoked (§10.2): sessions signed in with it get `LogoutEvent` and end."""
        for session in self.sessions.values():
            if session.authenticated and session.auth_jwt == auth_jwt and session.live:
                session.publish(frames.frame(frames.MESSAGE, "LogoutEvent", {}))
                self.authenticated_tokens.discard(session.token)
                session.state = REPLACED
                self._retire(session)
                session.phase = ENDED
                session.cancel_tasks()
                self._ended(session)
                if self.by_token.get(session.token) is session:
                    del self.by_token[session.token]

    def issue_auth_jwt(self, deployment_id: str, lifetime: int = JWT_LIFETIME) -> str:
        """The Genesys-issued JWT of the code exchange (§10.2) for the seeded user."""
        now = int(time.time())
        claims = {"kind": "auth", "did": deployment_id, "sub": "emulator-demo-user", "iat": now}
        claims |= {"exp": now + lifetime, "iss": JWT_ISSUER, "jti": self.ids.token()}
        return jwt.encode(claims, self._jwt_key, algorithm="HS256")

    # --- expiry (§7.5) ---
    def touch(self, session: MessagingSession) -> None:
        """Activity: the inactivity TTL starts again (durations are scaled by the time scale)."""
        session.duration = max(1.0, round(session.deployment.duration_seconds * self.scale))
        session.expires_at = time.time() + session.duration
        if session.expiry_task is None and session.live:
            session.expiry_task = asyncio.get_running_loop().create_task(self._expiry_timer(session))

    async def _expiry_timer(self, session: MessagingSession) -> None:
        while session.live:
            remaining = session.expires_at - time.time()
            if remaining <= 0:
                session.expiry_task = None
                self.expire(session)
                return
            await asyncio.sleep(remaining + 0.01)
        session.expiry_task = None

    def _check_expiry(self, session: MessagingSession) -> None:
        if session.live and time.time() >= session.expires_at > 0:
            self.expire(session)

    def expire(self, session: MessagingSession) -> None:
        """The session's TTL elapsed: it is gone for the guest; sockets are told with SessionExpiredEvent."""
        if session.state == EXPIRED:
            return
        session.state = EXPIRED
        self._retire(session)
        session.phase = ENDED
        session.cancel_tasks()
        self._ended(session)
        session.publish(frames.frame(frames.MESSAGE, "SessionExpiredEvent", {}))

    # --- the other actions ---
    def _echo(
        self, peer: Peer, session: MessagingSession, data: dict[str, Any], tracing_id: str | None
    ) -> int:
        if not isinstance(data.get("message"), dict):
            raise RequestError(4020, "Missing parameter: message")
        if session.state == EXPIRED:
            peer.send(frames.frame(frames.RESPONSE, "SessionExpiredEvent", {}, tracing_id=tracing_id))
            return 4006
        text = data["message"].get("text")
        body = frames.structured(
            msg_id=self.ids.new(),
            msg_type="Text",
            direction="Inbound",
            time=wire.now_iso(),
            text=text if isinstance(text, str) else "ping",
            metadata={
                "durationSeconds": str(int(session.duration)),
                "expirationDate": str(int(session.expires_at)),
            },
        )
        peer.send(frames.frame(frames.RESPONSE, "StructuredMessage", body, tracing_id=tracing_id))
        return 200

    def _get_configuration(self, peer: Peer, session: MessagingSession, tracing_id: str | None) -> int:
        dep = session.deployment
        body = {
            "allowedMedia": dep.allowed_media(),
            "blockedExtensions": list(dep.blocked_extensions),
            "maxCustomDataBytes": dep.max_custom_data_bytes,
            "messageRoutingEnabled": True,
            "sessionDurationSeconds": int(session.duration),
        }
        peer.send(frames.frame(frames.RESPONSE, "GetConfigurationResponse", body, tracing_id=tracing_id))
        return 200

    def _get_jwt(self, peer: Peer, session: MessagingSession, tracing_id: str | None) -> int:
        exp = int(time.time()) + JWT_LIFETIME
        claims = {"kind": "guest", "sid": session.id, "did": session.deployment.id, "exp": exp}
        claims |= {"iat": int(time.time()), "iss": JWT_ISSUER, "jti": self.ids.token()}
        token = jwt.encode(claims, self._jwt_key, algorithm="HS256")
        peer.send(
            frames.frame(frames.RESPONSE, "JwtResponse", {"jwt": token, "exp": exp}, tracing_id=tracing_id)
        )
        return 200

    def session_for_jwt(self, authorization: str | None) -> MessagingSession:
        """History auth: `Authorization: Bearer <getJwt jwt>` (scheme in any case) -> its session, or 401."""
        parts = (authorization or "").split(None, 1)
        if len(parts) != 2 or parts[0].lower() != "bearer":
            raise EmulatorError("bad.credentials")
        try:
            claims = jwt.decode(parts[1], self._jwt_key, algorithms=["HS256"], issuer=JWT_ISSUER)
        except jwt.ExpiredSignatureError as exc:
            raise EmulatorError("credentials.expired") from exc
        except jwt.PyJWTError as exc:
            raise EmulatorError("bad.credentials") from exc
        session = self.sessions.get(str(claims.get("sid")))
        if claims.get("kind") != "guest" or session is None:
            raise EmulatorError("bad.credentials")
        self._check_expiry(session)
        if not session.live:
            raise EmulatorError("bad.credentials")
        return session

    def _close_session(
        self, peer: Peer, session: MessagingSession, data: dict[str, Any], tracing_id: str | None
    ) -> int:
        close_all = data.get("closeAllConnections")
        if not isinstance(close_all, bool):
            raise RequestError(4020, "Missing parameter: closeAllConnections")
        if session.state == ACTIVE:
            self.disconnect_conversation(session, read_only=True, announce=False)
        if close_all:
            for other in list(session.connections):
                if other is not peer:
                    other.send(frames.frame(frames.MESSAGE, "ConnectionClosedEvent", {}))
                    other.close(CLOSE_AFTER_EVENT)
        body = {"connected": False, "newSession": False, "readOnly": True}
        peer.send(frames.frame(frames.RESPONSE, "SessionResponse", body, tracing_id=tracing_id))
        # `connected: false`: this socket no longer holds the session (a configure attaches it again).
        if peer in session.connections:
            session.connections.remove(peer)
        peer.session = None
        return 200

    # --- onMessage (§3.3) ---
    def guest_message(
        self, peer: Peer, session: MessagingSession, data: dict[str, Any], tracing_id: str | None, base: str
    ) -> int:
        """Everything the guest says or signals: text, button responses, attachments, typing, presence."""
        message = data.get("message")
        if not isinstance(message, dict):
            raise RequestError(4020, "Missing parameter: message")
        msg_type = message.get("type")
        if msg_type not in MESSAGE_TYPES:
            raise RequestError(400, GENERIC_FAILURE)
        dep = session.deployment
        if msg_type == "Event":
            return self._guest_event(peer, session, message, tracing_id)
        if session.read_only:
            raise RequestError(409, frames.READ_ONLY_TEXT)
        text = message.get("text")
        if text is not None and not isinstance(text, str):
            raise RequestError(400, GENERIC_FAILURE)
        content = message.get("content") or []
        if not isinstance(content, list) or not all(isinstance(c, dict) for c in content):
            raise RequestError(400, GENERIC_FAILURE)
        if not text and not content:
            raise RequestError(400, GENERIC_FAILURE)
        if text and len(text) > dep.max_text_length:
            raise RequestError(4011, "message too long")
        attrs = self._custom_attributes(data, message)
        if attrs is not None and _attr_bytes(attrs) > dep.max_custom_data_bytes:
            raise _too_large(dep)
        if session.forced_rate_limits > 0:
            session.forced_rate_limits -= 1
            peer.send(frames.too_many_requests(session.forced_retry_after, tracing_id))
            return 4029
        retry_after = session.limiter.take(dep.messages_per_second)
        if retry_after:
            peer.send(frames.too_many_requests(retry_after, tracing_id))
            return 4029
        echo_content = [self._inbound_content(session, item, base) for item in content]
        if attrs:
            session.custom_attributes.update(attrs)
        raw_meta = message.get("metadata")
        metadata = (
            {k: v for k, v in raw_meta.items() if isinstance(v, str)} if isinstance(raw_meta, dict) else {}
        )
        body = self._inbound(
            msg_type=msg_type, text=text, content=echo_content, metadata=metadata, session=session
        )
        self._add(session, body, tracing_id)
        self.touch(session)
        if self.director is not None:
            self.director.on_guest_message(session, text or "", echo_content)
        return 200

    def _custom_attributes(self, data: dict[str, Any], message: dict[str, Any]) -> dict[str, str] | None:
        """Custom attributes from `channel.metadata` at the top level or inside `message` (both are used)."""
        found: dict[str, str] | None = None
        for holder in (data.get("channel"), message.get("channel")):
            meta = holder.get("metadata") if isinstance(holder, dict) else None
            attrs = meta.get("customAttributes") if isinstance(meta, dict) else None
            if attrs is None:
                continue
            if not isinstance(attrs, dict) or not all(isinstance(v, str) for v in attrs.values()):
                raise RequestError(400, "customAttributes must map strings to strings")
            found = (found or {}) | attrs
        return found

    def _inbound_content(self, session: MessagingSession, item: dict[str, Any], base: str) -> dict[str, Any]:
        """A guest content item as echoed: attachments get their file details and a download URL."""
        if item.get("contentType") != "Attachment":
            if item.get("contentType") not in ("ButtonResponse",):
                raise RequestError(400, GENERIC_FAILURE)
            return {
                "contentType": "ButtonResponse",
                "buttonResponse": _button_response(item.get("buttonResponse")),
            }
        ref = item.get("attachment")
        att_id = ref.get("id") if isinstance(ref, dict) else None
        att = session.attachments.get(att_id) if isinstance(att_id, str) else None
        if att is None or att.state == "deleted":
            raise RequestError(4009, "Attachment not found")
        if att.state == "sent":
            raise RequestError(4008, "Attachment has already been sent")
        if att.state != "uploaded":
            raise RequestError(4010, "Attachment was not successfully uploaded")
        att.state = "sent"
        return frames.attachment_content(self.attachment_wire(att, base))

    def attachment_wire(self, att: Attachment, base: str) -> dict[str, Any]:
        """The attachment as a message carries it, with a fresh download URL."""
        url = self.signer.url(base, "download", att.id, att.file_name, DOWNLOAD_URL_LIFETIME * self.scale)
        return {
            "id": att.id,
            "mediaType": att.media_type(),
            "url": url,
            "filename": att.file_name,
            "mime": att.file_type,
            "fileSize": att.file_size,
        }

    def _guest_event(
        self, peer: Peer, session: MessagingSession, message: dict[str, Any], tracing_id: str | None
    ) -> int:
        events = message.get("events")
        if not isinstance(events, list) or not events or not isinstance(events[0], dict):
            raise RequestError(4020, "Missing parameter: events")
        event = events[0]
        kind = event.get("eventType")
        dep = session.deployment
        if kind == "Typing":
            if not dep.user_typing:
                raise RequestError(403, "Turn on the Feature Toggle or fix the configuration.")
            if self.director is not None:
                self.director.on_guest_activity(session)
            return 200  # no frame: the vendor's answer to guest typing is unknown (README)
        presence = event.get("presence") if kind == "Presence" else None
        ptype = presence.get("type") if isinstance(presence, dict) else None
        if ptype == "Clear":
            if not dep.clear_enabled:
                raise RequestError(403, "Presence events Conversation Clear are not supported")
            peer.send(frames.frame(frames.RESPONSE, "string", "Success", tracing_id=tracing_id))
            self.clear(session)
            return 200
        if ptype == "Join":
            if session.read_only:
                raise RequestError(409, frames.READ_ONLY_TEXT)
            # A Join is kept in the transcript like a message, so it counts against the same rate limit.
            retry_after = session.limiter.take(dep.messages_per_second)
            if retry_after:
                peer.send(frames.too_many_requests(retry_after, tracing_id))
                return 4029
            attrs = self._custom_attributes({}, message)
            if attrs is not None:
                if _attr_bytes(attrs) > dep.max_custom_data_bytes:
                    raise _too_large(dep)
                session.custom_attributes.update(attrs)
            self._add(
                session, self._inbound(msg_type="Event", events=[frames.presence_event("Join")]), tracing_id
            )
            self.touch(session)
            if self.director is not None:
                self.director.on_join(session)
            return 200
        raise RequestError(400, GENERIC_FAILURE)

    # --- attachments (§8) ---
    def _on_attachment(
        self, peer: Peer, session: MessagingSession, data: dict[str, Any], tracing_id: str | None, base: str
    ) -> int:
        name, ftype, size = data.get("fileName"), data.get("fileType"), data.get("fileSize")
        att_id = data.get("attachmentId") or self.ids.new()
        if not isinstance(att_id, str) or not ATTACHMENT_ID.fullmatch(att_id):
            raise RequestError(400, "attachmentId must be 1-128 letters, digits, '-' or '_'")
        if len(session.attachments) >= MAX_SESSION_ATTACHMENTS:
            raise RequestError(400, f"A session holds at most {MAX_SESSION_ATTACHMENTS} attachments")
        known = self.attachments.get(att_id)
        if known is not None and (known.session_id != session.id or known.state != "pending"):
            # Another session's file (or one already uploaded) must never be replaced behind its URLs.
            raise RequestError(400, "attachmentId is already in use")
        if not isinstance(name, str) or not isinstance(ftype, str):
            raise RequestError(4020, "Missing parameter: fileName, fileType")
        if not isinstance(size, int) or isinstance(size, bool):
            raise RequestError(4020, "Missing parameter: fileSize")
        code, text = check_upload(session.deployment, name, ftype, size)
        if code:
            body = {
                "attachmentId": att_id,
                "errorCode": code,
                "errorMessage": text,
                "timestamp": wire.now_iso(),
            }
            peer.send(frames.frame(frames.MESSAGE, "GenerateUrlError", body, tracing_id=tracing_id))
            return code
        att = Attachment(att_id, session.id, name, ftype, size)
        att.headers = {
            "x-amz-tagging": f"organizationId={self.seed.organization_id}&originPlatform=PureCloud"
        }
        session.attachments[att_id] = att
        self.attachments[att_id] = att
        url = self.signer.url(base, "upload", att_id, name, UPLOAD_URL_LIFETIME * self.scale)
        body = {"attachmentId": att_id, "headers": dict(att.headers), "url": url}
        body |= {"fileName": name, "fileSize": size, "fileType": ftype}
        peer.send(frames.frame(frames.RESPONSE, "PresignedUrlResponse", body, tracing_id=tracing_id))
        return 200

    def _get_attachment(
        self, peer: Peer, session: MessagingSession, data: dict[str, Any], tracing_id: str | None, base: str
    ) -> int:
        att = session.attachments.get(str(data.get("attachmentId")))
        if att is None or att.state in ("pending", "failed", "deleted"):
            raise RequestError(4009, "Attachment not found")
        wire_att = self.attachment_wire(att, base)
        body = {"attachmentId": att.id, "headers": {}, "url": wire_att["url"]}
        body |= {"fileName": att.file_name, "fileSize": att.file_size, "fileType": att.file_type}
        peer.send(frames.frame(frames.RESPONSE, "PresignedUrlResponse", body, tracing_id=tracing_id))
        return 200

    def _delete_attachment(
        self, peer: Peer, session: MessagingSession, data: dict[str, Any], tracing_id: str | None
    ) -> int:
        att = session.attachments.get(str(data.get("attachmentId")))
        if att is None or att.state == "deleted" or att.outbound:
            raise RequestError(4009, "Attachment not found")
        if att.state == "sent":
            raise RequestError(400, "Attachment has already been sent")
        att.state = "deleted"
        att.data = b""
        body = {"attachmentId": att.id}
        peer.send(frames.frame(frames.MESSAGE, "AttachmentDeletedResponse", body, tracing_id=tracing_id))
        return 200

    def _trim_files(self) -> None:
        """Keep the files held in memory under MAX_FILE_BYTES: the oldest are forgotten first (their URLs
        then answer 404, `getAttachment` 4009), so uploads cannot grow memory without bound."""
        total = sum(len(a.data) for a in self.attachments.values())
        for att in self.attachments.values():  # oldest first
            if total <= MAX_FILE_BYTES:
                return
            if att.data:
                total -= len(att.data)
                att.data = b""
                att.state = "deleted"

    def upload_done(self, att: Attachment, data: bytes, error: tuple[int, str] | None, base: str) -> None:
        """The PUT to the presigned URL finished: UploadSuccessEvent or UploadFailureEvent to the session."""
        session = self.sessions.get(att.session_id)
        now = wire.now_iso()
        if error is not None:
            att.state = "failed"
            body: dict[str, Any] = {"attachmentId": att.id, "errorCode": error[0], "errorMessage": error[1]}
            body["timestamp"] = now
            if session is not None:
                session.publish(frames.frame(frames.MESSAGE, "UploadFailureEvent", body))
            return
        att.state = "uploaded"
        att.data = data
        self._trim_files()
        att.file_size = len(data)
        url = self.attachment_wire(att, base)["url"]
        body = {"attachmentId": att.id, "downloadUrl": url, "timestamp": now}
        if session is not None:
            session.publish(frames.frame(frames.MESSAGE, "UploadSuccessEvent", body))

    # --- transcript ---
    def _inbound(
        self,
        *,
        msg_type: str,
        text: str | None = None,
        content: list[dict[str, Any]] | None = None,
        events: list[dict[str, Any]] | None = None,
        metadata: dict[str, str] | None = None,
        session: MessagingSession | None = None,
    ) -> dict[str, Any]:
        meta = dict(metadata or {})
        meta["correlationId"] = self.ids.new()
        if session is not None and session.authenticated:
            meta["authenticated"] = "true"
        return frames.structured(
            msg_id=self.ids.new(),
            msg_type=msg_type,
            direction="Inbound",
            time=wire.now_iso(),
            text=text,
            content=content,
            events=events,
            metadata=meta,
        )

    def _add(self, session: MessagingSession, body: dict[str, Any], tracing_id: str | None = None) -> None:
        """Keep a message in the transcript and push it to every socket of the session."""
        session.history.append(body)
        if session.connections:
            session.publish(frames.frame(frames.MESSAGE, "StructuredMessage", body, tracing_id=tracing_id))

    def outbound(
        self,
        session: MessagingSession,
        *,
        text: str | None = None,
        content: list[dict[str, Any]] | None = None,
        events: list[dict[str, Any]] | None = None,
        metadata: dict[str, str] | None = None,
        bot: bool = False,
        keep: bool = True,
    ) -> dict[str, Any]:
        """The bot or the agent sends something (kept in the transcript unless `keep` is false: typing)."""
        if events:
            msg_type = "Event"
        elif content:
            msg_type = "Structured" if any(c["contentType"] != "Attachment" for c in content) else "Text"
        else:
            msg_type = "Text"
        name = BOT_NAME if bot else (session.agent_name or "Agent")
        meta = {"correlationId": self.ids.new()} | (metadata or {})
        body = frames.structured(
            msg_id=self.ids.token(128),
            msg_type=msg_type,
            direction="Outbound",
            time=wire.now_iso(),
            text=text,
            content=content,
            events=events,
            metadata=meta,
            originating_entity=None if events else ("Bot" if bot else "Human"),
            sender={"nickname": name},
        )
        if keep:
            self._add(session, body)
            self.touch(session)
        elif session.connections:
            session.publish(frames.frame(frames.MESSAGE, "StructuredMessage", body))
        return body

    def disconnect_conversation(
        self, session: MessagingSession, *, read_only: bool, announce: bool = True
    ) -> None:
        """The conversation ends (agent, flow or guest): Presence Disconnect; read-only refuses messages."""
        session.phase = ENDED
        session.cancel_tasks()
        self._ended(session)
        if read_only and session.state == ACTIVE:
            session.state = READ_ONLY
        if announce:
            meta = {"readOnly": "true" if read_only else "false"}
            self.outbound(session, events=[frames.presence_event("Disconnect")], metadata=meta)
        if not read_only:
            session.phase = NEW  # a later message starts routing again (§7.3, inferred)
            self.touch(session)

    def clear(self, session: MessagingSession) -> None:
        """Clear conversation (§7.6): SessionClearedEvent, the session is wiped, ConnectionClosedEvent."""
        session.state = CLEARED
        self._retire(session)
        session.phase = ENDED
        session.cancel_tasks()
        self._ended(session)
        session.history.clear()
        session.publish(frames.frame(frames.MESSAGE, "SessionClearedEvent", {}))
        session.publish(frames.frame(frames.MESSAGE, "ConnectionClosedEvent", {}))
        if self.by_token.get(session.token) is session:
            del self.by_token[session.token]
        for peer in list(session.connections):
            peer.session = None
        session.connections.clear()

    def drop(self, session: MessagingSession, code: int) -> int:
        """Close every socket of the session now (a network fault); returns how many."""
        peers = list(session.connections)
        for peer in peers:
            peer.close(code)
        return len(peers)

    def history_page(
        self, session: MessagingSession, page_size: int, page_number: int, base: str
    ) -> dict[str, Any]:
        """One page of `GET /api/v2/webmessaging/messages`: newest first (§9), attachment URLs refreshed."""
        items = session.history
        total = len(items)
        end = max(0, total - (page_number - 1) * page_size)
        start = max(0, end - page_size)
        entities = [self._refresh_urls(b, base) for b in reversed(items[start:end])]
        return {
            "entities": entities,
            "pageSize": page_size,
            "pageNumber": page_number,
            "total": total,
            "pageCount": (total + page_size - 1) // page_size,
        }

    def _refresh_urls(self, body: dict[str, Any], base: str) -> dict[str, Any]:
        content = body.get("content")
        if not content or not any(c.get("contentType") == "Attachment" for c in content):
            return body
        fresh = []
        for item in content:
            att = (
                self.attachments.get(item.get("attachment", {}).get("id", ""))
                if "attachment" in item
                else None
            )
            fresh.append(frames.attachment_content(self.attachment_wire(att, base)) if att else item)
        return body | {"content": fresh}

    def agent_attachment(
        self,
        session: MessagingSession,
        file_name: str,
        file_type: str,
        data: bytes,
        base: str,
        text: str | None,
    ) -> dict[str, Any]:
        """The agent sends a file: stored, then an Outbound message with an Attachment item (§8)."""
        att = Attachment(
            self.ids.new(), session.id, file_name, file_type, len(data), "sent", data, outbound=True
        )
        session.attachments[att.id] = att
        self.attachments[att.id] = att
        self._trim_files()
        content = [frames.attachment_content(self.attachment_wire(att, base))]
        return self.outbound(session, text=text, content=content)
