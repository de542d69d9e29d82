"""No N+1: list and detail endpoints run a fixed number of queries, whatever the row counts."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import InstructorFactory
from courses.models import Course, UserProgress, Video
from courses.tests.factories import CourseFactory

_batches = itertools.count()


def _bulk_catalogue(*, courses: int, videos_per_course: int, learner=None) -> list[Course]:
    owners = [InstructorFactory() for _ in range(5)]
    batch = next(_batches)
    made = Course.objects.bulk_create(
        Course(slug=f"bulk-{batch}-{n}", title=f"Bulk {n}", owner=owners[n % 5], is_published=True)
        for n in range(courses)
    )
    videos = Video.objects.bulk_create(
        Video(
            course=course,
            youtube_id=f"{batch:02d}c{c:03d}v{v:04d}",
            title=f"V{v}",
            duration=60 + v,
            order_index=v,
        )
        for c, course in enumerate(made)
        for v in range(videos_per_course)
    )
    if learner is not None:
        UserProgress.objects.bulk_create(
            UserProgress(user=learner, video=video, last_position=30, completed=False)
            for video in videos
        )
    return made


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


@pytest.mark.django_db
def test_course_list_is_constant(student_client, django_assert_max_num_queries):
    _bulk_catalogue(courses=3, videos_per_course=2)
    small, _ = _count(student_client, "/api/courses?pageSize=100")
    _bulk_catalogue(courses=300, videos_per_course=3)
    with django_assert_max_num_queries(small):
        response = student_client.get("/api/courses?pageSize=100&search=Bulk&ordering=title")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 100
    assert small <= 2  # count + one page with owners and totals


@pytest.mark.django_db
def test_course_detail_and_videos_are_constant(api_client, django_assert_max_num_queries):
    course = CourseFactory()
    small, _ = _count(api_client, f"/api/courses/{course.id}")
    big = _bulk_catalogue(courses=1, videos_per_course=400)[0]
    with django_assert_max_num_queries(small):
        response = api_client.get(f"/api/courses/{big.id}")
    assert len(response.json()["videos"]) == 400
    assert small <= 2  # the course with totals + its videos
    with django_assert_max_num_queries(3):
        response = api_client.get(f"/api/courses/{big.id}/videos?pageSize=100")
    assert response.json()["count"] == 400


@pytest.mark.django_db
def test_progress_endpoints_are_constant(student_client, student, django_assert_max_num_queries):
    course = _bulk_catalogue(courses=1, videos_per_course=300, learner=student)[0]
    with django_assert_max_num_queries(3):  # course, videos, rows
        response = student_client.get(f"/api/courses/{course.id}/progress")
    assert len(response.json()["progress"]) == 300

    _bulk_catalogue(courses=200, videos_per_course=2, learner=student)
    with django_assert_max_num_queries(4):  # count, page of courses, videos, rows
        response = student_client.get("/api/me/progress?pageSize=100")
    body = response.json()
    assert body["count"] == 201
    assert len(body["results"]) == 100
