"""Every endpoint x every role x read/write, with the exact status.

Rules: reads of published courses are open; writes need a signed-in user (401), then the course
must be visible (an unpublished course is 404 to anyone but its owner and admins), then the
user must manage it (403). Progress is for signed-in users only, and only their own.
"""

import pytest
from rest_framework.test import APIClient

from courses.models import Course, UserProgress, Video
from courses.tests.factories import CourseFactory, VideoFactory

ROLES = ("anonymous", "student", "owner", "other_instructor", "admin")


def _by_role(anonymous, student, owner, other_instructor, admin):
    return dict(zip(ROLES, (anonymous, student, owner, other_instructor, admin), strict=True))


# (name, method, url template, body, {published: statuses by role, unpublished: ...})
VIDEO_BODY = {"youtubeId": "NEWvideo_01", "title": "New", "duration": 60}
COURSE_BODY = {"title": "Course", "isPublished": True}
MATRIX = [
    (
        "list courses",
        "get",
        "/api/courses",
        None,
        _by_role(200, 200, 200, 200, 200),
        _by_role(200, 200, 200, 200, 200),
    ),
    (
        "create course",
        "post",
        "/api/courses",
        COURSE_BODY,
        _by_role(401, 403, 201, 201, 201),
        _by_role(401, 403, 201, 201, 201),
    ),
    (
        "read course",
        "get",
        "/api/courses/{course}",
        None,
        _by_role(200, 200, 200, 200, 200),
        _by_role(404, 404, 200, 404, 200),
    ),
    (
        "replace course",
        "put",
        "/api/courses/{course}",
        COURSE_BODY,
        _by_role(401, 403, 200, 403, 200),
        _by_role(401, 404, 200, 404, 200),
    ),
    (
        "update course",
        "patch",
        "/api/courses/{course}",
        {"title": "Renamed"},
        _by_role(401, 403, 200, 403, 200),
        _by_role(401, 404, 200, 404, 200),
    ),
    (
        "delete course",
        "delete",
        "/api/courses/{course}",
        None,
        _by_role(401, 403, 204, 403, 204),
        _by_role(401, 404, 204, 404, 204),
    ),
    (
        "list videos",
        "get",
        "/api/courses/{course}/videos",
        None,
        _by_role(200, 200, 200, 200, 200),
        _by_role(404, 404, 200, 404, 200),
    ),
    (
        "add video",
        "post",
        "/api/courses/{course}/videos",
        VIDEO_BODY,
        _by_role(401, 403, 201, 403, 201),
        _by_role(401, 404, 201, 404, 201),
    ),
    (
        "read video",
        "get",
        "/api/videos/{video}",
        None,
        _by_role(200, 200, 200, 200, 200),
        _by_role(404, 404, 200, 404, 200),
    ),
    (
        "replace video",
        "put",
        "/api/videos/{video}",
        VIDEO_BODY,
        _by_role(401, 403, 200, 403, 200),
        _by_role(401, 404, 200, 404, 200),
    ),
    (
        "update video",
        "patch",
        "/api/videos/{video}",
        {"orderIndex": 0},
        _by_role(401, 403, 200, 403, 200),
        _by_role(401, 404, 200, 404, 200),
    ),
    (
        "delete video",
        "delete",
        "/api/videos/{video}",
        None,
        _by_role(401, 403, 204, 403, 204),
        _by_role(401, 404, 204, 404, 204),
    ),
    (
        "read course progress",
        "get",
        "/api/courses/{course}/progress",
        None,
        _by_role(401, 200, 200, 200, 200),
        _by_role(401, 404, 200, 404, 200),
    ),
    (
        "record progress",
        "post",
        "/api/courses/{course}/progress",
        {"videoId": "{video}", "lastPosition": 30},
        _by_role(401, 201, 201, 201, 201),
        _by_role(401, 404, 201, 404, 201),
    ),
    (
        "read my progress",
        "get",
        "/api/me/progress",
        None,
        _by_role(401, 200, 200, 200, 200),
        _by_role(401, 200, 200, 200, 200),
    ),
    (
        "write my progress",
        "post",
        "/api/me/progress",
        {},
        _by_role(401, 405, 405, 405, 405),
        _by_role(401, 405, 405, 405, 405),
    ),
]

CASES = [
    pytest.param(
        name, method, url, body, published, role, statuses[role], id=f"{name}-{state}-{role}"
    )
    for name, method, url, body, on_published, on_unpublished in MATRIX
    for published, state, statuses in (
        (True, "published", on_published),
        (False, "unpublished", on_unpublished),
    )
    for role in ROLES
]


@pytest.fixture
def clients(
    api_client, student_client, instructor_client, other_instructor_client, admin_client_api
):
    return _by_role(
        api_client, student_client, instructor_client, other_instructor_client, admin_client_api
    )


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method", "url", "body", "published", "role", "expected"), CASES)
def test_role_matrix(clients, instructor, name, method, url, body, published, role, expected):
    course = CourseFactory(owner=instructor, is_published=published)
    video = VideoFactory(course=course, youtube_id="existing_01")
    VideoFactory(course=course, youtube_id="existing_02")
    ids = {"course": course.id, "video": video.id}
    client: APIClient = clients[role]
    before = (Course.objects.count(), Video.objects.count(), UserProgress.objects.count())

    response = getattr(client, method)(_fill(url, ids), _fill(body, ids), format="json")

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert {"error", "code", "timestamp"} <= response.json().keys()
        after = (Course.objects.count(), Video.objects.count(), UserProgress.objects.count())
        assert after == before, "a refused request changed nothing"
        assert not Course.objects.filter(title="Renamed").exists()


@pytest.mark.django_db
def test_matrix_covers_every_route():
    from courses import urls

    covered = {url for _, _, url, *_ in MATRIX}
    routes = {
        "/api/"
        + str(pattern.pattern)
        .replace("<uuid:course_id>", "{course}")
        .replace("<uuid:video_id>", "{video}")
        for pattern in urls.urlpatterns
    }
    assert routes == covered
