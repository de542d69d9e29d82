"""The API's one page shape: `page` and `pageSize` (at most 100) in, `count`, `next`,
`previous`, `results` out, for every app's list endpoints and their OpenAPI schema."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from learnwithavi.casing import camel
from learnwithavi.errors import ValidationFailed


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = camel("page_size")  # read raw, so named as the wire names it
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        """`pageSize` as documented: 1 to 100, else 400 (DRF would quietly use another size)."""
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        digits = raw.isascii() and raw.isdigit() and len(raw) <= 3
        if not digits or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationFailed(
                _("pageSize: a whole number from 1 to %(most)d.") % {"most": self.max_page_size}
            )
        return int(raw)


def paginated_schema(name: str, item: serializers.BaseSerializer[Any]) -> Any:
    """The OpenAPI component of a page of `item`."""
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item,
        },
    )


def paginated_response(
    request: Request, view: APIView, items: QuerySet[Any], serializer: Any
) -> Response:
    """The requested page of `items`, serialized."""
    paginator = Pagination()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)
