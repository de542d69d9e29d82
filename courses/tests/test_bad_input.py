"""Bad input is a 4xx in the one error shape, never a 500, and changes nothing."""

import uuid

import pytest

from courses.models import Course, UserProgress, Video
from courses.tests.factories import CourseFactory, VideoFactory


@pytest.fixture
def course(instructor):
    course = CourseFactory(owner=instructor, slug="taken-slug")
    VideoFactory(course=course, youtube_id="dQw4w9WgXcQ", duration=100)
    VideoFactory(course=course, youtube_id="aaaaaaaaaaa", duration=100)
    return course


def _assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert {"error", "code", "timestamp"} <= body.keys()
    assert body["error"]
    if code:
        assert body["code"] == code, body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "validation_error"),
        ({"title": ""}, "validation_error"),
        ({"title": "x" * 201}, "validation_error"),
        ({"title": "ok", "description": "x" * 5001}, "validation_error"),
        ({"title": "ok", "difficulty": "expert"}, "validation_error"),
        ({"title": "ok", "language": "fr"}, "validation_error"),
        ({"title": "ok", "isPublished": "maybe"}, "validation_error"),
        ({"title": "ok", "slug": "has spaces"}, "validation_error"),
        ({"title": "ok", "slug": "s" * 121}, "validation_error"),
        ({"title": ["a", "list"]}, "validation_error"),
        ({"title": "nul\x00byte"}, "validation_error"),
        ({"title": "ok", "slug": "taken-slug"}, "duplicate_slug"),
    ],
)
def test_bad_course_bodies(instructor_client, course, body, code):
    status = 409 if code == "duplicate_slug" else 400
    _assert_error(instructor_client.post("/api/courses", body, format="json"), status, code)
    assert Course.objects.count() == 1


@pytest.mark.django_db
def test_slug_conflict_on_update_is_409(instructor_client, instructor, course):
    other = CourseFactory(owner=instructor)
    response = instructor_client.patch(
        f"/api/courses/{other.id}", {"slug": "taken-slug"}, format="json"
    )
    _assert_error(response, 409, "duplicate_slug")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        "not json at all",
        "[1, 2, 3]",
        '"a string"',
    ],
)
def test_malformed_bodies(instructor_client, course, body):
    response = instructor_client.post(
        f"/api/courses/{course.id}/videos", body, content_type="application/json"
    )
    _assert_error(response, 400)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"youtubeId": "short", "title": "t", "duration": 5}, 400, "validation_error"),
        ({"youtubeId": "bad!chars!!", "title": "t", "duration": 5}, 400, "validation_error"),
        ({"youtubeId": "x" * 12, "title": "t", "duration": 5}, 400, "validation_error"),
        ({"youtubeId": "okokokokok1", "title": "t", "duration": 0}, 400, "validation_error"),
        ({"youtubeId": "okokokokok1", "title": "t", "duration": -5}, 400, "validation_error"),
        ({"youtubeId": "okokokokok1", "title": "t", "duration": "long"}, 400, "validation_error"),
        ({"youtubeId": "okokokokok1", "title": "t", "duration": 10**12}, 400, "validation_error"),
        ({"youtubeId": "okokokokok1", "title": "t", "duration": 1.5}, 400, "validation_error"),
        ({"youtubeId": "okokokokok1", "title": "x" * 201, "duration": 5}, 400, "validation_error"),
        ({"youtubeId": 12345678901, "title": "t", "duration": 5, "orderIndex": -1}, 400, None),
        (
            {"youtubeId": "okokokokok1", "title": "t", "duration": 5, "orderIndex": 3},
            400,
            "order_index_out_of_range",
        ),
        ({"youtubeId": "dQw4w9WgXcQ", "title": "t", "duration": 5}, 409, "duplicate_youtube_id"),
    ],
)
def test_bad_video_bodies(instructor_client, course, body, status, code):
    response = instructor_client.post(f"/api/courses/{course.id}/videos", body, format="json")
    _assert_error(response, status, code)
    assert Video.objects.count() == 2
    assert list(course.videos.order_by("order_index").values_list("order_index", flat=True)) == [
        0,
        1,
    ]


@pytest.mark.django_db
def test_duplicate_youtube_id_in_another_course_is_409(instructor_client, instructor, course):
    other = CourseFactory(owner=instructor)
    response = instructor_client.post(
        f"/api/courses/{other.id}/videos",
        {"youtubeId": "dQw4w9WgXcQ", "title": "t", "duration": 5},
        format="json",
    )
    _assert_error(response, 409, "duplicate_youtube_id")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"orderIndex": 2}, "order_index_out_of_range"),
        ({"orderIndex": -1}, "validation_error"),
        ({"youtubeId": "aaaaaaaaaaa"}, "duplicate_youtube_id"),
        ({"duration": 0}, "validation_error"),
    ],
)
def test_bad_video_updates(instructor_client, course, body, code):
    video = course.videos.get(youtube_id="dQw4w9WgXcQ")
    response = instructor_client.patch(f"/api/videos/{video.id}", body, format="json")
    _assert_error(response, 409 if code.startswith("duplicate") else 400, code)
    video.refresh_from_db()
    assert (video.youtube_id, video.order_index, video.duration) == ("dQw4w9WgXcQ", 0, 100)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "validation_error"),
        ({"videoId": "nope", "lastPosition": 1}, "validation_error"),
        ({"videoId": str(uuid.uuid4()), "lastPosition": 1}, "video_not_in_course"),
        ({"videoId": "{video}", "lastPosition": -1}, "validation_error"),
        ({"videoId": "{video}", "lastPosition": 101}, "position_out_of_range"),
        ({"videoId": "{video}", "lastPosition": "ten"}, "validation_error"),
        ({"videoId": "{video}", "lastPosition": 10**15}, "validation_error"),
        ({"videoId": "{video}", "lastPosition": 1, "completed": "perhaps"}, "validation_error"),
        ({"videoId": "{other_video}", "lastPosition": 1}, "video_not_in_course"),
    ],
)
def test_bad_progress_bodies(student_client, instructor, course, body, code):
    other_video = VideoFactory(course=CourseFactory(owner=instructor))
    ids = {"video": str(course.videos.first().id), "other_video": str(other_video.id)}
    body = {
        key: value.format(**ids) if isinstance(value, str) else value for key, value in body.items()
    }
    response = student_client.post(f"/api/courses/{course.id}/progress", body, format="json")
    _assert_error(response, 400, code)
    assert not UserProgress.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "difficulty=expert",
        "language=xx",
        "owner=not-a-uuid",
        "ordering=password",
        "search=" + "x" * 201,
        "search=%00",
        "pageSize=0",
        "pageSize=1000",
        "page=0",
        "page=abc",
    ],
)
def test_bad_list_queries(api_client, course, query):
    _assert_error(api_client.get(f"/api/courses?{query}"), 400, "validation_error")


@pytest.mark.django_db
def test_page_past_the_end_is_404(api_client, course):
    _assert_error(api_client.get("/api/courses?page=99"), 404)


@pytest.mark.django_db
def test_oversized_body_is_413(instructor_client, course):
    response = instructor_client.post(
        "/api/courses",
        '{"title": "' + "x" * (2 * 1024 * 1024) + '"}',
        content_type="application/json",
    )
    _assert_error(response, 413)
