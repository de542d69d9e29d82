"""Who is calling: one authentication for the DRF views and the async streaming views.

`Authorization: Bearer <key>` (the scheme in any case; DRF's `Token` too) carries either one of
our API tokens (40 hex digits: staff scripts, demo users) or a Clerk session token (a JWT).
`authenticate_key` / `aauthenticate_key` decide the same way through the same helpers, one on
Django's connection (DRF views), the other on the async pool (the chat and speech streams, so
that a warm request makes no thread hop). Without a bearer credential, the Django session
counts, with its CSRF check for unsafe methods. DRF's classes come in that order too
(settings.REST_FRAMEWORK), so both paths pick the same identity.
"""

import logging
import re
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.request import Request

from accounts.clerk import (
    ClerkSession,
    ClerkUnavailable,
    TokenRefused,
    averify_session_token,
    is_configured,
    verify_session_token,
)
from accounts.models import User
from accounts.selectors import (
    auser_by_api_token,
    auser_by_clerk_id,
    user_by_api_token,
    user_by_clerk_id,
)
from accounts.services import clerk_role_claim_is_newer, clerk_user_ensure, clerk_user_role_sync
from learnwithavi.errors import NotAuthenticated, PermissionDenied, ServiceUnavailable

logger = logging.getLogger(__name__)

_SCHEMES = ("bearer", "token")
_API_TOKEN = re.compile(r"[0-9a-f]{40}")
_INVALID = _("The credentials are not valid.")


class InvalidCredentials(Exception):
    """A bearer credential that identifies no active user; `reason` is for logs only."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class ApiToken:
    """`request.auth` of a caller who used one of our API tokens (a Clerk caller's is a
    ClerkSession)."""

    key: str


def bearer_key(header: str | bytes) -> str | None:
    """The key of `Authorization: Bearer <key>` or `Token <key>`, the scheme in any case.

    None without a header or with another scheme. Raises InvalidCredentials when malformed.
    """
    if isinstance(header, bytes):
        try:
            header = header.decode("latin-1")
        except UnicodeError:  # pragma: no cover  latin-1 decodes every byte
            raise InvalidCredentials("undecodable header") from None
    parts = header.split()
    if not parts or parts[0].lower() not in _SCHEMES:
        return None
    if len(parts) != 2 or not parts[1].isascii():
        raise InvalidCredentials("malformed header")
    return parts[1]


def _checked(user: User | None) -> User:
    if user is None:
        raise InvalidCredentials("unknown API token")
    if not user.is_active:
        raise InvalidCredentials("inactive or erased user")
    return user


def _clerk_session(key: str) -> ClerkSession:
    if not is_configured():
        raise InvalidCredentials("not an API token, and Clerk is not configured")
    try:
        return verify_session_token(key)
    except TokenRefused as exc:
        raise InvalidCredentials(f"Clerk token refused: {exc.reason}") from None


async def _aclerk_session(key: str) -> ClerkSession:
    if not is_configured():
        raise InvalidCredentials("not an API token, and Clerk is not configured")
    try:
        return await averify_session_token(key)
    except TokenRefused as exc:
        raise InvalidCredentials(f"Clerk token refused: {exc.reason}") from None


def authenticate_key(key: str) -> tuple[User, ApiToken | ClerkSession]:
    """(user, auth) of a bearer key. Raises InvalidCredentials, or ClerkUnavailable."""
    if _API_TOKEN.fullmatch(key):
        return _checked(user_by_api_token(key=key)), ApiToken(key)
    session = _clerk_session(key)
    user = user_by_clerk_id(clerk_id=session.clerk_id)
    if user is None:
        user = clerk_user_ensure(session=session)
    else:
        user = clerk_user_role_sync(user=user, session=session)
    return _checked(user), session


async def aauthenticate_key(key: str) -> tuple[User, ApiToken | ClerkSession]:
    """authenticate_key on the async pool; only creating or updating a user takes a thread."""
    if _API_TOKEN.fullmatch(key):
        return _checked(await auser_by_api_token(key=key)), ApiToken(key)
    session = await _aclerk_session(key)
    user = await auser_by_clerk_id(clerk_id=session.clerk_id)
    if user is None:
        user = await sync_to_async(clerk_user_ensure)(session=session)
    elif clerk_role_claim_is_newer(user, session):
        user = await sync_to_async(clerk_user_role_sync)(user=user, session=session)
    return _checked(user), session


class ClerkUnavailableError(APIException):
    status_code = 503
    default_detail = _("Sign-in is temporarily unavailable. Please try again later.")
    default_code = "clerk_unavailable"


def _log_refusal(exc: InvalidCredentials) -> None:
    logger.info("Bearer credentials refused: %s", exc.reason)


class BearerAuthentication(BaseAuthentication):
    """DRF: our API tokens and Clerk session tokens, as `Authorization: Bearer <key>`."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken | ClerkSession] | None:
        try:
            key = bearer_key(get_authorization_header(request))
            if key is None:
                return None  # another scheme, or none: the session may still count
            return authenticate_key(key)
        except InvalidCredentials as exc:
            _log_refusal(exc)
            raise AuthenticationFailed(_INVALID) from None
        except ClerkUnavailable:
            raise ClerkUnavailableError() from None

    def authenticate_header(self, request: Request) -> str:
        return self.keyword  # makes DRF answer 401 (not 403), with WWW-Authenticate


def _enforce_csrf(request: HttpRequest) -> None:
    """Session-authenticated unsafe requests need the CSRF token, as DRF requires."""
    check = CsrfViewMiddleware(lambda req: None)  # type: ignore[arg-type]  # only process_view is used
    check.process_request(request)
    rejected = check.process_view(request, None, (), {})  # type: ignore[arg-type]  # no view needed
    if rejected is not None:
        raise PermissionDenied(_("The CSRF token is missing or not valid."), code="csrf_failed")


async def arequest_user(request: HttpRequest) -> Any:
    """The caller of an async (streaming) view: a bearer credential, else the session user
    (CSRF-checked), else AnonymousUser. Raises NotAuthenticated for bad credentials."""
    try:
        key = bearer_key(request.headers.get("Authorization", ""))
        if key is not None:
            user, _auth = await aauthenticate_key(key)
            return user
    except InvalidCredentials as exc:
        _log_refusal(exc)
        raise NotAuthenticated(_INVALID, code="authentication_failed") from None
    except ClerkUnavailable:
        raise ServiceUnavailable(
            ClerkUnavailableError.default_detail, code="clerk_unavailable"
        ) from None
    session_user = await request.auser()
    if session_user.is_authenticated and request.method not in ("GET", "HEAD", "OPTIONS"):
        _enforce_csrf(request)
    return session_user
