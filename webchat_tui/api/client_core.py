"""The machinery under every `WebChatClient` operation: where to connect, credentials, and one request sent
with auth and the retry policy (architecture.md §2.1), answered by a 2xx response or a typed error."""

from __future__ import annotations

import asyncio
import os
import random
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote, urlsplit

from pydantic import BaseModel

from webchat_tui.api._error_mapping import api_error, network_error
from webchat_tui.api._redact import Secret, SecretRegistry, get_logger, install_redaction
from webchat_tui.api._retry import OpClass, RetryPolicy, run_with_retries
from webchat_tui.api._transport import (
    MAX_RESPONSE_BYTES,
    HttpResponse,
    HttpTransport,
    Timeouts,
    TransportFailure,
)
from webchat_tui.api.auth import AdminToken, OAuthTokens
from webchat_tui.api.errors import ClientValidationError
from webchat_tui.api.regions import resolve_environment
from webchat_tui.api.validation import parse_body, validate_id

__all__ = ["ClientCore", "GUEST_PATH", "ADMIN_PATH"]

log = get_logger("webchat_tui.api.client")
M = TypeVar("M", bound=BaseModel)

GUEST_PATH = "/api/v2/webchat/guest/conversations"
ADMIN_PATH = "/api/v2/webchat"


class ClientCore:
    """Connection, credentials and the retrying request core shared by the guest and admin operations.

    See `WebChatClient` for the constructor's arguments.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        environment: str | None = None,
        login_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        timeout: Timeouts | float | None = None,
        retry: RetryPolicy | None = None,
        verify: bool | str | ssl.SSLContext = True,
        user_agent: str = "webchat-tui/0.1",
        http_transport: Any | None = None,
        seed: int | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        install_redaction()
        if base_url is None and environment is None:
            base_url = os.environ.get("WEBCHAT_BASE_URL") or None
        if base_url is not None:
            parts = urlsplit(base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ClientValidationError("base_url", f"{base_url!r} is not an absolute http(s) URL")
            self.base_url = base_url.rstrip("/")
            self.login_url = (login_url or self.base_url).rstrip("/")
            self.environment: str | None = None
        elif environment is not None:
            region = resolve_environment(environment)
            self.base_url = region.api_url
            self.login_url = (login_url or region.login_url).rstrip("/")
            self.environment = region.env_host
        else:
            raise ClientValidationError(
                "base_url", "give base_url= or environment= (or set WEBCHAT_BASE_URL)"
            )
        if isinstance(timeout, int | float):
            timeouts = Timeouts(
                connect=min(5.0, float(timeout)),
                read=float(timeout),
                write=float(timeout),
                pool=min(5.0, float(timeout)),
                total=max(30.0, 4 * float(timeout)),
            )
        else:
            timeouts = timeout or Timeouts()
        self.timeouts = timeouts
        self.retry = retry or RetryPolicy()
        self._client_id = client_id
        self.secrets = SecretRegistry()
        """This client's secrets (bounded; `redact` masks them while the client lives)."""
        self._client_secret = Secret(client_secret, self.secrets) if client_secret else None
        self._guest_tokens: dict[str, Secret] = {}
        # Ids of messages this client stored, per conversation: a reconcile after an ambiguous send must not
        # mistake an earlier message with the same text (sent on purpose) for the one being sent.
        self._sent_message_ids: dict[str, set[str]] = {}
        self._rng = random.Random(seed)
        self._transport = HttpTransport(
            timeouts=timeouts,
            verify=verify,
            user_agent=user_agent,
            mock_transport=http_transport,
            max_response_bytes=max_response_bytes,
        )
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        """The sleep used between retries (replaceable, e.g. to record delays)."""
        self._oauth = OAuthTokens(
            self._transport,
            self.login_url,
            client_id,
            self._client_secret,
            retry=lambda: self.retry,
            secrets=self.secrets,
            rng=self._rng,
            sleep=lambda delay: self.sleep(delay),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (idempotent)."""
        if not self._transport.closed:
            await self._transport.aclose()

    @property
    def closed(self) -> bool:
        """True once the client has been closed."""
        return self._transport.closed

    # --------------------------------------------------------------------------------------------------------
    # Credentials

    def set_guest_token(self, conversation_id: str, jwt: str) -> None:
        """Remember the guest JWT to use for ``conversation_id`` (done automatically on create)."""
        self._guest_tokens[conversation_id] = Secret(jwt, self.secrets)

    def has_guest_token(self, conversation_id: str) -> bool:
        """Whether a guest JWT is known for ``conversation_id``."""
        return conversation_id in self._guest_tokens

    def _guest_auth(self, conversation_id: str, jwt: str | None) -> dict[str, str]:
        if jwt is not None:
            self.secrets.add(jwt)
            token = jwt
        else:
            secret = self._guest_tokens.get(conversation_id)
            if secret is None:
                raise ClientValidationError(
                    "jwt",
                    f"no guest token known for conversation {conversation_id}; "
                    "pass jwt= or call set_guest_token()",
                )
            token = secret.get()
        return {"Authorization": f"Bearer {token}"}

    @property
    def _admin_token(self) -> AdminToken | None:
        """The cached admin OAuth token (None before the first admin call)."""
        return self._oauth.current

    # --------------------------------------------------------------------------------------------------------
    # Request core

    async def _send(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        op_class: OpClass,
        auth: str,
        conversation_id: str = "",
        jwt: str | None = None,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        max_attempts: int | None = None,
        success_on_retry: Collection[tuple[int, str | None]] = (),
        reconcile: Callable[[], Awaitable[HttpResponse | None]] | None = None,
    ) -> HttpResponse:
        """Send with auth and the retry engine (`run_with_retries`); return a 2xx response or raise a typed
        error.

        `success_on_retry`: (status, code) pairs that mean "already done" when seen on a retry after an
        ambiguous attempt (e.g. a DELETE whose first try was applied but whose response was lost).
        `reconcile`: the hook that looks for an ambiguous attempt's effect before the next one.
        """
        request_id = str(uuid.uuid4())
        url = f"{self.base_url}{path}"
        refreshed_admin = False

        async def once(ambiguous_before: bool) -> HttpResponse:
            nonlocal refreshed_admin
            if auth == "guest":
                headers = self._guest_auth(conversation_id, jwt)
            elif auth == "admin":
                headers = await self._oauth.authorization()
            else:
                headers = {}
            headers["X-Client-Request-Id"] = request_id
            t0 = time.monotonic()
            try:
                response = await self._transport.request(
                    method, url, headers=headers, params=params, json_body=json_body
                )
            except TransportFailure as failure:
                elapsed = (time.monotonic() - t0) * 1000
                log.debug("%s %s %s failed after %.0f ms: %s", operation, method, path, elapsed, failure)
                raise network_error(operation, failure, op_class) from None
            elapsed = (time.monotonic() - t0) * 1000
            log.debug("%s %s %s -> %d in %.0f ms", operation, method, path, response.status, elapsed)
            if 200 <= response.status < 300:
                return response
            error = api_error(operation, response)
            done = (response.status, error.code) in success_on_retry or (
                response.status,
                None,
            ) in success_on_retry
            if ambiguous_before and done:
                log.debug(
                    "%s: %d on a retry after an ambiguous attempt is success", operation, response.status
                )
                return HttpResponse(status=204, headers=response.headers, content=b"", url=response.url)
            if auth == "admin" and response.status == 401 and not refreshed_admin:
                refreshed_admin = True  # a token revoked early: one fresh token, at once
                await self._oauth.authorization(force_refresh=True)
                return await once(ambiguous_before)
            raise error

        return await run_with_retries(
            once,
            operation=operation,
            op_class=op_class,
            policy=self.retry,
            rng=self._rng,
            sleep=lambda delay: self.sleep(delay),
            log=log,
            max_attempts=max_attempts,
            reconcile=reconcile,
        )

    @staticmethod
    def _parse(model: type[M], response: HttpResponse, operation: str) -> M:
        """The 2xx body as ``model``; any shape problem is an `InvalidResponseError`, never a pydantic
        error."""
        return parse_body(model, response.json(), response.status, operation)

    @staticmethod
    def _guest_path(conversation_id: str, *parts: str) -> str:
        validate_id(conversation_id, "conversationId")
        return "/".join([GUEST_PATH, quote(conversation_id, safe=""), *(quote(p, safe="") for p in parts)])
