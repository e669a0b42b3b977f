"""Web Messaging guest endpoints at the vendor's paths, on the emulator's one host and port:

- `ws(s)://HOST:PORT/v1?deploymentId=...` the guest websocket (protocol.md §1.2; 403 on the upgrade for an
  unknown deployment or an Origin outside the deployment's allow-list, §1.3);
- `GET /api/v2/webmessaging/messages` history, bearer JWT from `getJwt` (§9);
- `GET /webdeployments/v1/deployments/{id}/config.json` (§10.1);
- `POST /api/v2/webdeployments/token/oauthcodegrantjwtexchange`, `POST .../token/refresh`,
  `DELETE .../token/revoke` (§10.2, for the authenticated deployment);
- presigned `PUT /webmessaging-files/uploads/{id}/{name}` and `GET /webmessaging-files/downloads/{id}/{name}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from webchat_tui.emulator.errors import EmulatorError
from webchat_tui.emulator.messaging.attachments import (
    DOWNLOAD_PATH,
    EICAR_MARKER,
    MAX_UPLOAD_BYTES,
    UPLOAD_PATH,
)
from webchat_tui.emulator.messaging.connection import MessagingConnection
from webchat_tui.emulator.messaging.session import Attachment
from webchat_tui.emulator.messaging.store import MessagingStore
from webchat_tui.emulator.routes._common import base_url, int_param, json_body, json_response

router = APIRouter()
HISTORY_MAX_PAGE_SIZE = 100  # the vendor's maximum is unknown; 100 is the usual Genesys page limit


def messaging_of(app_state: object) -> MessagingStore:
    """The messaging store of this app."""
    store: MessagingStore = app_state.messaging  # type: ignore[attr-defined]
    return store


def _http_base(ws: WebSocket) -> str:
    host = ws.headers.get("host") or f"{ws.url.hostname}:{ws.url.port}"
    return f"{'https' if ws.url.scheme == 'wss' else 'http'}://{host}"


async def _deny(ws: WebSocket, status: int, text: str) -> None:
    error = EmulatorError(
        "not.authorized" if status == 403 else "service.unavailable", status=status, message=text
    )
    context_id = str(uuid.uuid4())
    code, body, headers = error.render(context_id)
    headers["inin-correlation-id"] = context_id
    try:
        await ws.send_denial_response(
            Response(body, status_code=code, media_type="application/json", headers=headers)
        )
    except RuntimeError:  # server without the denial-response extension
        await ws.close(code=1008)


@router.websocket("/v1")
async def guest_socket(ws: WebSocket) -> None:
    """The guest websocket: one JSON request per text frame, answered and pushed as in protocol.md §2-§7."""
    store = messaging_of(ws.app.state)
    refusal = store.faults.take_refusal()
    if refusal is not None:
        await _deny(ws, refusal, "Injected handshake refusal")
        return
    deployment_id = ws.query_params.get("deploymentId") or ws.headers.get("deploymentid")
    why = store.handshake_refusal(deployment_id, ws.headers.get("origin"))
    if why is not None:
        await _deny(ws, 403, why)
        return
    await ws.accept()
    base = _http_base(ws)
    conn = MessagingConnection(ws, store.faults, deployment_id or "", base)
    store.connect(conn)
    sender = asyncio.create_task(conn.run_sender())
    try:
        while not conn.closed.is_set():
            receive = asyncio.create_task(ws.receive())
            closed = asyncio.create_task(conn.closed.wait())
            done, _ = await asyncio.wait({receive, closed}, return_when=asyncio.FIRST_COMPLETED)
            closed.cancel()
            if receive not in done:
                receive.cancel()
                break
            message = receive.result()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None and message.get("bytes") is not None:
                text = message["bytes"].decode("utf-8", "replace")
            if text is not None:
                store.handle(conn, text, base)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        conn.stop()
        store.disconnect(conn)
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(sender, timeout=1.0)


@router.get("/api/v2/webmessaging/messages")
async def history(request: Request) -> Response:
    """The session's messages, newest first, paged (`pageSize` 1..100, default 25; `pageNumber` >= 1)."""
    store = messaging_of(request.app.state)
    session = store.session_for_jwt(request.headers.get("authorization"))
    page_size = int_param(request, "pageSize", 25, 1, HISTORY_MAX_PAGE_SIZE)
    page_number = int_param(request, "pageNumber", 1, 1, 1_000_000)
    return json_response(store.history_page(session, page_size, page_number, base_url(request)))


@router.get("/webdeployments/v1/deployments/{deployment_id}/config.json")
async def deployment_config(request: Request, deployment_id: str) -> Response:
    """The deployment's Messenger configuration (no auth)."""
    dep = messaging_of(request.app.state).get_deployment(deployment_id)
    return json_response(dep.config_json(base_url(request), base_url(request, websocket=True)))


@router.post("/api/v2/webdeployments/token/oauthcodegrantjwtexchange")
async def code_exchange(request: Request) -> Response:
    """`{"deploymentId", "oauth": {"code", "redirectUri"}}` with the seeded sign-in code ->
    `{jwt, refreshToken}`."""
    store = messaging_of(request.app.state)
    data = await json_body(request)
    oauth = data.get("oauth") if isinstance(data, dict) else None
    dep_id = data.get("deploymentId") if isinstance(data, dict) else None
    if not isinstance(oauth, dict) or not isinstance(dep_id, str):
        raise EmulatorError("bad.request", message="deploymentId and oauth are required")
    dep = store.deployments.get(dep_id)
    if dep is None or not dep.auth_required:
        raise EmulatorError(
            "bad.request", message="Deployment not found or not configured for authentication"
        )
    if oauth.get("code") != store.seed.messaging_auth_code:
        raise EmulatorError("bad.credentials")
    return json_response(
        {"jwt": store.issue_auth_jwt(dep_id), "refreshToken": store.issue_refresh_token(dep_id)}
    )


@router.post("/api/v2/webdeployments/token/refresh")
async def refresh(request: Request) -> Response:
    """`{"refreshToken"}` -> `{"jwt"}`."""
    store = messaging_of(request.app.state)
    data = await json_body(request)
    token = data.get("refreshToken") if isinstance(data, dict) else None
    dep_id = store.refresh_tokens.get(token) if isinstance(token, str) else None
    if dep_id is None:
        raise EmulatorError("bad.credentials")
    return json_response({"jwt": store.issue_auth_jwt(dep_id)})


@router.delete("/api/v2/webdeployments/token/revoke")
async def revoke(request: Request) -> Response:
    """Sign out: sessions signed in with this JWT get `LogoutEvent` (and their token may no longer resume)."""
    store = messaging_of(request.app.state)
    parts = (request.headers.get("authorization") or "").split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "bearer" or not store.valid_auth_code(parts[1], None):
        raise EmulatorError("bad.credentials")
    store.logout(parts[1])
    return Response(status_code=204)


def _attachment_or_403(request: Request, kind: str, attachment_id: str) -> tuple[MessagingStore, Attachment]:
    store = messaging_of(request.app.state)
    why = store.signer.verify(
        kind, attachment_id, request.query_params.get("Expires"), request.query_params.get("Signature")
    )
    att = store.attachments.get(attachment_id)
    if why or att is None:
        message = "Request has expired" if why == "expired" else "Access denied"
        raise EmulatorError("not.authorized", message=message)
    return store, att


@router.put(UPLOAD_PATH + "/{attachment_id}/{file_name:path}")
async def upload(request: Request, attachment_id: str, file_name: str) -> Response:
    """The presigned upload: every header of `PresignedUrlResponse.headers` must come back unchanged."""
    store, att = _attachment_or_403(request, "upload", attachment_id)
    for key, value in att.headers.items():
        if request.headers.get(key) != value:
            raise EmulatorError("not.authorized", message=f"Signed header {key} missing or changed")
    if att.state != "pending":
        raise EmulatorError(
            "bad.request", message=f"Attachment is {att.state}; upload again with a new onAttachment"
        )
    limit = min(MAX_UPLOAD_BYTES, store.sessions[att.session_id].deployment.max_file_size_kb * 1000 + 999)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            break
    error: tuple[int, str] | None = None
    if not data:
        error = (4002, "File is empty")
    elif len(data) > limit:
        error = (4002, "File is larger than the deployment allows")
    elif EICAR_MARKER in data:
        error = (4003, "File content was rejected")
    store.upload_done(att, bytes(data), error, base_url(request))
    return Response(status_code=200)


@router.get(DOWNLOAD_PATH + "/{attachment_id}/{file_name:path}")
async def download(request: Request, attachment_id: str, file_name: str) -> Response:
    """The presigned download of an uploaded or agent-sent file."""
    _store, att = _attachment_or_403(request, "download", attachment_id)
    if att.state not in ("uploaded", "sent"):
        raise EmulatorError("not.found", message="The file is not available.")
    return Response(att.data, media_type=att.file_type, headers={"Content-Disposition": "attachment"})
