"""Clerk: session tokens verified by the official SDK, users read from Clerk's Backend API.

`clerk_backend_api.security.authenticate_request` (7.0.0) verifies the RS256 signature, `exp`
and `nbf` when present (with the skew we pass), and `azp` against the list we pass. Read in its
source and checked by our tests, it leaves out: a token without `exp` (PyJWT does not require
one), the issuer (`verify_iss` is off), the session status (`sts: "pending"`), and `api_url`
(its AuthenticateRequestOptions has none, so with only a secret key it would fetch the JWKS from
api.clerk.com with ten retries on the request path). So the SDK is always handed a PEM key: the
instance's `CLERK_JWT_KEY` (networkless), or the key of the token's `kid` from a JWKS we fetch
from `CLERK_API_URL` ourselves (cached; an unknown `kid` refetches at most once per interval).
It reads the token only from the `Authorization` header we build, never a `__session` cookie.
"""

import logging
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from clerk_backend_api.security import (
    AuthenticateRequestOptions,
    RequestState,
    authenticate_request,
    authenticate_request_async,
)
from clerk_backend_api.security.machine import is_machine_token
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from jwt.algorithms import RSAAlgorithm

from accounts.models import Role

logger = logging.getLogger(__name__)

CLOCK_SKEW_MS = 5000
# Seconds a JWKS request may take; a slow Clerk must not hold a request for the SDK's retries.
JWKS_TIMEOUT = 5.0
# An unknown `kid` refetches the JWKS (key rotation), at most once per this many seconds, so a
# stream of forged kids cannot turn us into a Clerk API load generator.
JWKS_REFETCH_INTERVAL = 30.0
BACKEND_API_TIMEOUT_MS = 5000
MAX_CLERK_ID_LENGTH = 64


class TokenRefused(Exception):
    """The bearer token is not a valid Clerk session token; `reason` is for logs only."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class ClerkUnavailable(Exception):
    """Clerk's Backend API could not be reached and no JWKS is cached."""


@dataclass(frozen=True)
class ClerkSession:
    """A verified session token: who (`clerk_id`, the `sub`), and a role when the token says."""

    clerk_id: str
    session_id: str | None
    role: str | None
    claims: Mapping[str, Any] = field(repr=False)


def jwt_key() -> str:
    """CLERK_JWT_KEY as PEM (`.env` files carry its newlines as literal `\\n`)."""
    return str(settings.CLERK_JWT_KEY).replace("\\n", "\n").strip()


def is_configured() -> bool:
    return bool(jwt_key() or settings.CLERK_SECRET_KEY)


def authorized_parties() -> list[str]:
    """CLERK_AUTHORIZED_PARTIES, else the CORS origins: one list of trusted frontends."""
    parties = settings.CLERK_AUTHORIZED_PARTIES
    return list(settings.CORS_ALLOWED_ORIGINS if parties is None else parties)


def _api_url() -> str:
    return str(settings.CLERK_API_URL).rstrip("/")


# --- The JWKS cache (only when CLERK_JWT_KEY is not set) -------------------------------------


class _Jwks:
    """PEM keys by kid from `{CLERK_API_URL}/v1/jwks`, shared by the sync and async paths."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._source: tuple[str, str] = ("", "")
        self._keys: dict[str, str] = {}
        self._fetched_at = -math.inf
        self._refetched_at = -math.inf

    def reset(self) -> None:
        with self._lock:
            self._keys, self._fetched_at, self._refetched_at = {}, -math.inf, -math.inf

    def wants_fetch(self, kid: str) -> bool:
        """Whether to fetch now: nothing (fresh) cached, or an unknown kid outside the interval."""
        now = time.monotonic()
        source = (_api_url(), str(settings.CLERK_SECRET_KEY))
        with self._lock:
            if source != self._source:
                self._source, self._keys = source, {}
                self._fetched_at = self._refetched_at = -math.inf
            if now - self._fetched_at > settings.CLERK_JWKS_CACHE_SECONDS:
                return True
            if kid not in self._keys and now - self._refetched_at >= JWKS_REFETCH_INTERVAL:
                self._refetched_at = now
                return True
            return False

    def store(self, keys: dict[str, str]) -> None:
        with self._lock:
            self._keys, self._fetched_at = keys, time.monotonic()

    def get(self, kid: str) -> str | None:
        with self._lock:
            return self._keys.get(kid)

    def has_keys(self) -> bool:
        with self._lock:
            return bool(self._keys)


_jwks = _Jwks()


def jwks_cache_clear() -> None:
    """Forget the fetched JWKS (tests; an operator's shell after rotating keys)."""
    _jwks.reset()


def _jwks_request() -> tuple[str, dict[str, str]]:
    return f"{_api_url()}/v1/jwks", {
        "Authorization": f"Bearer {settings.CLERK_SECRET_KEY}",
        "Accept": "application/json",
    }


def _parse_jwks(response: httpx.Response) -> dict[str, str]:
    if response.status_code != 200:
        raise ClerkUnavailable(f"JWKS answered {response.status_code}")
    try:
        entries = response.json().get("keys") or []
    except (ValueError, AttributeError) as exc:
        raise ClerkUnavailable("JWKS is not JSON") from exc
    keys: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not entry.get("kid"):
            continue
        try:
            public_key: Any = RSAAlgorithm.from_jwk(entry)
        except (jwt.InvalidKeyError, ValueError, KeyError):
            continue
        pem = public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        keys[str(entry["kid"])] = pem.decode()
    return keys


def _kid(token: str) -> str:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError:
        raise TokenRefused("malformed token") from None
    if not isinstance(kid, str) or not kid:
        raise TokenRefused("no kid")
    return kid


def _key_for(kid: str) -> str:
    key = _jwks.get(kid)
    if key is None:
        raise TokenRefused("unknown kid")
    return key


def _fetch_failed(exc: Exception) -> None:
    logger.warning("Clerk JWKS could not be fetched: %s", exc)
    if not _jwks.has_keys():
        raise ClerkUnavailable(str(exc)) from exc


def signing_key(token: str) -> str:
    """The PEM key to verify `token` with (may fetch the JWKS). Raises TokenRefused."""
    key = jwt_key()
    if key:
        return key
    kid = _kid(token)
    if _jwks.wants_fetch(kid):
        url, headers = _jwks_request()
        try:
            _jwks.store(_parse_jwks(httpx.get(url, headers=headers, timeout=JWKS_TIMEOUT)))
        except (httpx.HTTPError, ClerkUnavailable) as exc:
            _fetch_failed(exc)
    return _key_for(kid)


async def asigning_key(token: str) -> str:
    """signing_key for the event loop: a JWKS fetch, when needed, does not block it."""
    key = jwt_key()
    if key:
        return key
    kid = _kid(token)
    if _jwks.wants_fetch(kid):
        url, headers = _jwks_request()
        try:
            async with httpx.AsyncClient(timeout=JWKS_TIMEOUT) as client:
                _jwks.store(_parse_jwks(await client.get(url, headers=headers)))
        except (httpx.HTTPError, ClerkUnavailable) as exc:
            _fetch_failed(exc)
    return _key_for(kid)


# --- Verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _BearerOnly:
    """The SDK's `Requestish`: only our Authorization header, never the browser's cookies."""

    headers: Mapping[str, str]


def _sdk_arguments(token: str, key: str) -> tuple[_BearerOnly, AuthenticateRequestOptions]:
    options = AuthenticateRequestOptions(
        jwt_key=key,
        authorized_parties=authorized_parties(),
        clock_skew_in_ms=CLOCK_SKEW_MS,
        accepts_token=["session_token"],
    )
    return _BearerOnly({"Authorization": f"Bearer {token}"}), options


def _accepted(state: RequestState) -> ClerkSession:
    """The checks the SDK leaves out, on the claims it verified."""
    if not state.is_signed_in or state.payload is None:
        reason = state.reason.value[0] if state.reason is not None else "signed out"
        raise TokenRefused(str(reason))
    claims = state.payload
    if "exp" not in claims:
        raise TokenRefused("no exp")
    issuer = settings.CLERK_ISSUER
    if issuer and claims.get("iss") != issuer:
        raise TokenRefused("wrong iss")
    status = claims.get("sts")
    if status is not None and status != "active":
        raise TokenRefused(f"session status {status!s:.20}")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.startswith("user_") or len(sub) > MAX_CLERK_ID_LENGTH:
        raise TokenRefused("no user subject")
    sid = claims.get("sid")
    return ClerkSession(
        clerk_id=sub,
        session_id=sid if isinstance(sid, str) else None,
        role=role_from_metadata(claims.get("metadata")),
        claims=claims,
    )


def _refuse_other_token_types(token: str) -> None:
    # The SDK refuses them too (accepts_token); refusing first spares a JWKS lookup.
    if is_machine_token(token):
        raise TokenRefused("machine token")


def verify_session_token(token: str) -> ClerkSession:
    """The verified session behind `token`. Raises TokenRefused, or ClerkUnavailable."""
    _refuse_other_token_types(token)
    request, options = _sdk_arguments(token, signing_key(token))
    return _accepted(authenticate_request(request, options))


async def averify_session_token(token: str) -> ClerkSession:
    """verify_session_token without blocking the event loop (networkless with CLERK_JWT_KEY)."""
    _refuse_other_token_types(token)
    request, options = _sdk_arguments(token, await asigning_key(token))
    return _accepted(await authenticate_request_async(request, options))


# --- Clerk's users -----------------------------------------------------------------------------


def role_from_metadata(metadata: Any) -> str | None:
    """`role` of Clerk's public metadata (or the `metadata` session claim), when it is valid."""
    if not isinstance(metadata, Mapping):
        return None
    role = metadata.get("role")
    return role if role in Role.values else None


def clerk_user_fetch(*, clerk_id: str) -> dict[str, Any] | None:
    """Clerk's user object (`GET /v1/users/{id}`), as a webhook carries it; None when unknown
    or unreachable (the user is then created without a profile, and a webhook fills it in)."""
    if not settings.CLERK_SECRET_KEY:
        return None
    from clerk_backend_api import Clerk
    from clerk_backend_api.models import ClerkBaseError
    from pydantic import ValidationError

    try:
        with Clerk(
            bearer_auth=settings.CLERK_SECRET_KEY,
            server_url=f"{_api_url()}/v1",
            timeout_ms=BACKEND_API_TIMEOUT_MS,
        ) as clerk:
            user = clerk.users.get(user_id=clerk_id)
    except (ClerkBaseError, httpx.HTTPError, ValidationError) as exc:
        logger.warning("Clerk user %s could not be read: %s", clerk_id, type(exc).__name__)
        return None
    profile: dict[str, Any] = user.model_dump(mode="json")
    return profile
