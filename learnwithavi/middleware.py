"""Cross-cutting middleware. All of it is async-native, so a streaming view pays no thread hop."""

import logging
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from learnwithavi.errors import error_response as application_error_response
from learnwithavi.errors import server_error_response, status_error_response, to_application_error
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


class RequestIdMiddleware(_HybridMiddleware):
    """Gives each request an id: in every log line and in the X-Request-ID response header."""

    def before(self, request: HttpRequest) -> None:
        request_id = new_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id  # type: ignore[attr-defined]  # our own request attribute
        request_id_var.set(request_id)

    def after(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        response["X-Request-ID"] = getattr(request, "request_id", request_id_var.get())
        return response


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
