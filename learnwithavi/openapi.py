"""The OpenAPI contract's shared parts, declared once for every app.

- `Error`, the one error shape, and `errors(...)`: documented error responses, each with a real
  example in that shape. Views name only the statuses particular to them (a 403 for a role, a
  409 for a duplicate); `AutoSchema` adds those every operation of its kind can answer: 400 for
  a body or query parameters, 401 when credentials are read, 403 for a session caller's CSRF
  token on writes, 404 for a path id or a page past the last, 413 and 415 for a body, 429 (with
  Retry-After) for a rate limit.
- `AutoSchema.get_auth`: who may call, asked of the view's own permission classes with an
  anonymous caller, so `{}` (no credentials) is listed exactly where anonymous calls succeed.
- `AutoSchema` also marks optional query parameters `allowEmptyValue` (DRF reads `?x=` as
  absent), documents `page`/`pageSize` on every paginated list, and gives a required text field
  that DRF trims a pattern needing one non-space character.
- `AutoSchema` names serializers' properties, and so the query parameters a serializer
  declares, as the wire does: in camelCase (learnwithavi.casing).
- `UnicodeSlugField`: the slug pattern in JSON Schema's terms (`\\w` is ASCII there, while the
  server makes Hebrew slugs).
"""

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.drainage import warn
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ComponentRegistry
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema_field
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS

from learnwithavi.casing import camel, snake

EXAMPLE_TIME = "2026-11-24T08:00:00Z"


def _word_class() -> str:
    r"""Python's `\w` (letters and digits of every script, `_`) as explicit ranges, because
    `\w` in JSON Schema's regular expressions is ASCII and `\p{L}` is read differently by
    different validators."""
    ranges: list[tuple[int, int]] = []
    for point in range(sys.maxunicode + 1):
        # str.isalnum() or "_" is exactly what `\w` matches in a str pattern, and is faster.
        if not 0xD800 <= point <= 0xDFFF and (chr(point).isalnum() or point == 0x5F):
            if ranges and ranges[-1][1] == point - 1:
                ranges[-1] = (ranges[-1][0], point)
            else:
                ranges.append((point, point))
    return "".join(
        _escape(low) if low == high else f"{_escape(low)}-{_escape(high)}" for low, high in ranges
    )


def _escape(point: int) -> str:
    return f"\\u{point:04X}" if point <= 0xFFFF else f"\\U{point:08X}"


# Django's unicode slug (`^[-\w]+\Z`), as the server checks it and slugify() makes it.
SLUG_PATTERN = f"^[-{_word_class()}]+$"
# A character Python's str.strip() keeps: DRF trims text fields, so a required one must hold one.
NOT_BLANK_PATTERN = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# What learnwithavi.validators.PlainTextValidator refuses (control and bidi characters), as
# the inside of a character class; multi-line fields keep tab and newlines.
_SPACES = NOT_BLANK_PATTERN[2:-1]
_NOT_PLAIN = r"\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_NOT_PLAIN_MULTILINE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"


def plain_text_pattern(*, multiline: bool, not_blank: bool) -> str:
    """The JSON Schema pattern of a plain-text field (no lookahead: generators read it too)."""
    refused = _NOT_PLAIN_MULTILINE if multiline else _NOT_PLAIN
    if not not_blank:
        return f"^[^{refused}]*$"
    return f"^[^{refused}]*[^{refused}{_SPACES}][^{refused}]*$"


class ErrorSerializer(serializers.Serializer[Any]):
    """Every error the API answers, from any layer."""

    error = serializers.CharField(help_text="User-friendly message, translated (Accept-Language)")
    code = serializers.CharField(help_text="Stable machine-readable code")
    details = serializers.JSONField(required=False, help_text="Only when the server runs in DEBUG")
    timestamp = serializers.DateTimeField()


@dataclass(frozen=True)
class ErrorExample:
    """One documented error: its status, code and the message the server really sends."""

    status: int
    code: str
    message: str


# The description of each status, and the example used where a view names no particular one.
DESCRIPTIONS: dict[int, str] = {
    400: "Invalid input: `error` names the first bad field",
    401: "Not signed in, or the credentials sent are not valid",
    403: "Signed in, but not allowed",
    404: "Not found, or not visible to the caller",
    409: "Conflicts with the current state",
    413: "The request body is too large (JSON and form fields: DATA_UPLOAD_MAX_MEMORY_SIZE)",
    415: "The body's content type is not accepted",
    429: "Too many requests: wait `Retry-After` seconds",
    503: "A service this needs is unavailable; try again later",
}
DEFAULT_EXAMPLES: dict[int, tuple[ErrorExample, ...]] = {
    400: (
        ErrorExample(400, "validation_error", "title: This field is required."),
        ErrorExample(400, "malformed_json", "The request body is not valid JSON."),
    ),
    401: (
        ErrorExample(401, "not_authenticated", "Sign in to do this."),
        ErrorExample(401, "authentication_failed", "The credentials are not valid."),
    ),
    403: (ErrorExample(403, "permission_denied", "You are not allowed to do this."),),
    404: (ErrorExample(404, "not_found", "Not found."),),
    409: (ErrorExample(409, "conflict", "This conflicts with the current state."),),
    413: (ErrorExample(413, "payload_too_large", "The request body is too large."),),
    415: (ErrorExample(415, "unsupported_media_type", "This content type is not supported."),),
    429: (ErrorExample(429, "rate_limited", "Too many requests. Try again in 12 seconds."),),
    503: (
        ErrorExample(
            503,
            "service_unavailable",
            "The service is temporarily unavailable. Please try again later.",
        ),
    ),
}
CSRF_FAILED = ErrorExample(403, "permission_denied", "You are not allowed to do this.")
CSRF_DESCRIPTION = "Signed in with a session cookie, but without a valid CSRF token"
# DRF's message for a query parameter it cannot read, by the parameter's type or format.
_INVALID = {
    "uuid": "Must be a valid UUID.",
    "integer": "A valid integer is required.",
    "number": "A valid number is required.",
    "date": "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
    "string": "This field may not be blank.",
}
PAGE_PARAMETERS = [
    {
        "in": "query",
        "name": "page",
        "schema": {"type": "integer", "minimum": 1},
        "description": "Page number (from 1); past the last page is 404",
    },
    {
        "in": "query",
        "name": camel("page_size"),  # as learnwithavi.pagination reads it
        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
        "description": "Items per page (default 20, at most 100)",
    },
]
RETRY_AFTER_HEADERS = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 1},
        "description": "Seconds until the rate-limit window reopens",
    },
}


def error_body(example: ErrorExample) -> dict[str, str]:
    return {"error": example.message, "code": example.code, "timestamp": EXAMPLE_TIME}


def errors(*cases: int | ErrorExample) -> dict[int, OpenApiResponse]:
    """Error responses for `@extend_schema(responses=...)`: a status alone takes the default
    examples; ErrorExamples of one status become that response's examples."""
    by_status: dict[int, list[ErrorExample]] = {}
    for case in cases:
        if isinstance(case, int):
            by_status.setdefault(case, []).extend(DEFAULT_EXAMPLES[case])
        else:
            by_status.setdefault(case.status, []).append(case)
    return {status: _response(status, examples) for status, examples in by_status.items()}


def _response(status: int, examples: Sequence[ErrorExample]) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorSerializer,
        description=DESCRIPTIONS.get(status, ""),
        examples=[
            OpenApiExample(
                example.code,
                value=error_body(example),
                status_codes=[status],
                response_only=True,
            )
            for example in examples
        ],
    )


def error_response_object(status: int, *examples: ErrorExample) -> dict[str, Any]:
    """A raw OpenAPI response in the error shape, for views a schema hook documents."""
    response: dict[str, Any] = {
        "description": DESCRIPTIONS.get(status, ""),
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "examples": {
                    example.code: {"value": error_body(example)}
                    for example in (examples or DEFAULT_EXAMPLES[status])
                },
            }
        },
    }
    if status == 429:
        response["headers"] = RETRY_AFTER_HEADERS
    return response


@extend_schema_field(
    {
        "type": "string",
        "pattern": SLUG_PATTERN,
        "maxLength": 120,
        "description": "Letters and digits of any script (Hebrew too), `_` and `-`",
    },
    component_name="Slug",
)
class UnicodeSlugField(serializers.SlugField):
    """A slug of letters and digits in any script (Hebrew too), `_` and `-`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_unicode=True, **kwargs)


def _camelized(schema: dict[str, Any], serializer: Any) -> dict[str, Any]:
    """A serializer's object schema under the wire's names (learnwithavi.casing): its
    properties, what is required, and so the query parameters a serializer declares."""
    for name in schema.get("properties", {}):
        if snake(camel(name)) != name:
            warn(
                f"{type(serializer).__name__}.{name}: sent as {camel(name)}, which is read back "
                f"as {snake(camel(name))}; rename the field"
            )
    if "properties" in schema:
        schema["properties"] = {camel(name): value for name, value in schema["properties"].items()}
    if "required" in schema:
        schema["required"] = sorted(camel(name) for name in schema["required"])
    return schema


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, plus who may call and the errors every operation shares."""

    def get_auth(self) -> list[dict[str, list[str]]]:
        # drf-spectacular adds `{}` (anonymous) only for AllowAny and IsAuthenticatedOrReadOnly;
        # our permission classes are asked instead.
        schemes = [scheme for scheme in super().get_auth() if scheme]
        if self._anonymous_may_call():
            schemes.append({})
        return schemes

    def _anonymous_may_call(self) -> bool:
        request = self.view.request
        previous = getattr(request, "_user", None)
        request.user = AnonymousUser()
        try:
            return all(
                permission.has_permission(request, self.view)
                for permission in self.view.get_permissions()
            )
        finally:
            if previous is not None:
                request.user = previous

    def get_operation(
        self,
        path: str,
        path_regex: str,
        path_prefix: str,
        method: str,
        registry: ComponentRegistry,
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses: dict[str, Any] = operation["responses"]
        if self._is_paginated(responses) and "page" not in {
            p["name"] for p in operation.get("parameters", [])
        }:
            operation.setdefault("parameters", []).extend(PAGE_PARAMETERS)
        for status in self._shared_error_statuses(operation):
            if str(status) in responses:
                continue
            response = _response(status, self._examples(status, operation))
            if status == 403:
                response.description = CSRF_DESCRIPTION
            responses[str(status)] = self._get_response_for_code(response, str(status))  # type: ignore[no-untyped-call]  # drf-spectacular is untyped
        for parameter in operation.get("parameters", []):
            # DRF reads an empty optional query parameter as absent (`?owner=` lists them all).
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        if "429" in responses:
            responses["429"].setdefault("headers", {}).update(RETRY_AFTER_HEADERS)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    @staticmethod
    def _is_paginated(responses: Mapping[str, Any]) -> bool:
        """A page of the API's one page shape (learnwithavi.pagination.paginated_schema)."""
        content = responses.get("200", {}).get("content", {}).get("application/json", {})
        return "/Paginated" in content.get("schema", {}).get("$ref", "")

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        self._direction = direction  # read by _insert_field_validators, which is not told it
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)  # type: ignore[no-untyped-call]  # drf-spectacular is untyped
        return _camelized(schema, serializer)

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)  # type: ignore[no-untyped-call]  # drf-spectacular is untyped
        from learnwithavi.validators import PlainTextValidator

        plain = [v for v in getattr(field, "validators", ()) if isinstance(v, PlainTextValidator)]
        if plain and schema.get("type") == "string" and "pattern" not in schema:
            not_blank = (
                getattr(self, "_direction", None) == "request"
                and isinstance(field, serializers.CharField)
                and field.trim_whitespace
                and not field.allow_blank
            )
            schema["pattern"] = plain_text_pattern(
                multiline=plain[0].multiline, not_blank=not_blank
            )
        if (
            getattr(self, "_direction", None) == "request"
            and isinstance(field, serializers.CharField)
            and field.trim_whitespace
            and not field.allow_blank
            and schema.get("type") == "string"
            and not {"pattern", "enum", "format"} & schema.keys()
        ):
            schema["pattern"] = NOT_BLANK_PATTERN
        documented = getattr(field, "openapi_schema", None)
        if callable(documented):
            schema.update(documented())

    def _examples(self, status: int, operation: Mapping[str, Any]) -> Sequence[ErrorExample]:
        if status == 403:
            return (CSRF_FAILED,)
        if status != 400:
            return DEFAULT_EXAMPLES[status]
        examples = []
        query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
        if query:
            parameter, schema = query[0], query[0].get("schema", {})
            if "$ref" in schema or "enum" in schema:
                problem = '"x" is not a valid choice.'
            else:
                problem = _INVALID.get(schema.get("format", schema.get("type")), _INVALID["string"])
            name = parameter["name"]
            examples.append(ErrorExample(400, "validation_error", f"{name}: {problem}"))
        if "requestBody" in operation:
            examples.append(DEFAULT_EXAMPLES[400][1])
        return examples

    def _shared_error_statuses(self, operation: Mapping[str, Any]) -> list[int]:
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        authenticators = self.view.get_authenticators()
        statuses = []
        if has_body or any(p["in"] == "query" for p in parameters):
            statuses.append(400)
        if authenticators:
            statuses.append(401)
        if self.method not in SAFE_METHODS and any(
            isinstance(a, SessionAuthentication) for a in authenticators
        ):
            statuses.append(403)
        if any(p["in"] == "path" or p["name"] == "page" for p in parameters):
            statuses.append(404)  # an unknown id, or a page past the last
        if has_body:
            statuses += [413, 415]
        scope: object = getattr(self.view, "rate_limit_scope", "api")
        if self.view.get_throttles() and scope is not None:
            statuses.append(429)
        return statuses
