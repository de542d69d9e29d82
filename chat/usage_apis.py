"""GET /api/usage: what the AI services cost, by day, provider and endpoint (admins only)."""

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import is_platform_admin
from chat.usage_selectors import usage_by_day
from learnwithavi.errors import ValidationFailed
from learnwithavi.openapi import ErrorExample, errors

MAX_DAYS = 366
# No usage predates this; earlier dates also overflow the day arithmetic (date.min - 29 days).
EARLIEST_DATE = datetime.date(1970, 1, 1)


class IsPlatformAdmin(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return is_platform_admin(request.user)


class UsageRowSerializer(serializers.Serializer[dict[str, Any]]):
    day = serializers.DateField()
    provider = serializers.CharField()
    endpoint = serializers.CharField()
    calls = serializers.IntegerField()
    failures = serializers.IntegerField(
        help_text="Calls the provider failed (an error, a timeout, a stream it cut short); a call "
        "the client abandoned is not a failure."
    )
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    cache_read_tokens = serializers.IntegerField()
    cache_write_tokens = serializers.IntegerField()
    characters = serializers.IntegerField()
    audio_seconds = serializers.FloatField()
    estimated_cost = serializers.DecimalField(
        max_digits=14, decimal_places=6, coerce_to_string=False
    )


def _date_param(request: Request, name: str, default: datetime.date) -> datetime.date:
    raw = request.query_params.get(name)
    if not raw:
        return default
    try:
        value = datetime.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            _("%(field)s must be a date (YYYY-MM-DD).") % {"field": name}
        ) from None
    if value < EARLIEST_DATE:
        raise ValidationFailed(
            _("%(field)s must be on or after %(date)s.")
            % {"field": name, "date": EARLIEST_DATE.isoformat()}
        )
    return value


class UsageApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        summary="AI usage and estimated cost by day, provider and endpoint (admin)",
        parameters=[
            OpenApiParameter(
                "from",
                OpenApiTypes.DATE,
                description="First day, YYYY-MM-DD (default: 29 days before `to`)",
            ),
            OpenApiParameter(
                "to", OpenApiTypes.DATE, description="Last day, YYYY-MM-DD (default: today)"
            ),
        ],
        responses={
            200: inline_serializer(
                "UsageSummary",
                {
                    "from": serializers.DateField(),
                    "to": serializers.DateField(),
                    "totals": inline_serializer(
                        "UsageTotals",
                        {
                            "calls": serializers.IntegerField(),
                            "input_tokens": serializers.IntegerField(),
                            "output_tokens": serializers.IntegerField(),
                            "cache_read_tokens": serializers.IntegerField(),
                            "cache_write_tokens": serializers.IntegerField(),
                            "estimated_cost": serializers.FloatField(),
                        },
                    ),
                    "rows": UsageRowSerializer(many=True),
                },
            )
        }
        | errors(
            ErrorExample(400, "validation_error", "to must be a date (YYYY-MM-DD)."),
            ErrorExample(403, "permission_denied", "You are not allowed to do this."),
        ),
    )
    def get(self, request: Request) -> Response:
        today = timezone.now().date()
        until = _date_param(request, "to", today)
        since = _date_param(request, "from", until - datetime.timedelta(days=29))
        if since > until or (until - since).days >= MAX_DAYS:
            raise ValidationFailed(
                _("Choose a range of at most %(days)d days, from before to.") % {"days": MAX_DAYS}
            )
        rows = usage_by_day(since=since, until=until)
        for row in rows:
            for key in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"):
                row[key] = row[key] or 0
            row["characters"] = row["characters"] or 0
            row["audio_seconds"] = row["audio_seconds"] or 0.0
            row["estimated_cost"] = row["estimated_cost"] or Decimal(0)
        totals = {
            "calls": sum(r["calls"] for r in rows),
            "input_tokens": sum(r["input_tokens"] for r in rows),
            "output_tokens": sum(r["output_tokens"] for r in rows),
            "cache_read_tokens": sum(r["cache_read_tokens"] for r in rows),
            "cache_write_tokens": sum(r["cache_write_tokens"] for r in rows),
            "estimated_cost": float(sum((r["estimated_cost"] for r in rows), Decimal(0))),
        }
        return Response(
            {
                "from": since.isoformat(),
                "to": until.isoformat(),
                "totals": totals,
                "rows": UsageRowSerializer(rows, many=True).data,  # type: ignore[arg-type]  # many=True takes a list
            }
        )
