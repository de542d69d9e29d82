"""Writes for courses, videos and progress. Every database rule violation becomes a 4xx."""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from courses.models import Course, UserProgress, Video
from learnwithavi.errors import Conflict, ValidationFailed

COURSE_FIELDS = ("title", "slug", "description", "difficulty", "language", "is_published")
VIDEO_FIELDS = ("youtube_id", "title", "duration")
ORDER_CONSTRAINT = "video_order_unique_per_course"


def _constraint_name(error: IntegrityError) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return str(getattr(diag, "constraint_name", None) or "")


def _translate_integrity_error(error: IntegrityError) -> Exception:
    """The 4xx that a violated constraint means for the client."""
    name = _constraint_name(error)
    if "youtube_id" in name and "valid" not in name:
        return Conflict(
            _("A video with this YouTube id already exists."), code="duplicate_youtube_id"
        )
    if "slug" in name:
        return Conflict(_("A course with this slug already exists."), code="duplicate_slug")
    if name == ORDER_CONSTRAINT:
        return Conflict(_("Two videos cannot share a position."), code="order_conflict")
    if name == "progress_position_within_duration":
        return ValidationFailed(
            _("The position is past the end of the video."), code="position_out_of_range"
        )
    return ValidationFailed(
        _("The data breaks a rule of the database."), code="constraint_violation"
    )


@contextmanager
def _database_rules_as_client_errors() -> Iterator[None]:
    """Run writes in a savepoint; a violated constraint becomes a Conflict or ValidationFailed."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        raise _translate_integrity_error(error) from error


def _check_order_now() -> None:
    """Check the deferred (course, order_index) uniqueness now rather than at commit."""
    with _database_rules_as_client_errors(), connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS {ORDER_CONSTRAINT} IMMEDIATE")
        cursor.execute(f"SET CONSTRAINTS {ORDER_CONSTRAINT} DEFERRED")


def _unique_slug(title: str) -> str:
    base = slugify(title, allow_unicode=True)[:100].strip("-") or "course"
    candidate, suffix = base, 2
    while Course.objects.filter(slug=candidate).exists():
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    return candidate


@transaction.atomic
def course_create(
    *,
    owner: User,
    title: str,
    slug: str = "",
    description: str = "",
    difficulty: str = "beginner",
    language: str = "he",
    is_published: bool = False,
) -> Course:
    """A new course owned by `owner`; a slug is made from the title when none is given.

    Raises Conflict (duplicate_slug) when the slug is taken.
    """
    course = Course(
        owner=owner,
        title=title,
        slug=slug or _unique_slug(title),
        description=description,
        difficulty=difficulty,
        language=language,
        is_published=is_published,
    )
    with _database_rules_as_client_errors():
        course.save()
    return course


@transaction.atomic
def course_update(*, course: Course, data: Mapping[str, Any]) -> Course:
    """Change the given fields of a course. Raises Conflict (duplicate_slug)."""
    # An empty slug (PUT without one) keeps the current slug.
    fields = [
        field for field in COURSE_FIELDS if field in data and (field != "slug" or data[field])
    ]
    for field in fields:
        setattr(course, field, data[field])
    if fields:
        with _database_rules_as_client_errors():
            course.save(update_fields=[*fields, "updated_at"])
    return course


@transaction.atomic
def course_delete(*, course: Course) -> None:
    """Delete a course with its videos and everyone's progress in them."""
    course.delete()


def _locked_course_videos(course: Course) -> list[Video]:
    """The course's videos in order, with the course row locked so that orders don't interleave."""
    Course.objects.select_for_update().filter(pk=course.pk).values_list("pk").get()
    return list(Video.objects.filter(course=course).order_by("order_index", "created_at", "pk"))


def _apply_order(videos: Sequence[Video]) -> None:
    """Number `videos` 0..n-1 in the given order (dense and unique), in one statement."""
    changed = []
    for index, video in enumerate(videos):
        if video.order_index != index:
            video.order_index = index
            changed.append(video)
    if changed:
        with _database_rules_as_client_errors():
            Video.objects.bulk_update(changed, ["order_index"])
    _check_order_now()


def _position_out_of_range(last: int) -> ValidationFailed:
    return ValidationFailed(
        _("The position must be between 0 and %(last)d.") % {"last": last},
        code="order_index_out_of_range",
    )


@transaction.atomic
def video_create(
    *, course: Course, youtube_id: str, title: str, duration: int, order_index: int | None = None
) -> Video:
    """Add a video at `order_index` (default: the end); later videos move down one place.

    Raises ValidationFailed (order_index_out_of_range), Conflict (duplicate_youtube_id).
    """
    videos = _locked_course_videos(course)
    position = len(videos) if order_index is None else order_index
    if not 0 <= position <= len(videos):
        raise _position_out_of_range(len(videos))
    video = Video(
        course=course, youtube_id=youtube_id, title=title, duration=duration, order_index=position
    )
    with _database_rules_as_client_errors():
        video.save()
    _apply_order([*videos[:position], video, *videos[position:]])
    return video


@transaction.atomic
def video_update(*, video: Video, data: Mapping[str, Any]) -> Video:
    """Change a video's fields; a new `order_index` moves it and renumbers the others.

    Raises ValidationFailed (order_index_out_of_range), Conflict (duplicate_youtube_id).
    """
    fields = [field for field in VIDEO_FIELDS if field in data]
    for field in fields:
        setattr(video, field, data[field])
    if fields:
        with _database_rules_as_client_errors():
            video.save(update_fields=[*fields, "updated_at"])
    if data.get("order_index") is not None:
        videos = [v for v in _locked_course_videos(video.course) if v.pk != video.pk]
        position = int(data["order_index"])
        if not 0 <= position <= len(videos):
            raise _position_out_of_range(len(videos))
        video.order_index = -1  # so that _apply_order always writes its new position
        _apply_order([*videos[:position], video, *videos[position:]])
    return video


@transaction.atomic
def video_delete(*, video: Video) -> None:
    """Delete a video (and progress in it); the videos after it move up one place."""
    course = video.course
    video.delete()
    _apply_order(_locked_course_videos(course))


@transaction.atomic
def video_order_normalize(*, course: Course) -> None:
    """Renumber a course's videos 0..n-1 keeping their relative order (after admin edits)."""
    _apply_order(_locked_course_videos(course))


@transaction.atomic
def progress_upsert(
    *,
    user: User,
    course: Course,
    video_id: Any,
    last_position: int,
    completed: bool | None = None,
) -> tuple[UserProgress, bool]:
    """Record where `user` is in one video of `course`; returns (row, created).

    `completed_at` is set the first time the video is completed and kept afterwards.
    Raises ValidationFailed (video_not_in_course, position_out_of_range).
    """
    video = Video.objects.filter(course=course, pk=video_id).first()
    if video is None:
        raise ValidationFailed(
            _("This video is not part of this course."), code="video_not_in_course"
        )
    if not 0 <= last_position <= video.duration:
        raise ValidationFailed(
            _("The position must be between 0 and %(duration)d seconds.")
            % {"duration": video.duration},
            code="position_out_of_range",
        )
    rows = UserProgress.objects.select_for_update().filter(user=user, video=video)
    progress = rows.first()
    created = False
    if progress is None:
        # Two first requests at once: the loser's insert waits for the winner's, fails in
        # get_or_create's savepoint and finds the row, so exactly one request reports creating it.
        _, created = UserProgress.objects.get_or_create(user=user, video=video)
        progress = rows.get()
    progress.last_position = last_position
    if completed is not None:
        progress.completed = completed
        if completed and progress.completed_at is None:
            progress.completed_at = timezone.now()
    with _database_rules_as_client_errors():
        progress.save()
    return progress, created
