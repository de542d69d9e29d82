"""The REST API's JSON renderer: serializers speak snake_case, the wire camelCase."""

from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import JSONRenderer

from learnwithavi.casing import camelize


class CamelCaseJSONRenderer(JSONRenderer):
    """DRF's JSON renderer, every key in camelCase except inside `verbatim()` values
    (learnwithavi.casing)."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        rendered: bytes = super().render(camelize(data), accepted_media_type, renderer_context)
        return rendered
