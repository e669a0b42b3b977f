"""Guest JWTs (HS256, per-process key) scoped to (conversation, member), OAuth client-credentials
tokens, and the
signed-data token (`memberAuthToken`) for authenticated-guest deployments.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass, field

import jwt

from webchat_tui.emulator.errors import EmulatorError

ISSUER = "urn:purecloud:webchat"
GUEST_JWT_LIFETIME = 78_761  # seconds; the one real sample (protocol.md §10.3)
OAUTH_TOKEN_LIFETIME = 86_399
MAX_OAUTH_TOKENS = 10_000  # live access tokens kept; beyond, the oldest is forgotten (its owner gets 401)
MAX_CACHED_GUEST_TOKENS = 20_000  # verification cache only: an evicted entry is verified by signature
ALL_PERMISSIONS = frozenset(
    {
        "webchat:deployment:read",
        "webchat:deployment:create",
        "webchat:deployment:update",
        "webchat:deployment:delete",
    }
)


@dataclass(frozen=True)
class GuestClaims:
    """What a verified guest JWT says."""

    conversation_id: str
    member_id: str
    deployment_id: str
    organization_id: str


class GuestTokens:
    """Issues and verifies guest JWTs with a key that lives only as long as this process."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._cache: dict[str, tuple[GuestClaims, int]] = {}
        self._by_conversation: dict[str, list[str]] = {}

    def issue(self, *, conversation_id: str, member_id: str, deployment_id: str, organization_id: str) -> str:
        """A JWT shaped like the real one: `data.{conv,did,sub}`, `iss`, `org`, `iat`, `exp`."""
        now = int(time.time())
        expires = now + GUEST_JWT_LIFETIME
        payload = {
            "data": {"conv": conversation_id, "did": deployment_id, "sub": member_id},
            "iat": now,
            "exp": expires,
            "iss": ISSUER,
            "org": organization_id,
        }
        token = jwt.encode(payload, self._key, algorithm="HS256", headers={"kid": secrets.token_hex(8)})
        claims = GuestClaims(conversation_id, member_id, deployment_id, organization_id)
        self._cache[token] = (claims, expires)
        self._by_conversation.setdefault(conversation_id, []).append(token)
        while len(self._cache) > MAX_CACHED_GUEST_TOKENS:
            del self._cache[next(iter(self._cache))]
        return token

    def verify(self, token: str) -> GuestClaims:
        """Claims of a valid token; 401 `credentials.expired` / `bad.credentials` otherwise."""
        cached = self._cache.get(token)
        if cached is not None:
            if time.time() >= cached[1]:
                raise EmulatorError("credentials.expired")
            return cached[0]
        try:
            payload = jwt.decode(token, self._key, algorithms=["HS256"], issuer=ISSUER)
            data = payload["data"]
            claims = GuestClaims(str(data["conv"]), str(data["sub"]), str(data["did"]), str(payload["org"]))
        except jwt.ExpiredSignatureError as exc:
            raise EmulatorError("credentials.expired") from exc
        except (jwt.PyJWTError, KeyError, TypeError) as exc:
            raise EmulatorError("bad.credentials") from exc
        return claims

    def forget(self) -> None:
        """Drop the verification cache (tokens stay valid: the key is unchanged)."""
        self._cache.clear()
        self._by_conversation.clear()

    def forget_conversation(self, conversation_id: str) -> None:
        """Drop the cache entries of a conversation that no longer exists (its tokens then get 404)."""
        for token in self._by_conversation.pop(conversation_id, ()):
            self._cache.pop(token, None)

    def prune(self, live_conversations: Collection[str]) -> None:
        """Drop cache entries that expired or whose conversation is gone."""
        now = time.time()
        for token, (claims, expires) in list(self._cache.items()):
            if expires <= now or claims.conversation_id not in live_conversations:
                del self._cache[token]
        for conversation_id in [c for c in self._by_conversation if c not in live_conversations]:
            del self._by_conversation[conversation_id]


def parse_authorization(header: str | None, *, require_bearer: bool) -> str:
    """The token from an `Authorization` header: `Bearer <t>`, or the bare token unless `require_bearer`."""
    if not header or not header.strip():
        raise EmulatorError("authentication.required")
    value = header.strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer" and rest.strip():
        return rest.strip()
    if require_bearer or " " in value or scheme.lower() == "bearer":
        raise EmulatorError("authentication.required")
    return value


@dataclass(frozen=True)
class OAuthClient:
    """A seeded client-credentials client and the permissions its tokens carry."""

    client_id: str
    client_secret: str = field(repr=False)
    permissions: frozenset[str] = frozenset()


class OAuthTokens:
    """Client registry and the opaque access tokens issued to it."""

    def __init__(self, clients: list[OAuthClient], lifetime: int = OAUTH_TOKEN_LIFETIME) -> None:
        self._clients = {c.client_id: c for c in clients}
        self._tokens: dict[str, tuple[frozenset[str], float]] = {}
        self.lifetime = lifetime

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._tokens

    def __repr__(self) -> str:
        return f"OAuthTokens({len(self._clients)} clients, {len(self._tokens)} tokens)"  # never a secret

    def issue(self, client_id: str, client_secret: str) -> tuple[str, int] | None:
        """(token, expires_in) for valid credentials, else None."""
        client = self._clients.get(client_id)
        if client is None or not secrets.compare_digest(client.client_secret, client_secret):
            return None
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (client.permissions, time.time() + self.lifetime)
        while len(self._tokens) > MAX_OAUTH_TOKENS:
            del self._tokens[next(iter(self._tokens))]
        return token, self.lifetime

    def prune(self) -> None:
        """Forget expired tokens."""
        now = time.time()
        for token, (_permissions, expires) in list(self._tokens.items()):
            if expires <= now:
                del self._tokens[token]

    def require(self, header: str | None, permission: str) -> None:
        """401 without a (valid) token, 403 `missing.permissions` when the token lacks `permission`."""
        if not header or not header.strip():
            raise EmulatorError("authentication.required")
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise EmulatorError("authentication.required")
        entry = self._tokens.get(token.strip())
        if entry is None:
            raise EmulatorError("bad.credentials")
        permissions, expires = entry
        if time.time() > expires:
            raise EmulatorError("credentials.expired")
        if permission not in permissions:
            raise EmulatorError("missing.permissions", permission, params={"permissions": permission})


SIGNED_DATA_ISSUER = "urn:emulator:signeddata"


def sign_member_auth_token(secret: str, *, org: str, deployment_id: str, subject: str) -> str:
    """A `memberAuthToken` (what `POST /api/v2/signeddata` would mint) valid for the emulator's auth
    deployment."""
    payload = {"iss": SIGNED_DATA_ISSUER, "org": org, "did": deployment_id, "sub": subject, "iat": 0}
    return jwt.encode(payload, secret, algorithm="HS256")


def verify_member_auth_token(secret: str, token: str, *, org: str, deployment_id: str) -> str | None:
    """The subject of a valid member auth token for `org` and this deployment (`did` claim), else None."""
    try:
        payload = jwt.decode(token, secret, algorithms=["HS256"], issuer=SIGNED_DATA_ISSUER)
    except jwt.PyJWTError:
        return None
    if payload.get("org") != org or payload.get("did") != deployment_id:
        return None
    sub = payload.get("sub")
    return str(sub) if sub is not None else None
