"""Whatever JSON arrives, the API answers 2xx or 4xx in the error shape, never 500."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.tests.factories import CourseFactory, VideoFactory

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=300),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=6,
)
FIELDS = {
    "course": ["title", "slug", "description", "difficulty", "language", "isPublished"],
    "video": ["youtubeId", "title", "duration", "orderIndex"],
    "progress": ["videoId", "lastPosition", "completed"],
}


def bodies(kind):
    return st.one_of(
        json_values,
        st.dictionaries(st.sampled_from(FIELDS[kind]), json_values, max_size=len(FIELDS[kind])),
    )


FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check(response):
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert {"error", "code", "timestamp"} <= response.json().keys()


@pytest.fixture
def course(instructor):
    course = CourseFactory(owner=instructor)
    VideoFactory(course=course)
    return course


@pytest.mark.django_db
@FUZZ
@given(body=bodies("course"))
def test_course_writes(instructor_client, course, body):
    payload = json.dumps(body)
    _check(instructor_client.post("/api/courses", payload, content_type="application/json"))
    _check(
        instructor_client.patch(
            f"/api/courses/{course.id}", payload, content_type="application/json"
        )
    )


@pytest.mark.django_db
@FUZZ
@given(body=bodies("video"))
def test_video_writes(instructor_client, course, body):
    payload = json.dumps(body)
    _check(
        instructor_client.post(
            f"/api/courses/{course.id}/videos", payload, content_type="application/json"
        )
    )
    video = course.videos.first()
    _check(
        instructor_client.patch(f"/api/videos/{video.id}", payload, content_type="application/json")
    )
    order = list(course.videos.order_by("order_index").values_list("order_index", flat=True))
    assert order == list(range(len(order)))


@pytest.mark.django_db
@FUZZ
@given(body=bodies("progress"))
def test_progress_writes(student_client, course, body):
    _check(
        student_client.post(
            f"/api/courses/{course.id}/progress", json.dumps(body), content_type="application/json"
        )
    )


@pytest.mark.django_db
@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(
            ["difficulty", "language", "owner", "search", "ordering", "page", "pageSize"]
        ),
        st.text(max_size=50),
        max_size=4,
    )
)
def test_list_queries(api_client, course, query):
    _check(api_client.get("/api/courses", query))
