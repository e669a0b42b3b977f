"""OAuth client credentials for the admin operations: a token from ``<login host>/oauth/token``, reused while
valid and refreshed before it expires (when 10% of its lifetime, at most 5 minutes, is left)."""

from __future__ import annotations

import asyncio
import base64
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from webchat_tui.api._error_mapping import api_error, network_error
from webchat_tui.api._redact import Secret, SecretRegistry, get_logger
from webchat_tui.api._retry import OpClass, RetryPolicy, run_with_retries
from webchat_tui.api._transport import HttpResponse, HttpTransport, TransportFailure
from webchat_tui.api.errors import ApiError, ClientValidationError, OAuthError
from webchat_tui.api.models import OAuthToken
from webchat_tui.api.validation import parse_body

__all__ = ["AdminToken", "OAuthTokens"]

log = get_logger("webchat_tui.api.auth")

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_OPERATION = "oauthToken"


@dataclass(slots=True)
class AdminToken:
    """An OAuth access token and when (monotonic seconds) it expires and should be refreshed."""

    value: Secret
    expires_at: float
    refresh_at: float


class OAuthTokens:
    """Obtains and caches the admin OAuth token (one fetch at a time)."""

    def __init__(
        self,
        transport: HttpTransport,
        login_url: str,
        client_id: str | None,
        client_secret: Secret | None,
        *,
        retry: Callable[[], RetryPolicy],
        secrets: SecretRegistry,
        rng: random.Random,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self._transport = transport
        self._login_url = login_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._policy = retry
        self._secrets = secrets
        self._rng = rng
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self.current: AdminToken | None = None

    async def authorization(self, *, force_refresh: bool = False) -> dict[str, str]:
        """The ``Authorization`` header for an admin call, fetching a token when none is fresh."""
        async with self._lock:
            token = self.current
            if force_refresh or token is None or time.monotonic() >= token.refresh_at:
                token = await self._fetch()
                self.current = token
            return {"Authorization": f"Bearer {token.value.get()}"}

    async def _fetch(self) -> AdminToken:
        if not self._client_id or self._client_secret is None:
            raise ClientValidationError("client_id", "admin operations need client_id= and client_secret=")
        basic = base64.b64encode(f"{self._client_id}:{self._client_secret.get()}".encode()).decode()
        self._secrets.add(basic)
        response = await self._post_token_request(basic)
        data = response.json()
        if response.status != 200 or not isinstance(data, dict) or "access_token" not in data:
            error = data.get("error") if isinstance(data, dict) else None
            description = data.get("error_description") if isinstance(data, dict) else None
            text = description or error or (data.get("message") if isinstance(data, dict) else None)
            raise OAuthError(
                f"could not obtain an OAuth token (HTTP {response.status}): {text or 'no details'}",
                status=response.status,
                error=error if isinstance(error, str) else None,
            )
        parsed = parse_body(OAuthToken, data, response.status, "oauthToken")
        secret = Secret(parsed.access_token, self._secrets)
        lifetime = parsed.expires_in if parsed.expires_in and parsed.expires_in > 0 else 3600.0
        now = time.monotonic()
        margin = min(300.0, lifetime * 0.1)
        log.debug("obtained an OAuth token valid for %.0f s", lifetime)
        return AdminToken(value=secret, expires_at=now + lifetime, refresh_at=now + lifetime - margin)

    async def _post_token_request(self, basic: str) -> HttpResponse:
        """POST the client-credentials grant with the retry engine (it creates nothing, so it is SAFE):
        retried on network errors, 429 and 5xx; any other answer is returned for `_fetch` to judge."""
        url = f"{self._login_url}/oauth/token"

        async def once(_ambiguous_before: bool) -> HttpResponse:
            try:
                response = await self._transport.request(
                    "POST",
                    url,
                    headers={"Authorization": f"Basic {basic}"},
                    form={"grant_type": "client_credentials"},
                )
            except TransportFailure as failure:
                raise network_error(_OPERATION, failure, OpClass.SAFE) from None
            if response.status in _RETRY_STATUSES:
                raise api_error(_OPERATION, response)
            return response

        try:
            return await run_with_retries(
                once,
                operation=_OPERATION,
                op_class=OpClass.SAFE,
                policy=self._policy(),
                rng=self._rng,
                sleep=self._sleep,
                log=log,
            )
        except ApiError as exc:
            raise OAuthError(
                f"could not obtain an OAuth token (HTTP {exc.status}): {exc.message}", status=exc.status
            ) from None
