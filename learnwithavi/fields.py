"""Serializer fields shared by the apps."""

from typing import Any

from rest_framework import serializers

from learnwithavi.casing import verbatim


class JSONDataField(serializers.JSONField):
    """Free-form JSON whose keys are data, not field names (stored JSON, a map keyed by dates
    or slugs): the renderer sends its keys as they are, not in camelCase."""

    def to_representation(self, value: Any) -> Any:
        return verbatim(super().to_representation(value))
