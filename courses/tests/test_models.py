"""The database itself enforces the data rules, whatever code (or SQL) writes the rows."""

import pytest
from django.db import IntegrityError, connection, transaction

from courses.models import Course, UserProgress, Video
from courses.tests.factories import CourseFactory, UserProgressFactory, VideoFactory


def _write_and_check(write):
    with transaction.atomic():
        write()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # deferred ones too


def _violates(write):
    with pytest.raises(IntegrityError):
        _write_and_check(write)


@pytest.mark.django_db
def test_course_rules(instructor):
    course = CourseFactory(owner=instructor)
    _violates(lambda: Course.objects.filter(pk=course.pk).update(difficulty="expert"))
    _violates(lambda: Course.objects.filter(pk=course.pk).update(language="fr"))
    _violates(lambda: CourseFactory(owner=instructor, slug=course.slug))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [
        {"duration": 0},
        {"youtube_id": "short"},
        {"youtube_id": "has spaces!"},
        {"transcript_status": "unknown"},
        {"order_index": 1},  # taken by the other video of the course
    ],
)
def test_video_rules(changes):
    video = VideoFactory()
    VideoFactory(course=video.course)
    _violates(lambda: Video.objects.filter(pk=video.pk).update(**changes))


@pytest.mark.django_db
def test_youtube_id_is_unique_across_courses():
    video = VideoFactory()
    _violates(lambda: VideoFactory(youtube_id=video.youtube_id))


@pytest.mark.django_db
def test_progress_rules(student):
    row = UserProgressFactory(user=student, video=VideoFactory(duration=100), last_position=10)
    rows = UserProgress.objects.filter(pk=row.pk)
    _violates(lambda: rows.update(last_position=101))
    _violates(lambda: rows.update(completed=True, completed_at=None))
    _violates(lambda: UserProgressFactory(user=student, video=row.video))
    rows.update(last_position=100)  # the very end is allowed
    _violates(lambda: rows.update(last_position=-1))


@pytest.mark.django_db
def test_every_foreign_key_and_api_filter_is_indexed():
    def indexed_columns(table):
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table)
        return {
            c["columns"][0]
            for c in constraints.values()
            if (c["index"] or c["unique"]) and c["columns"] and c["columns"][0]
        }

    assert {
        "owner_id",
        "difficulty",
        "language",
        "is_published",
        "created_at",
        "title",
        "slug",
    } <= (indexed_columns("courses_course"))
    assert {"course_id", "youtube_id", "transcript_status"} <= indexed_columns("courses_video")
    assert {"user_id", "video_id"} <= indexed_columns("courses_userprogress")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'course_title_trgm'")
        (definition,) = cursor.fetchone()
    assert "gin" in definition
    assert "gin_trgm_ops" in definition
