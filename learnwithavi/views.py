"""Django's error handlers: JSON in the error shape under /api/, Django's pages elsewhere."""

import sys
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from learnwithavi.errors import error_response as application_error_response
from learnwithavi.errors import status_error_response, to_application_error
from learnwithavi.middleware import is_api_request


def _api_or(
    request: HttpRequest, exception: BaseException | None, status: int, fallback: Any
) -> HttpResponse:
    if is_api_request(request):
        error = to_application_error(exception) if exception is not None else None
        return application_error_response(error) if error else status_error_response(status)
    response: HttpResponse = fallback()
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _api_or(request, exception, 400, lambda: defaults.bad_request(request, exception))


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _api_or(request, exception, 403, lambda: defaults.permission_denied(request, exception))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _api_or(request, None, 404, lambda: defaults.page_not_found(request, exception))


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except`: an outage (the database) is a 503, not a 500.
    return _api_or(request, sys.exc_info()[1], 500, lambda: defaults.server_error(request))
