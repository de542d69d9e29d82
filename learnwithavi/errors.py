"""The one error shape of the API and the exceptions that produce it.

Every error that leaves /api/ is `{"error", "code", "details"?, "timestamp"}`: DRF exceptions
through `drf_exception_handler`, everything else through `ApiErrorMiddleware`. Views raise an
`ApplicationError`; none builds an error dict by hand.
"""

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings

from learnwithavi import outages
from learnwithavi.casing import camel, verbatim
from learnwithavi.sanitizer import sanitize, sanitize_data

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A domain error with a status, a stable code for clients and a translated message."""

    status_code = 400
    code = "bad_request"
    default_message: Any = _("The request could not be processed.")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        details: Any = None,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.code = code or self.code
        self.details = details
        self.status_code = status_code or self.status_code
        self.headers = dict(headers or {})
        super().__init__(force_str(self.message))


class ValidationFailed(ApplicationError):
    code = "validation_error"
    default_message = _("The request is not valid.")


class NotAuthenticated(ApplicationError):
    status_code = 401
    code = "not_authenticated"
    default_message = _("Sign in to do this.")


class PermissionDenied(ApplicationError):
    status_code = 403
    code = "permission_denied"
    default_message = _("You are not allowed to do this.")


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"
    default_message = _("Not found.")


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"
    default_message = _("This conflicts with the current state.")


class PayloadTooLarge(ApplicationError):
    status_code = 413
    code = "payload_too_large"
    default_message = _("The request body is too large.")


class UnsupportedMediaType(ApplicationError):
    status_code = 415
    code = "unsupported_media_type"
    default_message = _("This content type is not supported.")


class RateLimited(ApplicationError):
    status_code = 429
    code = "rate_limited"
    default_message = _("Too many requests. Please wait a moment and try again.")


class ServiceUnavailable(ApplicationError):
    status_code = 503
    code = "service_unavailable"
    default_message = _("The service is temporarily unavailable. Please try again later.")


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"
    default_message = _("The database is unavailable for a moment. Please try again shortly.")


class BrokerUnavailable(ServiceUnavailable):
    code = "broker_unavailable"
    default_message = _(
        "Background processing is unavailable for a moment, so nothing was saved. "
        "Please try again shortly."
    )


def error_body(*, message: Any, code: str, details: Any = None) -> dict[str, Any]:
    """The error shape; `details` is kept only in DEBUG, and everything is sanitized."""
    body: dict[str, Any] = {"error": sanitize(force_str(message)), "code": code}
    if settings.DEBUG and details is not None:
        # Data, not field names: sent as they are (validation details are already named as
        # the client sent them, by _client_names).
        body["details"] = verbatim(sanitize_data(details))
    body["timestamp"] = timezone.now().isoformat().replace("+00:00", "Z")
    return body


def error_response(error: ApplicationError) -> JsonResponse:
    body = error_body(message=error.message, code=error.code, details=error.details)
    response = JsonResponse(
        body, status=error.status_code, json_dumps_params={"ensure_ascii": False}
    )
    for header, value in error.headers.items():
        response[header] = value
    return response


def _client_names(detail: Any) -> Any:
    """A DRF validation detail with each field named as the client sends it (camelCase);
    `non_field_errors` keeps its name, and list indexes stay numbers."""
    if isinstance(detail, Mapping):
        general = api_settings.NON_FIELD_ERRORS_KEY
        return {
            camel(key) if isinstance(key, str) and key != general else key: (_client_names(value))
            for key, value in detail.items()
        }
    if isinstance(detail, list):
        return [_client_names(item) for item in detail]
    return detail


def _first_message(detail: Any, field: str | None = None) -> str:
    """The first message of a DRF validation detail, prefixed by its field name."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = key if key != api_settings.NON_FIELD_ERRORS_KEY else None
            return _first_message(value, name if field is None else f"{field}.{key}")
    if isinstance(detail, list) and detail:
        return _first_message(detail[0], field)
    text = force_str(detail)
    return f"{field}: {text}" if field else text


def _from_drf(exc: drf_exceptions.APIException) -> ApplicationError:
    if isinstance(exc, drf_exceptions.ValidationError):
        detail = _client_names(exc.detail)
        return ValidationFailed(_first_message(detail), details=detail)
    if isinstance(exc, drf_exceptions.ParseError):
        return ApplicationError(_("The request body is not valid JSON."), code="malformed_json")
    if isinstance(exc, drf_exceptions.UnsupportedMediaType):
        return UnsupportedMediaType()
    if isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
        failed = isinstance(exc, drf_exceptions.AuthenticationFailed)
        return NotAuthenticated(
            _("The credentials are not valid.") if failed else None,
            code="authentication_failed" if failed else None,
        )
    if isinstance(exc, drf_exceptions.PermissionDenied):
        return PermissionDenied()
    if isinstance(exc, drf_exceptions.NotFound):
        return NotFound()
    if isinstance(exc, drf_exceptions.MethodNotAllowed):
        return ApplicationError(
            _("This method is not allowed here."), code="method_not_allowed", status_code=405
        )
    if isinstance(exc, drf_exceptions.NotAcceptable):
        return ApplicationError(
            _("Cannot respond in the requested format."), code="not_acceptable", status_code=406
        )
    if isinstance(exc, drf_exceptions.Throttled):
        wait = int(getattr(exc, "wait", None) or 1)
        message = ngettext(
            "Too many requests. Try again in %(seconds)d second.",
            "Too many requests. Try again in %(seconds)d seconds.",
            wait,
        ) % {"seconds": wait}
        return RateLimited(message, headers={"Retry-After": str(max(wait, 1))})
    return ApplicationError(exc.detail, code=str(exc.default_code), status_code=exc.status_code)


def to_application_error(exc: BaseException) -> ApplicationError | None:
    """Map any exception we know how to present to an ApplicationError; None for a bug."""
    if isinstance(exc, ApplicationError):
        return exc
    if isinstance(exc, drf_exceptions.APIException):
        return _from_drf(exc)
    if isinstance(exc, Http404):
        return NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, TooManyFieldsSent):
        return ApplicationError(_("The request has too many fields."), code="too_many_fields")
    if outages.is_database_outage(exc):
        outages.record("database_unavailable", exc)
        return DatabaseUnavailable(headers={"Retry-After": "5"})
    return None


def drf_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error a DRF view raises, in the one shape."""
    error = to_application_error(exc)
    if error is None:
        return None  # a bug: ApiErrorMiddleware logs it and answers 500
    # Imported here: rest_framework.views imports our throttle, which imports this module.
    from rest_framework.views import set_rollback

    set_rollback()
    body = error_body(message=error.message, code=error.code, details=error.details)
    headers = dict(error.headers)
    if isinstance(exc, drf_exceptions.APIException):
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
    if isinstance(exc, drf_exceptions.MethodNotAllowed):
        view = context.get("view")
        if view is not None:
            headers["Allow"] = ", ".join(view.allowed_methods)
    return Response(body, status=error.status_code, headers=headers)


def server_error_response(exc: BaseException | None = None) -> JsonResponse:
    details = {"exception": type(exc).__name__, "message": str(exc)} if exc else None
    return error_response(
        ApplicationError(
            _("Something went wrong on our side. Please try again."),
            code="server_error",
            status_code=500,
            details=details,
        )
    )


STATUS_CODES: dict[int, tuple[str, Any]] = {
    400: ("bad_request", _("The request could not be processed.")),
    401: ("not_authenticated", _("Sign in to do this.")),
    403: ("permission_denied", _("You are not allowed to do this.")),
    404: ("not_found", _("Not found.")),
    405: ("method_not_allowed", _("This method is not allowed here.")),
    406: ("not_acceptable", _("Cannot respond in the requested format.")),
    413: ("payload_too_large", _("The request body is too large.")),
    415: ("unsupported_media_type", _("This content type is not supported.")),
    429: ("rate_limited", _("Too many requests. Please wait a moment and try again.")),
    500: ("server_error", _("Something went wrong on our side. Please try again.")),
    503: (
        "service_unavailable",
        _("The service is temporarily unavailable. Please try again later."),
    ),
}


def status_error_response(status: int) -> JsonResponse:
    """The error shape for a bare status that some layer produced without a body we can use."""
    code, message = STATUS_CODES.get(status, ("error", _("The request could not be processed.")))
    return error_response(ApplicationError(message, code=code, status_code=status))
