"""`WebChatClient`: the 19 Web Chat v2 operations, typed, with auth, retries and secrets kept secret.

```python
async with WebChatClient(base_url="http://127.0.0.1:8765") as client:      # or environment="mypurecloud.ie"
    chat = await client.post_webchat_guest_conversations(CreateWebChatConversationRequest(...))
    await client.get_webchat_guest_conversation_members(chat.id)           # the guest JWT is remembered
```
Guest operations carry the conversation's JWT (remembered from the create response, or given with
`set_guest_token` / ``jwt=``); admin operations carry an OAuth token obtained with client credentials from the
login host (``login.<envHost>``; for an explicit base URL the same base URL) and refreshed before it expires.
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
import time
import uuid
from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from pydantic import BaseModel

from webchat_tui.api._redact import Secret, get_logger, install_redaction, register_secret
from webchat_tui.api._retry import OpClass, RetryPolicy, backoff_delay, parse_retry_after, status_is_retryable
from webchat_tui.api._transport import HttpResponse, HttpTransport, Timeouts, TransportFailure
from webchat_tui.api.errors import (
    AmbiguousOutcomeError,
    ApiError,
    ApiTimeoutError,
    ClientValidationError,
    NetworkError,
    OAuthError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    SessionExpired,
    WebChatError,
    error_from_response,
)
from webchat_tui.api.models import (
    CreateWebChatConversationRequest,
    CreateWebChatConversationResponse,
    CreateWebChatMessageRequest,
    OAuthToken,
    WebChatDeployment,
    WebChatDeploymentEntityListing,
    WebChatGuestMediaRequest,
    WebChatGuestMediaRequestEntityList,
    WebChatMemberInfo,
    WebChatMemberInfoEntityList,
    WebChatMessage,
    WebChatMessageEntityList,
    WebChatSettings,
    WebChatTyping,
)
from webchat_tui.api.regions import resolve_environment
from webchat_tui.api.validation import (
    validate_id,
    validate_member_info,
    validate_message_body,
    validate_required,
)
from webchat_tui.sanitize import sanitize_text

__all__ = ["WebChatClient", "Timeouts", "RetryPolicy"]

log = get_logger("webchat_tui.api.client")
M = TypeVar("M", bound=BaseModel)

_GUEST = "/api/v2/webchat/guest/conversations"
_ADMIN = "/api/v2/webchat"
_SORT_ORDERS = ("ascending", "descending")


@dataclass(slots=True)
class _AdminToken:
    value: Secret
    expires_at: float  # monotonic
    refresh_at: float  # monotonic


class WebChatClient:
    """Async client for the Genesys Cloud Web Chat v2 API (guest chat + deployment/settings admin).

    Where to connect: ``base_url=`` (e.g. the emulator), else the ``WEBCHAT_BASE_URL`` environment
    variable, else
    ``environment=`` (one of the 17 regions: ``mypurecloud.com``, ``mypurecloud.ie``, ...
    ``apse1.pure.cloud``;
    ``api.<host>``, a full URL or the SDK region key such as ``eu_west_1`` are accepted too).
    ``login_url=`` overrides where OAuth tokens come from. TLS is verified unless ``verify=False``.
    ``client_id`` / ``client_secret`` are needed only for the 8 admin operations.
    ``http_transport`` is for tests that fake a real region (an ``httpx.MockTransport``).
    Use it as an async context manager, or call `aclose()`.
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
        verify: bool | str = True,
        user_agent: str = "webchat-tui/0.1",
        http_transport: Any | None = None,
        seed: int | None = None,
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
            )
        else:
            timeouts = timeout or Timeouts()
        self.timeouts = timeouts
        self.retry = retry or RetryPolicy()
        self._client_id = client_id
        self._client_secret = Secret(client_secret) if client_secret else None
        self._admin_token: _AdminToken | None = None
        self._token_lock = asyncio.Lock()
        self._guest_tokens: dict[str, Secret] = {}
        # Ids of messages this client stored, per conversation: a reconcile after an ambiguous send must not
        # mistake an earlier message with the same text (sent on purpose) for the one being sent.
        self._sent_message_ids: dict[str, set[str]] = {}
        self._rng = random.Random(seed)
        self._transport = HttpTransport(
            timeouts=timeouts, verify=verify, user_agent=user_agent, mock_transport=http_transport
        )
        self.sleep = asyncio.sleep
        """The sleep used between retries (replaceable, e.g. to record delays)."""

    def __repr__(self) -> str:
        return f"WebChatClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> WebChatClient:
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
        self._guest_tokens[conversation_id] = Secret(jwt)

    def has_guest_token(self, conversation_id: str) -> bool:
        """Whether a guest JWT is known for ``conversation_id``."""
        return conversation_id in self._guest_tokens

    def _guest_auth(self, conversation_id: str, jwt: str | None) -> dict[str, str]:
        if jwt is not None:
            register_secret(jwt)
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

    async def _admin_auth(self, *, force_refresh: bool = False) -> dict[str, str]:
        async with self._token_lock:
            now = time.monotonic()
            token = self._admin_token
            if force_refresh or token is None or now >= token.refresh_at:
                token = await self._fetch_admin_token()
                self._admin_token = token
            return {"Authorization": f"Bearer {token.value.get()}"}

    async def _fetch_admin_token(self) -> _AdminToken:
        if not self._client_id or self._client_secret is None:
            raise ClientValidationError("client_id", "admin operations need client_id= and client_secret=")
        basic = base64.b64encode(f"{self._client_id}:{self._client_secret.get()}".encode()).decode()
        register_secret(basic)
        url = f"{self.login_url}/oauth/token"
        attempt = 0
        while True:
            try:
                response = await self._transport.request(
                    "POST",
                    url,
                    headers={"Authorization": f"Basic {basic}"},
                    form={"grant_type": "client_credentials"},
                )
            except TransportFailure as failure:
                if attempt + 1 >= self.retry.max_attempts:
                    raise self._network_error("oauthToken", failure, OpClass.SAFE) from None
                await self.sleep(backoff_delay(attempt, self.retry, self._rng))
                attempt += 1
                continue
            if response.status in (429, 500, 502, 503, 504) and attempt + 1 < self.retry.max_attempts:
                delay = parse_retry_after(response.headers.get("retry-after"))
                await self.sleep(
                    delay
                    if delay is not None and delay <= self.retry.max_retry_after
                    else backoff_delay(attempt, self.retry, self._rng)
                )
                attempt += 1
                continue
            break
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
        parsed = OAuthToken.model_validate(data)
        secret = Secret(parsed.access_token)
        lifetime = parsed.expires_in if parsed.expires_in and parsed.expires_in > 0 else 3600.0
        now = time.monotonic()
        # Refresh when 10% of the lifetime (at most 5 minutes) is left.
        margin = min(300.0, lifetime * 0.1)
        log.debug("obtained an OAuth token valid for %.0f s", lifetime)
        return _AdminToken(value=secret, expires_at=now + lifetime, refresh_at=now + lifetime - margin)

    # --------------------------------------------------------------------------------------------------------
    # Request core

    def _network_error(self, operation: str, failure: TransportFailure, op_class: OpClass) -> NetworkError:
        where = f"{operation}: {failure}"
        if failure.sent is not False and op_class is OpClass.NON_IDEMPOTENT:
            return AmbiguousOutcomeError(
                f"{where} (the request may or may not have been applied)", operation=operation, sent=None
            )
        if failure.is_timeout:
            return ApiTimeoutError(where, operation=operation, sent=failure.sent)
        return NetworkError(where, operation=operation, sent=failure.sent)

    def _api_error(self, operation: str, response: HttpResponse) -> ApiError:
        return error_from_response(
            response.status,
            response.json(),
            correlation_id=response.headers.get("inin-correlation-id"),
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            operation=operation,
        )

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
    ) -> HttpResponse:
        """Send with auth and the retry policy; return a 2xx response or raise a typed error.

        `success_on_retry`: (status, code) pairs that mean "already done" when seen on a retry after an
        ambiguous
        attempt (e.g. a DELETE whose first try was applied but whose response was lost).
        """
        policy = self.retry
        attempts = max_attempts or (1 if op_class is OpClass.EPHEMERAL else policy.max_attempts)
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        url = f"{self.base_url}{path}"
        attempt = 0
        ambiguous_before = False
        refreshed_admin = False
        while True:
            if auth == "guest":
                headers = self._guest_auth(conversation_id, jwt)
            elif auth == "admin":
                headers = await self._admin_auth()
            else:
                headers = {}
            headers["X-Client-Request-Id"] = request_id
            t0 = time.monotonic()
            try:
                response = await self._transport.request(
                    method, url, headers=headers, params=params, json_body=json_body
                )
            except TransportFailure as failure:
                log.debug(
                    "%s %s %s failed after %.0f ms: %s",
                    operation,
                    method,
                    path,
                    (time.monotonic() - t0) * 1000,
                    failure,
                )
                retryable = op_class in (OpClass.SAFE, OpClass.IDEMPOTENT) or (
                    op_class is OpClass.NON_IDEMPOTENT and failure.sent is False
                )
                if not retryable or attempt + 1 >= attempts or self._past_deadline(started, 0.0):
                    raise self._network_error(operation, failure, op_class) from None
                ambiguous_before = ambiguous_before or failure.sent is not False
                delay = backoff_delay(attempt, policy, self._rng)
                log.debug("retrying %s in %.2f s (attempt %d)", operation, delay, attempt + 2)
                await self.sleep(delay)
                attempt += 1
                continue
            log.debug(
                "%s %s %s -> %d in %.0f ms",
                operation,
                method,
                path,
                response.status,
                (time.monotonic() - t0) * 1000,
            )
            if response.status < 400:
                return response
            error = self._api_error(operation, response)
            if (
                ambiguous_before
                and (response.status, error.code) in success_on_retry
                or (ambiguous_before and (response.status, None) in success_on_retry)
            ):
                log.debug(
                    "%s: %d on a retry after an ambiguous attempt counts as success",
                    operation,
                    response.status,
                )
                return HttpResponse(status=204, headers=response.headers, content=b"", url=response.url)
            if auth == "admin" and response.status == 401 and not refreshed_admin:
                refreshed_admin = True
                await self._admin_auth(force_refresh=True)
                continue
            if isinstance(error, SessionExpired) or not status_is_retryable(op_class, response.status):
                raise error
            if attempt + 1 >= attempts:
                raise error
            if response.status >= 500 or response.status == 408:
                ambiguous_before = True  # the server may have applied it before failing
            retry_after = getattr(error, "retry_after", None)
            if retry_after is not None:
                if retry_after > policy.max_retry_after:
                    raise error
                delay = retry_after
                reason = "Retry-After"
            else:
                delay = backoff_delay(attempt, policy, self._rng)
                reason = "backoff"
            if self._past_deadline(started, delay):
                raise error
            log.debug(
                "retrying %s after HTTP %d in %.2f s (%s, attempt %d)",
                operation,
                response.status,
                delay,
                reason,
                attempt + 2,
            )
            await self.sleep(delay)
            attempt += 1

    def _past_deadline(self, started: float, delay: float) -> bool:
        deadline = self.retry.deadline
        return deadline is not None and time.monotonic() + delay - started > deadline

    @staticmethod
    def _parse(model: type[M], response: HttpResponse, operation: str) -> M:
        data = response.json()
        if not isinstance(data, dict):
            raise ServerError(
                response.status,
                None,
                f"{operation}: the response body is not a JSON object",
                operation=operation,
            )
        return model.model_validate(data)

    @staticmethod
    def _guest_path(conversation_id: str, *parts: str) -> str:
        validate_id(conversation_id, "conversationId")
        return "/".join([_GUEST, quote(conversation_id, safe=""), *(quote(p, safe="") for p in parts)])

    # --------------------------------------------------------------------------------------------------------
    # Guest operations (11)

    async def post_webchat_guest_conversations(
        self, body: CreateWebChatConversationRequest
    ) -> CreateWebChatConversationResponse:
        """Create a guest chat (no auth). Routing starts once the event stream is attached.

        Never retried automatically once it may have reached the server: a second chat would be routed to a
        second
        agent. Remembers the returned JWT for the conversation's other guest operations.
        """
        validate_required(body.organization_id, "organizationId")
        validate_required(body.deployment_id, "deploymentId")
        validate_required(body.routing_target.target_address, "routingTarget.targetAddress")
        validate_member_info(body.member_info)
        if body.member_auth_token:
            register_secret(body.member_auth_token)
        response = await self._send(
            "postWebchatGuestConversations",
            "POST",
            _GUEST,
            op_class=OpClass.NON_IDEMPOTENT,
            auth="none",
            json_body=body.to_wire(),
        )
        data = response.json()
        if isinstance(data, dict):
            register_secret(data.get("jwt") if isinstance(data.get("jwt"), str) else None)
        created = self._parse(CreateWebChatConversationResponse, response, "postWebchatGuestConversations")
        self.set_guest_token(created.id, created.jwt)
        return created

    async def get_webchat_guest_conversation_members(
        self,
        conversation_id: str,
        *,
        page_size: int | None = None,
        page_number: int | None = None,
        exclude_disconnected_members: bool | None = None,
        jwt: str | None = None,
    ) -> WebChatMemberInfoEntityList:
        """One page of the conversation's members."""
        params: dict[str, str] = {}
        if page_size is not None:
            if not 1 <= page_size <= 100:
                raise ClientValidationError("pageSize", "must be between 1 and 100")
            params["pageSize"] = str(page_size)
        if page_number is not None:
            if page_number < 1:
                raise ClientValidationError("pageNumber", "must be 1 or more")
            params["pageNumber"] = str(page_number)
        if exclude_disconnected_members is not None:
            params["excludeDisconnectedMembers"] = "true" if exclude_disconnected_members else "false"
        response = await self._send(
            "getWebchatGuestConversationMembers",
            "GET",
            self._guest_path(conversation_id, "members"),
            op_class=OpClass.SAFE,
            auth="guest",
            conversation_id=conversation_id,
            jwt=jwt,
            params=params,
        )
        return self._parse(WebChatMemberInfoEntityList, response, "getWebchatGuestConversationMembers")

    async def list_all_members(
        self, conversation_id: str, *, exclude_disconnected_members: bool = False, jwt: str | None = None
    ) -> list[WebChatMemberInfo]:
        """Every member, reading all pages."""
        members: list[WebChatMemberInfo] = []
        page_number = 1
        while True:
            page = await self.get_webchat_guest_conversation_members(
                conversation_id,
                page_size=100,
                page_number=page_number,
                exclude_disconnected_members=exclude_disconnected_members,
                jwt=jwt,
            )
            members.extend(page.entities)
            if not page.entities or not page.has_next_page or page_number >= 1000:
                return members
            page_number += 1

    async def get_webchat_guest_conversation_member(
        self, conversation_id: str, member_id: str, *, jwt: str | None = None
    ) -> WebChatMemberInfo:
        """One member's details (display name, role, state ...)."""
        validate_id(member_id, "memberId")
        response = await self._send(
            "getWebchatGuestConversationMember",
            "GET",
            self._guest_path(conversation_id, "members", member_id),
            op_class=OpClass.SAFE,
            auth="guest",
            conversation_id=conversation_id,
            jwt=jwt,
        )
        return self._parse(WebChatMemberInfo, response, "getWebchatGuestConversationMember")

    async def delete_webchat_guest_conversation_member(
        self, conversation_id: str, member_id: str, *, jwt: str | None = None
    ) -> None:
        """Remove a member (the guest leaving). Retried as idempotent: on a retry after an ambiguous attempt a
        404 or a member-state error means the first attempt worked."""
        validate_id(member_id, "memberId")
        await self._send(
            "deleteWebchatGuestConversationMember",
            "DELETE",
            self._guest_path(conversation_id, "members", member_id),
            op_class=OpClass.IDEMPOTENT,
            auth="guest",
            conversation_id=conversation_id,
            jwt=jwt,
            success_on_retry=(
                (404, None),
                (400, "chat.error.member.state"),
                (400, "chat.error.conversation.state"),
            ),
        )

    async def post_webchat_guest_conversation_member_messages(
        self,
        conversation_id: str,
        member_id: str,
        body: str | CreateWebChatMessageRequest,
        body_type: str | None = None,
        *,
        jwt: str | None = None,
        reconcile_after: str | None = None,
        exclude_ids: Collection[str] = (),
    ) -> WebChatMessage:
        """Send a message as ``member_id``. Lose nothing, duplicate nothing.

        Resent without checking only when the request provably never reached the server. After any other
        failure (timeout, dropped connection, 429/5xx) the conversation's messages are read first: if our
        message is there (same sender and body, an id neither in ``exclude_ids`` nor already returned by this
        client for an earlier send, after ``reconcile_after`` when given, else recent) it is returned instead
        of sending again.
        """
        request = (
            body
            if isinstance(body, CreateWebChatMessageRequest)
            else CreateWebChatMessageRequest(body=body, body_type=body_type)
        )
        validate_message_body(request.body)
        validate_id(member_id, "memberId")
        path = self._guest_path(conversation_id, "members", member_id, "messages")
        wire = request.to_wire()
        operation = "postWebchatGuestConversationMemberMessages"
        started_wall = time.time()
        sent_ids = self._sent_message_ids.setdefault(conversation_id, set())
        attempts = self.retry.max_attempts
        last_error: Exception | None = None
        for attempt in range(attempts):
            try:
                response = await self._send(
                    operation,
                    "POST",
                    path,
                    op_class=OpClass.NON_IDEMPOTENT,
                    auth="guest",
                    conversation_id=conversation_id,
                    jwt=jwt,
                    json_body=wire,
                    max_attempts=1,
                )
                stored = self._parse(WebChatMessage, response, operation)
                sent_ids.add(stored.id)
                return stored
            except NetworkError as exc:
                last_error = exc
                delay = backoff_delay(attempt, self.retry, self._rng)
                if exc.sent is False:
                    if attempt + 1 < attempts:
                        await self.sleep(delay)
                    continue
            except (RateLimitError, ServiceUnavailableError) as exc:
                last_error = exc
                delay = (
                    exc.retry_after
                    if exc.retry_after is not None
                    else backoff_delay(attempt, self.retry, self._rng)
                )
                if delay > self.retry.max_retry_after:
                    raise
            except ServerError as exc:
                last_error = exc
                delay = backoff_delay(attempt, self.retry, self._rng)
            # The outcome is unknown: wait first (a slow server may still be storing it), then look before
            # sending again.
            if attempt + 1 < attempts:
                await self.sleep(delay)
            log.debug("%s: ambiguous failure (%s); reconciling", operation, type(last_error).__name__)
            try:
                found = await self._reconcile_message(
                    conversation_id,
                    member_id,
                    request,
                    jwt=jwt,
                    after=reconcile_after,
                    exclude_ids=sent_ids.union(exclude_ids),
                    since_wall=started_wall,
                )
            except WebChatError as exc:
                # Never resend blind: that could duplicate the message.
                raise AmbiguousOutcomeError(
                    f"{operation}: the send failed ({type(last_error).__name__}) and it could not be "
                    f"verified "
                    f"whether the message was stored ({type(exc).__name__})",
                    operation=operation,
                ) from exc
            if found is not None:
                log.debug("%s: the message was stored despite the error; not resending", operation)
                sent_ids.add(found.id)
                return found
        assert last_error is not None
        raise last_error

    async def _reconcile_message(
        self,
        conversation_id: str,
        member_id: str,
        request: CreateWebChatMessageRequest,
        *,
        jwt: str | None,
        after: str | None,
        exclude_ids: Collection[str],
        since_wall: float,
    ) -> WebChatMessage | None:
        body = sanitize_text(request.body)
        body_type = str(request.body_type) if request.body_type is not None else "standard"

        def matches(message: WebChatMessage) -> bool:
            return (
                message.sender.id == member_id
                and message.body == body
                and str(message.body_type) == body_type
                and message.id not in exclude_ids
            )

        if after is not None:
            async for message in self.iter_messages(conversation_id, after=after, jwt=jwt):
                if matches(message):
                    return message
            return None
        page = await self.get_webchat_guest_conversation_messages(
            conversation_id, sort_order="descending", max_results=100, jwt=jwt
        )
        for message in page.entities:
            # Without a cursor, only consider messages stamped after the send began (minus clock skew).
            if matches(message) and message.timestamp.timestamp() >= since_wall - 30.0:
                return message
        return None

    async def post_webchat_guest_conversation_member_typing(
        self, conversation_id: str, member_id: str, *, jwt: str | None = None
    ) -> WebChatTyping:
        """Send a typing indicator. Never retried (a late indicator is worse than none)."""
        validate_id(member_id, "memberId")
        response = await self._send(
            "postWebchatGuestConversationMemberTyping",
            "POST",
            self._guest_path(conversation_id, "members", member_id, "typing"),
            op_class=OpClass.EPHEMERAL,
            auth="guest",
            conversation_id=conversation_id,
            jwt=jwt,
        )
        return self._parse(WebChatTyping, response, "postWebchatGuestConversationMemberTyping")

    async def get_webchat_guest_conversation_messages(
        self,
        conversation_id: str,
        *,
        after: str | None = None,
        before: str | None = None,
        sort_order: str | None = None,
        max_results: int | None = None,
        jwt: str | None = None,
    ) -> WebChatMessageEntityList:
        """One page of messages (cursor paging with ``after`` / ``before`` message ids)."""
        data = await self._get_messages_raw(
            conversation_id,
            after=after,
            before=before,
            sort_order=sort_order,
            max_results=max_results,
            jwt=jwt,
        )
        return WebChatMessageEntityList.model_validate(data)

    async def _get_messages_raw(
        self,
        conversation_id: str,
        *,
        after: str | None = None,
        before: str | None = None,
        sort_order: str | None = None,
        max_results: int | None = None,
        jwt: str | None = None,
    ) -> dict[str, Any]:
        """`getWebchatGuestConversationMessages` as decoded JSON (the event stream's backfill builds its own
        lightweight objects from it)."""
        params: dict[str, str] = {}
        if after is not None:
            validate_id(after, "after")
            params["after"] = after
        if before is not None:
            validate_id(before, "before")
            params["before"] = before
        if sort_order is not None:
            if sort_order not in _SORT_ORDERS:
                raise ClientValidationError("sortOrder", "must be 'ascending' or 'descending'")
            params["sortOrder"] = sort_order
        if max_results is not None:
            if not 1 <= max_results <= 100:
                raise ClientValidationError("maxResults", "must be between 1 and 100")
            params["maxResults"] = str(max_results)
        response = await self._send(
            "getWebchatGuestConversationMessages",
            "GET",
            self._guest_path(conversation_id, "messages"),
            op_class=OpClass.SAFE,
            auth="guest",
            conversation_id=conversation_id,
            jwt=jwt,
            params=params,
        )
        data = response.json()
        if not isinstance(data, dict):
            raise ServerError(
                response.status,
                None,
                "the messages response is not a JSON object",
                operation="getWebchatGuestConversationMessages",
            )
        return data

    async def iter_messages(
        self, conversation_id: str, *, after: str | None = None, jwt: str | None = None, page_size: int = 100
    ) -> AsyncIterator[WebChatMessage]:
        """Every message after ``after`` (or from the start), ascending, reading pages to the end."""
        cursor = after
        for _ in range(100_000):
            page = await self.get_webchat_guest_conversation_messages(
                conversation_id, after=cursor, sort_order="ascending", max_results=page_size, jwt=jwt
            )
            for message in page.entities:
                yield message
            if not page.entities or not page.next:
                return
            cursor = page.entities[-1].id

    async def get_webchat_guest_conversation_message(
        self, conversation_id: str, message_id: str, *, jwt: str | None = None
    ) -> WebChatMessage:
        """One message by id."""
        validate_id(message_id, "messageId")
        response = await self._send(
            "getWebchatGuestConversationMessage",
            "GET",
            self._guest_path(conversation_id, "messages", message_id),
            op_class=OpClass.SAFE,
            auth="guest",
            conversation_id=conversation_id,
            jwt=jwt,
        )
        return self._parse(WebChatMessage, response, "getWebchatGuestConversationMessage")

    async def get_webchat_guest_conversation_mediarequests(
        self, conversation_id: str, *, jwt: str | None = None
    ) -> WebChatGuestMediaRequestEntityList:
        """All media requests of the conversation."""
        response = await self._send(
            "getWebchatGuestConversationMediarequests",
            "GET",
            self._guest_path(conversation_id, "mediarequests"),
            op_class=OpClass.SAFE,
            auth="guest",
            conversation_id=conversation_id,
            jwt=jwt,
        )
        return self._parse(
            WebChatGuestMediaRequestEntityList, response, "getWebchatGuestConversationMediarequests"
        )

    async def get_webchat_guest_conversation_mediarequest(
        self, conversation_id: str, media_request_id: str, *, jwt: str | None = None
    ) -> WebChatGuestMediaRequest:
        """One media request."""
        validate_id(media_request_id, "mediaRequestId")
        response = await self._send(
            "getWebchatGuestConversationMediarequest",
            "GET",
            self._guest_path(conversation_id, "mediarequests", media_request_id),
            op_class=OpClass.SAFE,
            auth="guest",
            conversation_id=conversation_id,
            jwt=jwt,
        )
        return self._parse(WebChatGuestMediaRequest, response, "getWebchatGuestConversationMediarequest")

    async def patch_webchat_guest_conversation_mediarequest(
        self,
        conversation_id: str,
        media_request_id: str,
        body: WebChatGuestMediaRequest | str,
        *,
        jwt: str | None = None,
    ) -> WebChatGuestMediaRequest:
        """Answer a media request: ``body`` is a `WebChatGuestMediaRequest` or just the new state
        (``ACCEPTED``, ``DECLINED`` or ``ERRORED``)."""
        validate_id(media_request_id, "mediaRequestId")
        request = body if isinstance(body, WebChatGuestMediaRequest) else WebChatGuestMediaRequest(state=body)
        if request.state is None:
            raise ClientValidationError("state", "is required")
        if str(request.state) not in ("ACCEPTED", "DECLINED", "ERRORED"):
            raise ClientValidationError("state", "a guest may only set ACCEPTED, DECLINED or ERRORED")
        response = await self._send(
            "patchWebchatGuestConversationMediarequest",
            "PATCH",
            self._guest_path(conversation_id, "mediarequests", media_request_id),
            op_class=OpClass.IDEMPOTENT,
            auth="guest",
            conversation_id=conversation_id,
            jwt=jwt,
            json_body=request.to_wire(),
        )
        return self._parse(WebChatGuestMediaRequest, response, "patchWebchatGuestConversationMediarequest")

    # --------------------------------------------------------------------------------------------------------
    # Admin operations (8), OAuth client credentials

    async def get_webchat_deployments(self) -> WebChatDeploymentEntityListing:
        """All deployments (``webchat:deployment:read``)."""
        response = await self._send(
            "getWebchatDeployments", "GET", f"{_ADMIN}/deployments", op_class=OpClass.SAFE, auth="admin"
        )
        return self._parse(WebChatDeploymentEntityListing, response, "getWebchatDeployments")

    async def post_webchat_deployments(self, body: WebChatDeployment) -> WebChatDeployment:
        """Create a deployment (``webchat:deployment:create``); retried only if it provably never arrived."""
        validate_required(body.name, "name")
        response = await self._send(
            "postWebchatDeployments",
            "POST",
            f"{_ADMIN}/deployments",
            op_class=OpClass.NON_IDEMPOTENT,
            auth="admin",
            json_body=body.to_wire(),
        )
        return self._parse(WebChatDeployment, response, "postWebchatDeployments")

    async def get_webchat_deployment(self, deployment_id: str) -> WebChatDeployment:
        """One deployment."""
        validate_id(deployment_id, "deploymentId")
        response = await self._send(
            "getWebchatDeployment",
            "GET",
            f"{_ADMIN}/deployments/{quote(deployment_id, safe='')}",
            op_class=OpClass.SAFE,
            auth="admin",
        )
        return self._parse(WebChatDeployment, response, "getWebchatDeployment")

    async def put_webchat_deployment(self, deployment_id: str, body: WebChatDeployment) -> WebChatDeployment:
        """Replace a deployment (``webchat:deployment:update``)."""
        validate_id(deployment_id, "deploymentId")
        response = await self._send(
            "putWebchatDeployment",
            "PUT",
            f"{_ADMIN}/deployments/{quote(deployment_id, safe='')}",
            op_class=OpClass.IDEMPOTENT,
            auth="admin",
            json_body=body.to_wire(),
        )
        return self._parse(WebChatDeployment, response, "putWebchatDeployment")

    async def delete_webchat_deployment(self, deployment_id: str) -> None:
        """Delete a deployment (``webchat:deployment:delete``); a 404 on a retry after an ambiguous attempt is
        success."""
        validate_id(deployment_id, "deploymentId")
        await self._send(
            "deleteWebchatDeployment",
            "DELETE",
            f"{_ADMIN}/deployments/{quote(deployment_id, safe='')}",
            op_class=OpClass.IDEMPOTENT,
            auth="admin",
            success_on_retry=((404, None),),
        )

    async def get_webchat_settings(self) -> WebChatSettings:
        """The org's web chat settings."""
        response = await self._send(
            "getWebchatSettings", "GET", f"{_ADMIN}/settings", op_class=OpClass.SAFE, auth="admin"
        )
        return self._parse(WebChatSettings, response, "getWebchatSettings")

    async def put_webchat_settings(self, body: WebChatSettings) -> WebChatSettings:
        """Replace the org's web chat settings."""
        response = await self._send(
            "putWebchatSettings",
            "PUT",
            f"{_ADMIN}/settings",
            op_class=OpClass.IDEMPOTENT,
            auth="admin",
            json_body=body.to_wire(),
        )
        return self._parse(WebChatSettings, response, "putWebchatSettings")

    async def delete_webchat_settings(self) -> None:
        """Delete the org's web chat settings."""
        await self._send(
            "deleteWebchatSettings",
            "DELETE",
            f"{_ADMIN}/settings",
            op_class=OpClass.IDEMPOTENT,
            auth="admin",
            success_on_retry=((404, None),),
        )
