"""Request parsers for DRF views: bodies arrive with the wire's camelCase keys and reach the
serializers in snake_case (learnwithavi.casing), for JSON, forms and multipart uploads alike."""

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from learnwithavi.casing import underscoreize, underscoreize_multi


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, for which a deeply nested body ([[[[...) is malformed, not a 500.

    Python's json module raises RecursionError past about a thousand levels; DRF catches only
    ValueError.
    """

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None


class CamelCaseJSONParser(JSONParser):
    """The JSON parser above (its nesting limit, DRF's strict constants), keys in snake_case."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        return underscoreize(super().parse(stream, media_type, parser_context))


class CamelCaseFormParser(parsers.FormParser):
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        return underscoreize_multi(super().parse(stream, media_type, parser_context))


class CamelCaseMultiPartParser(parsers.MultiPartParser):
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> "parsers.DataAndFiles[Any, Any]":
        parsed = super().parse(stream, media_type, parser_context)
        return parsers.DataAndFiles(
            underscoreize_multi(parsed.data), underscoreize_multi(parsed.files)
        )
