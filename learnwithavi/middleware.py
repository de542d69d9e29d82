"""Cross-cutting middleware. All of it is async-native, so a streaming view pays no thread hop."""

import logging
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from csp import middleware as csp
from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware import clickjacking, common, csrf, locale, security

from learnwithavi.errors import error_response as application_error_response
from learnwithavi.errors import server_error_response, status_error_response, to_application_error
from learnwithavi.ratelimit import is_trusted_proxy
from learnwithavi.request_context import new_request_id, request_id_var

logger = logging.getLogger("learnwithavi.errors")

GetResponse = Callable[[HttpRequest], Any]


class _HybridMiddleware:
    """Runs as sync or async to match the handler chain, with one `process` for both."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        self.before(request)
        return self.after(request, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        self.before(request)
        response = await self.get_response(request)
        return self.after(request, response)

    def before(self, request: HttpRequest) -> None:
        return None

    def after(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        return response


# Headers a proxy sets about the client's connection; Django reads X-Forwarded-Proto through
# SECURE_PROXY_SSL_HEADER (production) and X-Forwarded-Host/Port only if told to.
PROXY_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
)


class TrustedProxyMiddleware(_HybridMiddleware):
    """Drops the X-Forwarded-* headers unless the direct peer is one of TRUSTED_PROXIES.

    First in the chain, so that nothing after it (the SSL redirect, CSRF's secure-origin checks,
    the rate limiter) can believe a client that claims to be someone else or to use HTTPS. The
    server must hand us the real peer: learnwithavi.serve runs uvicorn without its own
    proxy-header handling.
    """

    def before(self, request: HttpRequest) -> None:
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR") or ""):
            for key in PROXY_HEADERS:
                request.META.pop(key, None)


class RequestIdMiddleware(_HybridMiddleware):
    """Gives each request an id: in every log line and in the X-Request-ID response header."""

    def before(self, request: HttpRequest) -> None:
        request_id = new_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id  # type: ignore[attr-defined]  # our own request attribute
        request_id_var.set(request_id)

    def after(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        response["X-Request-ID"] = getattr(request, "request_id", request_id_var.get())
        return response


def security_headers(*, request_id: str, secure: bool) -> dict[str, str]:
    """The headers our middleware puts on every response, for one built outside Django (the
    ASGI upload guard's 413): the same policy, from the same settings."""
    from csp.utils import build_policy

    headers = {"X-Request-ID": request_id, "X-Frame-Options": settings.X_FRAME_OPTIONS}
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers["X-Content-Type-Options"] = "nosniff"
    if settings.SECURE_REFERRER_POLICY:
        headers["Referrer-Policy"] = str(settings.SECURE_REFERRER_POLICY)
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
    if policy := build_policy():
        headers["Content-Security-Policy"] = policy
    if settings.PERMISSIONS_POLICY:
        headers["Permissions-Policy"] = settings.PERMISSIONS_POLICY
    if secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers["Strict-Transport-Security"] = hsts
    return headers


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class ApiErrorMiddleware(_HybridMiddleware):
    """Under /api/, turns every error that is not already in the error shape into it.

    Covers what DRF's handler never sees: unknown routes, Django's own 404/405/400/413,
    exceptions from plain (streaming) views, and unexpected exceptions (logged, then a 500).
    """

    def after(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if not is_api_request(request) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        replacement = status_error_response(response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                replacement[header] = response[header]
        return replacement

    def process_exception(self, request: HttpRequest, exception: Exception) -> JsonResponse | None:
        if not is_api_request(request):
            return None
        error = to_application_error(exception)
        if error is not None:
            return application_error_response(error)
        logger.error("Unhandled error on %s %s", request.method, request.path, exc_info=exception)
        return server_error_response(exception)


class RateLimitHeadersMiddleware(_HybridMiddleware):
    """Adds X-RateLimit-* to responses of views that counted the request against a limit."""

    def after(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        result = getattr(request, "rate_limit", None)
        if result is not None:
            for header, value in result.headers().items():
                response.setdefault(header, value)
        return response


# --- Django's built-in middleware, without the thread hops ----------------------------------
# Under ASGI, Django runs each hook of its sync-only middleware through sync_to_async: two
# thread hops per middleware per request, about fifteen in all, which a thousand concurrent
# chats pay in queue time. Most of these hooks only read headers and set attributes, so here
# they run in the event loop; the few that may touch the database or the disk (saving a
# session, storing overflowing messages, parsing a multipart body for a CSRF token) still go
# to a thread, and only when they would. In sync mode (WSGI, the test client) nothing changes.
# learnwithavi/tests/test_inline_middleware.py pins the source of MiddlewareMixin and of every
# wrapped class (an upgrade that changes one fails, naming what to re-read here), and shows each
# subclass doing in async mode what Django's class does in sync mode.


class _InlineHooks:
    """For a MiddlewareMixin subclass: async mode runs process_request/response inline."""

    get_response: GetResponse

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        process_request = getattr(self, "process_request", None)
        process_response = getattr(self, "process_response", None)
        response = process_request(request) if process_request else None
        response = response or await self.get_response(request)
        if process_response is not None:
            if self.response_needs_thread(request, response):
                return await sync_to_async(process_response)(request, response)  # type: ignore[no-any-return]  # Django's hook
            response = process_response(request, response)
        return response  # type: ignore[no-any-return]  # Django's hook returns a response

    def response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        return False


class SecurityMiddleware(_InlineHooks, security.SecurityMiddleware):
    """Django's security headers, plus Permissions-Policy (which Django does not set)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response = super().process_response(request, response)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class CSPMiddleware(_InlineHooks, csp.CSPMiddleware):
    """django-csp's Content-Security-Policy with a nonce per request (`request.csp_nonce`)."""


class SessionMiddleware(_InlineHooks, sessions.SessionMiddleware):
    def response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        session = getattr(request, "session", None)
        # Saving (and reading the expiry of) a modified session is database work.
        return session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST)


class LocaleMiddleware(_InlineHooks, locale.LocaleMiddleware):
    pass


class CommonMiddleware(_InlineHooks, common.CommonMiddleware):
    pass


class CsrfViewMiddleware(_InlineHooks, csrf.CsrfViewMiddleware):
    def __init__(self, get_response: GetResponse) -> None:
        super().__init__(get_response)
        if iscoroutinefunction(get_response):
            # The handler adapts a sync process_view with a thread hop: offer a coroutine.
            self.process_view = self._aprocess_view  # type: ignore[method-assign, assignment]  # async mode

    async def _aprocess_view(
        self,
        request: HttpRequest,
        callback: Callable[..., Any],
        callback_args: tuple[Any, ...],
        callback_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        check = super().process_view
        # Reading the token from a multipart form may spool the upload to disk: a thread's job.
        multipart = request.method == "POST" and request.content_type == "multipart/form-data"
        if multipart and not getattr(callback, "csrf_exempt", False):
            return await sync_to_async(check)(request, callback, callback_args, callback_kwargs)
        return check(request, callback, callback_args, callback_kwargs)


class AuthenticationMiddleware(_InlineHooks, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(_InlineHooks, messages.MessageMiddleware):
    def response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        storage = getattr(request, "_messages", None)
        # Only used or new messages are stored, possibly in the session (database).
        return storage is not None and (storage.used or storage.added_new)


class XFrameOptionsMiddleware(_InlineHooks, clickjacking.XFrameOptionsMiddleware):
    pass
