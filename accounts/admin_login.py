"""The admin's sign-in, throttled per client and per account with the API's rate limiter.

Per client: every attempt from one address counts (RATE_LIMIT_ADMIN_LOGIN). Per account: every
attempt on one e-mail counts (RATE_LIMIT_ADMIN_LOGIN_ACCOUNT), except from a browser that has
signed in to that account before: it carries a signed "known device" cookie, so an attacker who
hammers an instructor's e-mail from elsewhere cannot lock the instructor out. A new device waits
at most one window.
"""

import hashlib
import math
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

from learnwithavi.ratelimit import RateLimitResult, client_identity, hit

KNOWN_DEVICE_COOKIE = "lwa_admin_device"
_COOKIE_SALT = "accounts.admin_login.known_device"
_COOKIE_MAX_AGE = 90 * 86400


def _account_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _known_device(request: HttpRequest, email: str) -> bool:
    value = request.get_signed_cookie(
        KNOWN_DEVICE_COOKIE, default=None, salt=_COOKIE_SALT, max_age=_COOKIE_MAX_AGE
    )
    return value == _account_key(email)


def _too_many(result: RateLimitResult) -> ValidationError:
    minutes = max(1, math.ceil((result.retry_after - 1) / 60))  # reset_at is rounded up
    return ValidationError(
        ngettext(
            "Too many sign-in attempts. Try again in %(minutes)d minute.",
            "Too many sign-in attempts. Try again in %(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes},
        code="rate_limited",
    )


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self) -> dict[str, Any]:
        request = self.request
        if request is not None:
            email = str(self.cleaned_data.get("username") or "")
            checks = [hit("admin_login", client_identity(request))]
            if email and not _known_device(request, email):
                checks.append(hit("admin_login_account", f"account:{_account_key(email)}"))
            refused = [result for result in checks if not result.allowed]
            if refused:
                request.admin_login_throttled = True  # type: ignore[attr-defined]  # read by the view
                raise _too_many(max(refused, key=lambda result: result.reset_at))
        return super().clean()


def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """admin.site.login, answering 429 when throttled and remembering the device on success."""
    response = admin.site.login(request, extra_context)
    if getattr(request, "admin_login_throttled", False):
        response.status_code = 429
    elif request.method == "POST" and response.status_code == 302 and request.user.is_authenticated:
        response.set_signed_cookie(
            KNOWN_DEVICE_COOKIE,
            _account_key(request.user.get_username()),
            salt=_COOKIE_SALT,
            max_age=_COOKIE_MAX_AGE,
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
            samesite="Lax",
            path="/admin/",
        )
    return response
