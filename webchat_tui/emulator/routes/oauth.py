"""`POST /oauth/token`: client-credentials grant (HTTP Basic or form credentials), served on the API
port because
the SDKs post to `<host>/oauth/token` when the host has no `api.` prefix.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qs

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from webchat_tui.emulator.routes._common import json_response, store_of

router = APIRouter()


def _oauth_error(status: int, error: str, description: str) -> Response:
    return json_response(
        {"error": error, "description": description, "error_description": description}, status
    )


@router.post("/oauth/token", operation_id="oauthToken")
async def token(request: Request) -> Response:
    """Issue an opaque access token carrying the client's permissions."""
    form = {k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    grant = form.get("grant_type")
    if grant != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported.")
    client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return _oauth_error(401, "invalid_client", "Malformed Basic credentials.")
        client_id, _, client_secret = decoded.partition(":")
    store = store_of(request)
    issued = store.oauth.issue(client_id, client_secret)
    store.ensure_janitor()  # prunes expired tokens
    if issued is None:
        return _oauth_error(401, "invalid_client", "client not found or bad secret")
    access_token, expires_in = issued
    return json_response({"access_token": access_token, "token_type": "bearer", "expires_in": expires_in})
