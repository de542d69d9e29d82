"""Reads for courses, videos and progress. Other apps call the `*_visible_to` selectors."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Max, Model, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from accounts.permissions import AnyUser, is_platform_admin, is_signed_in
from courses.models import Course, UserProgress, Video
from learnwithavi.errors import NotFound


def _as_uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def course_visibility_q(*, user: AnyUser | None, prefix: str = "") -> Q:
    """The courses `user` may see: published ones, plus their own, plus everything for admins."""
    if is_platform_admin(user):
        return Q()
    visible = Q(**{f"{prefix}is_published": True})
    if is_signed_in(user):
        visible |= Q(**{f"{prefix}owner_id": user.pk})
    return visible


def courses_visible_to(*, user: AnyUser | None) -> QuerySet[Course]:
    """Every course `user` may read."""
    return Course.objects.filter(course_visibility_q(user=user)).select_related("owner")


def videos_visible_to(*, user: AnyUser | None) -> QuerySet[Video]:
    """Every video `user` may read (its course is visible to them), with its course loaded."""
    return Video.objects.filter(course_visibility_q(user=user, prefix="course__")).select_related(
        "course"
    )


_M = TypeVar("_M", bound=Model)


def _one_visible(visible: QuerySet[_M], pk: uuid.UUID | str, *, code: str) -> _M:
    """The row of `visible` with this primary key. Raises NotFound (`code`) when there is none,
    or when `pk` is not a UUID at all."""
    as_uuid = _as_uuid(pk)
    if as_uuid is None:
        raise NotFound(code=code)
    try:
        return visible.get(pk=as_uuid)
    except ObjectDoesNotExist:
        raise NotFound(code=code) from None


def course_visible_to(*, user: AnyUser | None, course_id: uuid.UUID | str) -> Course:
    """The course, if `user` may see it. Raises NotFound when it is missing or hidden."""
    return _one_visible(courses_visible_to(user=user), course_id, code="course_not_found")


def video_visible_to(*, user: AnyUser | None, video_id: uuid.UUID | str) -> Video:
    """The video (course loaded), if `user` may see it. Raises NotFound when missing or hidden."""
    return _one_visible(videos_visible_to(user=user), video_id, code="video_not_found")


COURSE_ORDERINGS = {
    "title": ("title", "id"),
    "-title": ("-title", "id"),
    "createdAt": ("created_at", "id"),
    "-createdAt": ("-created_at", "id"),
    "difficulty": ("difficulty", "title", "id"),
    "-difficulty": ("-difficulty", "title", "id"),
}


def _with_totals(courses: QuerySet[Course]) -> QuerySet[Course]:
    return courses.annotate(
        video_count=Count("videos"), total_duration=Coalesce(Sum("videos__duration"), 0)
    )


def course_list(
    *,
    user: AnyUser | None,
    difficulty: str | None = None,
    language: str | None = None,
    owner_id: uuid.UUID | None = None,
    search: str | None = None,
    ordering: str = "-createdAt",
) -> QuerySet[Course]:
    """Courses `user` may see, filtered, searched by title, ordered, with video count and length.

    `ordering` is one of COURSE_ORDERINGS (the API validates it).
    """
    courses = courses_visible_to(user=user)
    if difficulty:
        courses = courses.filter(difficulty=difficulty)
    if language:
        courses = courses.filter(language=language)
    if owner_id:
        courses = courses.filter(owner_id=owner_id)
    if search:
        courses = courses.filter(title__icontains=search)
    return _with_totals(courses).order_by(*COURSE_ORDERINGS[ordering])


def _ordered_videos() -> QuerySet[Video]:
    return Video.objects.order_by("order_index")


def course_detail(*, user: AnyUser | None, course_id: uuid.UUID | str) -> Course:
    """A visible course with its totals and its videos in order. Raises NotFound."""
    pk = _as_uuid(course_id)
    courses = _with_totals(courses_visible_to(user=user)).prefetch_related(
        Prefetch("videos", queryset=_ordered_videos())
    )
    if pk is None:
        raise NotFound(code="course_not_found")
    try:
        return courses.get(pk=pk)
    except Course.DoesNotExist:
        raise NotFound(code="course_not_found") from None


def course_videos(*, course: Course) -> QuerySet[Video]:
    """A course's videos in order."""
    return _ordered_videos().filter(course=course)


@dataclass(frozen=True)
class ProgressSummary:
    videos_total: int
    videos_completed: int
    percent_complete: int
    resume_video: Video | None
    resume_position: int
    last_activity_at: datetime | None


def progress_summary(*, videos: Sequence[Video], rows: Iterable[UserProgress]) -> ProgressSummary:
    """Completion figures and where to resume: the last unfinished video the user touched,
    else the first video they have not completed, else nothing (all done)."""
    by_video = {row.video_id: row for row in rows}
    in_course = [by_video[video.pk] for video in videos if video.pk in by_video]
    completed = sum(1 for row in in_course if row.completed)
    total = len(videos)
    unfinished = sorted(
        (row for row in in_course if not row.completed), key=lambda row: row.updated_at
    )
    resume_video, resume_position = None, 0
    if unfinished:
        row = unfinished[-1]
        resume_video = next(video for video in videos if video.pk == row.video_id)
        resume_position = row.last_position
    else:
        resume_video = next(
            (
                video
                for video in videos
                if video.pk not in by_video or not by_video[video.pk].completed
            ),
            None,
        )
    return ProgressSummary(
        videos_total=total,
        videos_completed=completed,
        percent_complete=round(100 * completed / total) if total else 0,
        resume_video=resume_video,
        resume_position=resume_position,
        last_activity_at=max((row.updated_at for row in in_course), default=None),
    )


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    rows: list[UserProgress]
    summary: ProgressSummary


def course_progress(*, user: User, course: Course) -> CourseProgress:
    """The user's progress rows in a course (in video order) and their summary."""
    videos = list(course_videos(course=course))
    rows = list(
        UserProgress.objects.filter(user=user, video__course=course).order_by("video__order_index")
    )
    return CourseProgress(
        course=course, rows=rows, summary=progress_summary(videos=videos, rows=rows)
    )


def started_courses(*, user: User) -> QuerySet[Course]:
    """Courses (still visible to the user) in which they have progress, most recent first,
    with their videos and the user's rows prefetched (`videos[i].my_progress`)."""
    mine = UserProgress.objects.filter(user=user)
    return (
        courses_visible_to(user=user)
        .filter(pk__in=mine.values("video__course_id"))
        .annotate(
            last_activity_at=Max(
                "videos__progress__updated_at", filter=Q(videos__progress__user=user)
            )
        )
        .order_by("-last_activity_at", "id")
        .prefetch_related(
            Prefetch(
                "videos",
                queryset=_ordered_videos().prefetch_related(
                    Prefetch("progress", queryset=mine, to_attr="my_progress")
                ),
            )
        )
    )


def started_course_progress(*, course: Course) -> CourseProgress:
    """The summary of one course from `started_courses` (no queries: all prefetched)."""
    videos = list(course.videos.all())
    rows = [row for video in videos for row in getattr(video, "my_progress", [])]
    return CourseProgress(
        course=course, rows=rows, summary=progress_summary(videos=videos, rows=rows)
    )
