"""The monthly rollup of question records (see insights.models), written by a daily task."""

import logging
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Floor
from django.utils import timezone

from chat.questions import question_records_between, question_records_first_asked
from insights.models import MonthlyLearner, MonthlyQuestionBin, RolledUpMonth

logger = logging.getLogger(__name__)


def month_start(moment: datetime | date) -> date:
    """The first day of the moment's calendar month (UTC)."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC).date()
    return moment.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) in UTC."""
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end = next_month(month)
    return start, datetime(end.year, end.month, 1, tzinfo=UTC)


def question_month_roll_up(*, month: date) -> bool:
    """Roll up one month that is over (every course). False when it already was."""
    since, until = month_bounds(month)
    base: int = max(1, settings.INSIGHTS_BIN_SECONDS)
    try:
        with transaction.atomic():
            # First: a concurrent run of the same month waits here, then fails on the unique.
            RolledUpMonth.objects.create(month=month)
            records = question_records_between(course_id=None, since=since, until=until).filter(
                course_id__isnull=False
            )
            grouped = (
                records.annotate(base_bin=Floor(F("position") / base))
                .values("course_id", "video_id", "base_bin")
                .annotate(n=Count("*"), unanswered=Count("answered", filter=Q(answered=False)))
                .values_list("course_id", "video_id", "base_bin", "n", "unanswered")
            )
            MonthlyQuestionBin.objects.bulk_create(
                (
                    MonthlyQuestionBin(
                        course_id=course_id,
                        video_id=video_id,
                        month=month,
                        base_bin=None if base_bin is None else int(base_bin),
                        bin_seconds=base,
                        questions=n,
                        unanswered=unanswered,
                    )
                    for course_id, video_id, base_bin, n, unanswered in grouped.iterator()
                ),
                batch_size=5000,
            )
            learners = (
                records.filter(user__isnull=False).values_list("course_id", "user_id").distinct()
            )
            MonthlyLearner.objects.bulk_create(
                (
                    MonthlyLearner(course_id=course_id, month=month, user_id=user_id)
                    for course_id, user_id in learners.iterator()
                ),
                batch_size=5000,
            )
    except IntegrityError:
        return False
    return True


def question_months_roll_up(*, now: datetime | None = None) -> list[date]:
    """Roll up every month that is over and not rolled up yet. Returns the months rolled up."""
    current = month_start(now or timezone.now())
    last = RolledUpMonth.objects.order_by("-month").values_list("month", flat=True).first()
    if last is not None:
        month = next_month(last)
    else:
        first = question_records_first_asked()
        if first is None:
            return []
        month = month_start(first)
    done: list[date] = []
    while month < current:
        if question_month_roll_up(month=month):
            done.append(month)
        month = next_month(month)
    if done:
        logger.info("Insights rollup: %s", ", ".join(f"{m:%Y-%m}" for m in done))
    return done
