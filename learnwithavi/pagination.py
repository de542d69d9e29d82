"""The API's one page shape: `page` and `pageSize` (at most 100) in, `count`, `next`,
`previous`, `results` out, for every app's list endpoints and their OpenAPI schema."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "pageSize"
    max_page_size = 100


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
