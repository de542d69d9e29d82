"""Reads over AIUsage rows: cost and tokens summed by day, provider and endpoint."""

import datetime
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from learnwithavi.models import AIUsage


def usage_by_day(*, since: datetime.date, until: datetime.date) -> list[dict[str, Any]]:
    """One row per (UTC day, provider, endpoint) between the dates (inclusive), newest first."""
    return list(
        AIUsage.objects.filter(created_at__date__gte=since, created_at__date__lte=until)
        .annotate(day=TruncDate("created_at"))
        .values("day", "provider", "endpoint")
        .annotate(
            calls=Count("id"),
            failures=Count("id", filter=Q(success=False)),
            input_tokens=Sum("input_tokens"),
            output_tokens=Sum("output_tokens"),
            cache_read_tokens=Sum("cache_read_tokens"),
            cache_write_tokens=Sum("cache_write_tokens"),
            characters=Sum("characters"),
            audio_seconds=Sum("audio_seconds"),
            estimated_cost=Sum("estimated_cost"),
        )
        .order_by("-day", "provider", "endpoint")
    )
