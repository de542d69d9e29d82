"""The instructors' view of what learners ask: per video, questions over the timeline,
hotspots, unanswered questions and feedback. No learner identity ever leaves here.

`course_insights` runs a fixed number of statements whatever the number of videos, bins or
questions: videos, the rolled-up months, a grouped count over (video, bin) of the records and
one of the monthly rollup, distinct learners, the hotspots' examples, the unanswered
questions, the feedback counts and comments.
"""

import math
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import Floor, RowNumber
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from chat.questions import (
    answer_feedback_between,
    question_examples,
    question_records_in,
    unanswered_questions_latest,
)
from courses.models import Course
from courses.selectors import course_videos
from insights.models import MonthlyLearner, MonthlyQuestionBin, RolledUpMonth
from insights.services import month_bounds, month_start
from learnwithavi.errors import ValidationFailed

EXAMPLES_PER_HOTSPOT = 3


@dataclass(frozen=True)
class Bin:
    start: int
    end: int
    questions: int


@dataclass(frozen=True)
class Hotspot:
    start: int
    end: int
    questions: int
    examples: list[str]
    url: str


@dataclass(frozen=True)
class UnansweredQuestion:
    question: str
    position: float | None
    asked_at: datetime


@dataclass(frozen=True)
class FeedbackComment:
    rating: str
    comment: str
    question: str


@dataclass(frozen=True)
class FeedbackSummary:
    up: int = 0
    down: int = 0
    comments: list[FeedbackComment] = field(default_factory=list)


@dataclass(frozen=True)
class VideoInsights:
    video_id: uuid.UUID
    title: str
    youtube_id: str
    duration: int
    questions: int
    unanswered_count: int
    bin_seconds: int
    timeline: list[Bin]
    hotspots: list[Hotspot]
    unanswered: list[UnansweredQuestion]
    feedback: FeedbackSummary


@dataclass(frozen=True)
class CourseInsights:
    course_id: uuid.UUID
    title: str
    since: datetime
    until: datetime
    questions: int
    learners: int
    unanswered_count: int
    videos: list[VideoInsights]


def _moment(value: str | None, *, name: str, end_of_day: bool) -> datetime | None:
    if value is None or value == "":
        return None
    moment = parse_datetime(value) if "T" in value or " " in value else None
    if moment is None:
        try:
            day: date | None = parse_date(value)
        except ValueError:
            day = None
        if day is None:
            raise ValidationFailed(
                _("%(field)s: a date (YYYY-MM-DD) or a date and time (ISO 8601).")
                % {"field": name},
                code="invalid_period",
            )
        # A day given as `to` includes that whole day.
        moment = datetime.combine(day + timedelta(days=1) if end_of_day else day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


def insights_period(*, since: str | None, until: str | None) -> tuple[datetime, datetime]:
    """[since, until) from the query's `from` and `to`; by default the last
    INSIGHTS_DEFAULT_DAYS days. Raises ValidationFailed for a bad date or an empty period."""
    try:
        start = _moment(since, name="from", end_of_day=False)
        end = _moment(until, name="to", end_of_day=True)
    except (ValueError, OverflowError):  # a date that does not exist (2026-02-30, year 10000)
        raise ValidationFailed(
            _("The period is not valid: from and to must be real dates."),
            code="invalid_period",
        ) from None
    end = end or timezone.now()
    start = start or end - timedelta(days=settings.INSIGHTS_DEFAULT_DAYS)
    if start >= end:
        raise ValidationFailed(
            _("The period is empty: from must be before to."), code="invalid_period"
        )
    return start, end


def bin_seconds_for(duration: int) -> int:
    """The timeline's bin width: INSIGHTS_BIN_SECONDS, or a multiple of it for a long video
    (at most INSIGHTS_MAX_BINS bins)."""
    base: int = max(1, settings.INSIGHTS_BIN_SECONDS)
    bins = math.ceil(max(1, duration) / base)
    max_bins: int = max(1, settings.INSIGHTS_MAX_BINS)
    return base * max(1, math.ceil(bins / max_bins))


def video_url(youtube_id: str, second: float) -> str:
    """A link that opens the video at that second."""
    return f"https://www.youtube.com/watch?v={youtube_id}&t={int(second)}s"


def _timeline(duration: int, width: int, counts: Mapping[int, int]) -> list[Bin]:
    """Bins of `width` seconds covering 0 to the duration, from counts by a finer bin's first
    second. Positions past the end (the video was shortened) count in the last bin."""
    total = max(1, math.ceil(max(1, duration) / width))
    questions = [0] * total
    for second, count in counts.items():
        questions[min(total - 1, max(0, second // width))] += count
    return [
        Bin(start=i * width, end=min(duration, (i + 1) * width), questions=n)
        for i, n in enumerate(questions)
    ]


def _stretches(timeline: Sequence[Bin]) -> list[tuple[int, int, int]]:
    """The busiest stretches, busiest first: a bin with enough questions, grown over the
    neighbours that hold at least half as many. (start index, end index, questions)."""
    minimum = max(1, settings.INSIGHTS_HOTSPOT_MIN_QUESTIONS)
    used = [False] * len(timeline)
    found: list[tuple[int, int, int]] = []
    order = sorted(range(len(timeline)), key=lambda i: (-timeline[i].questions, i))
    for peak in order:
        if len(found) >= settings.INSIGHTS_HOTSPOTS or timeline[peak].questions < minimum:
            break
        if used[peak]:
            continue
        half = timeline[peak].questions / 2
        first = last = peak
        while first > 0 and not used[first - 1] and timeline[first - 1].questions >= half:
            first -= 1
        while (
            last < len(timeline) - 1 and not used[last + 1] and timeline[last + 1].questions >= half
        ):
            last += 1
        for i in range(first, last + 1):
            used[i] = True
        found.append((first, last, sum(b.questions for b in timeline[first : last + 1])))
    return found


def _split(
    *, since: datetime, until: datetime
) -> tuple[list[date], list[tuple[datetime, datetime]]]:
    """The rolled-up months wholly inside [since, until), and the periods around them that
    are read from the records."""
    rolled = RolledUpMonth.objects.filter(
        month__gte=month_start(since), month__lt=month_start(until)
    ).values_list("month", flat=True)
    months = sorted(
        m for m in rolled if month_bounds(m)[0] >= since and month_bounds(m)[1] <= until
    )
    periods: list[tuple[datetime, datetime]] = []
    start = since
    for month in months:
        first, end = month_bounds(month)
        if start < first:
            periods.append((start, first))
        start = end
    if start < until:
        periods.append((start, until))
    return months, periods


def course_insights(
    *, course: Course, since: datetime, until: datetime, list_limit: int | None = None
) -> CourseInsights:
    """What the course's learners asked in [since, until), per video, without identity.

    Counts come from the monthly rollup for the months it holds and from the records for the
    rest; the lists (examples, unanswered questions, comments) always from the records.
    """
    limit = list_limit or settings.INSIGHTS_LIST_LIMIT
    base: int = max(1, settings.INSIGHTS_BIN_SECONDS)
    videos = list(course_videos(course=course).values_list("id", "title", "youtube_id", "duration"))
    months, periods = _split(since=since, until=until)
    records = question_records_in(course_id=course.pk, periods=periods)

    # Per video (None: course-wide questions), per bin's first second (None: no position).
    per_video: dict[Any, int] = defaultdict(int)
    unanswered_per_video: dict[Any, int] = defaultdict(int)
    per_second: dict[Any, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    def add(video_id: Any, second: int | None, n: int, unanswered: int) -> None:
        per_video[video_id] += n
        unanswered_per_video[video_id] += unanswered
        if video_id is not None and second is not None:
            per_second[video_id][second] += n

    if periods:
        grouped = (
            records.annotate(base_bin=Floor(F("position") / base))
            .values("video_id", "base_bin")
            .annotate(n=Count("*"), unanswered=Count("answered", filter=Q(answered=False)))
            .values_list("video_id", "base_bin", "n", "unanswered")
        )
        for video_id, base_bin, n, unanswered in grouped:
            add(video_id, None if base_bin is None else int(base_bin) * base, n, unanswered)
    if months:
        rolled = (
            MonthlyQuestionBin.objects.filter(course=course, month__in=months)
            .values("video_id", "base_bin", "bin_seconds")
            .annotate(n=Sum("questions"), unanswered=Sum("unanswered"))
            .values_list("video_id", "base_bin", "bin_seconds", "n", "unanswered")
        )
        for video_id, base_bin, bin_seconds, n, unanswered in rolled:
            second = None if base_bin is None else base_bin * bin_seconds
            add(video_id, second, n, unanswered)
    raw_learners = records.filter(user__isnull=False).values("user_id")
    rolled_learners = MonthlyLearner.objects.filter(course=course, month__in=months).values(
        "user_id"
    )
    learners: int
    if periods and months:
        learners = raw_learners.union(rolled_learners).count()  # UNION: each learner once
    elif months:
        learners = rolled_learners.distinct().count()
    else:
        learners = raw_learners.distinct().count()

    timelines: dict[uuid.UUID, tuple[int, list[Bin]]] = {}
    windows: list[tuple[uuid.UUID, float, float]] = []
    spans: list[tuple[uuid.UUID, int, int, int]] = []
    for video_id, _title, _youtube_id, duration in videos:
        width = bin_seconds_for(duration)
        timeline = _timeline(duration, width, per_second.get(video_id, {}))
        timelines[video_id] = (width, timeline)
        for first, last, questions in _stretches(timeline):
            start, end = timeline[first].start, timeline[last].end
            # The last bin also holds positions past the end.
            windows.append(
                (video_id, float(start), math.inf if last == len(timeline) - 1 else float(end))
            )
            spans.append((video_id, start, end, questions))
    examples = question_examples(
        windows=windows, since=since, until=until, limit=EXAMPLES_PER_HOTSPOT
    )
    hotspots: dict[uuid.UUID, list[Hotspot]] = defaultdict(list)
    youtube_ids = {video_id: youtube_id for video_id, _t, youtube_id, _d in videos}
    for index, (video_id, start, end, questions) in enumerate(spans):
        hotspots[video_id].append(
            Hotspot(
                start=start,
                end=end,
                questions=questions,
                examples=examples.get(index, []),
                url=video_url(youtube_ids[video_id], start),
            )
        )

    unanswered = unanswered_questions_latest(
        video_ids=[v[0] for v in videos], since=since, until=until, limit=limit
    )
    feedback = _feedback(course=course, since=since, until=until, limit=limit)

    return CourseInsights(
        course_id=course.pk,
        title=course.title,
        since=since,
        until=until,
        questions=sum(per_video.values()),
        learners=learners,
        unanswered_count=sum(unanswered_per_video.values()),
        videos=[
            VideoInsights(
                video_id=video_id,
                title=title,
                youtube_id=youtube_id,
                duration=duration,
                questions=per_video.get(video_id, 0),
                unanswered_count=unanswered_per_video.get(video_id, 0),
                bin_seconds=timelines[video_id][0],
                timeline=timelines[video_id][1],
                hotspots=hotspots.get(video_id, []),
                unanswered=[
                    UnansweredQuestion(question=text, position=position, asked_at=asked_at)
                    for text, position, asked_at in unanswered.get(video_id, [])
                ],
                feedback=feedback.get(video_id, FeedbackSummary()),
            )
            for video_id, title, youtube_id, duration in videos
        ],
    )


def _feedback(
    *, course: Course, since: datetime, until: datetime, limit: int
) -> dict[uuid.UUID, FeedbackSummary]:
    """Per video: ratings up and down, and the latest comments with their questions."""
    rows = answer_feedback_between(course_id=course.pk, since=since, until=until)
    video = F("message__question_record__video_id")
    counts = (
        rows.values(video_key=video)
        .annotate(
            up=Count("rating", filter=Q(rating="up")), down=Count("rating", filter=Q(rating="down"))
        )
        .values_list("video_key", "up", "down")
    )
    comments: dict[uuid.UUID, list[FeedbackComment]] = defaultdict(list)
    latest = (
        rows.exclude(comment="")
        .annotate(
            video_key=video,
            rank=Window(RowNumber(), partition_by=[video], order_by=[F("updated_at").desc()]),
        )
        .filter(rank__lte=limit)
        .order_by("video_key", "rank")
        .values_list("video_key", "rating", "comment", "message__question_record__text")
    )
    for video_id, rating, comment, question in latest:
        comments[video_id].append(
            FeedbackComment(rating=rating, comment=comment, question=question or "")
        )
    return {
        video_id: FeedbackSummary(up=up, down=down, comments=comments.get(video_id, []))
        for video_id, up, down in counts
        if video_id is not None
    }
