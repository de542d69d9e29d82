"""GET /api/courses/{id}/insights: who may read it, what it says, how many queries it costs."""

import json

import pytest

from accounts.tests.factories import UserFactory
from courses.tests.factories import VideoFactory
from insights.tests.conftest import ask

pytestmark = pytest.mark.django_db


def url(course):
    return f"/api/courses/{course.pk}/insights"


@pytest.fixture
def questions(video, second_video, student):
    other = UserFactory()
    # A hotspot around 1:30-2:00 of the first video, with one stray question elsewhere.
    for i in range(5):
        ask(video, 95 + i, f"Why does dropout help at {i}?", user=student if i < 2 else None)
    ask(video, 125, "What is the penalty?", user=other, rating="down", comment="Too vague.")
    ask(video, 500, "What is the capital of Australia?", answered=False)
    ask(video, 20, "Is this on the exam?", user=student, answered=False, rating="up")
    ask(second_video, 40, "מה זה גרדיאנט?", user=other, rating="up", comment="תודה, ברור!")
    # Out of the default period (30 days) and a course-wide question with no video.
    ask(video, 100, "An old question", days_ago=90)
    return {"student": student, "other": other}


def test_anonymous_is_401_students_403_other_instructors_403_or_404(
    api_client, student_client, other_instructor_client, course, other_instructor
):
    assert api_client.get(url(course)).status_code == 401
    response = student_client.get(url(course))
    assert response.status_code == 403
    assert response.json()["code"] == "not_course_owner"
    assert other_instructor_client.get(url(course)).status_code == 403  # published: visible
    course.is_published = False
    course.save()
    assert other_instructor_client.get(url(course)).status_code == 404  # hidden
    assert student_client.get(url(course)).status_code == 404
    missing = "/api/courses/00000000-0000-0000-0000-000000000000/insights"
    assert other_instructor_client.get(missing).status_code == 404


def test_the_instructor_sees_the_timeline_hotspots_unanswered_and_feedback(
    instructor_client, course, video, second_video, questions
):
    response = instructor_client.get(url(course))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["courseId"] == str(course.pk)
    assert body["from"] < body["to"]
    assert (body["questions"], body["learners"], body["unansweredCount"]) == (9, 2, 2)
    first, second = body["videos"]
    assert (first["videoId"], first["title"], first["duration"]) == (
        str(video.pk),
        "Overfitting",
        600,
    )
    assert first["questions"] == 8
    # Bins of 30 s cover 0 to the duration, and add up to the questions with a position.
    assert first["binSeconds"] == 30
    assert first["timeline"][0] == {"start": 0, "end": 30, "questions": 1}
    assert first["timeline"][-1]["end"] == 600
    assert len(first["timeline"]) == 20
    assert sum(b["questions"] for b in first["timeline"]) == 8
    assert first["timeline"][3] == {"start": 90, "end": 120, "questions": 5}
    # The busiest stretch first; its neighbour (1 question) is under half its peak.
    [hotspot] = first["hotspots"]
    assert (hotspot["start"], hotspot["end"], hotspot["questions"]) == (90, 120, 5)
    assert hotspot["url"] == "https://www.youtube.com/watch?v=lwaInsight1&t=90s"
    assert len(hotspot["examples"]) == 3
    assert all(e.startswith("Why does dropout help") for e in hotspot["examples"])
    assert [u["question"] for u in first["unanswered"]] == [
        "Is this on the exam?",
        "What is the capital of Australia?",
    ] or [u["question"] for u in first["unanswered"]] == [
        "What is the capital of Australia?",
        "Is this on the exam?",
    ]
    assert {u["position"] for u in first["unanswered"]} == {20.0, 500.0}
    assert first["feedback"] == {
        "up": 1,
        "down": 1,
        "comments": [
            {"rating": "down", "comment": "Too vague.", "question": "What is the penalty?"}
        ],
    }
    assert second["feedback"]["comments"] == [
        {"rating": "up", "comment": "תודה, ברור!", "question": "מה זה גרדיאנט?"}
    ]
    assert second["timeline"][1] == {"start": 30, "end": 60, "questions": 1}
    assert second["hotspots"] == []  # one question is not a hotspot


def test_no_learner_identity_anywhere(admin_client_api, course, questions):
    raw = admin_client_api.get(url(course)).content.decode()
    for user in questions.values():
        assert str(user.pk) not in raw
        assert user.email not in raw
    assert "user" not in json.loads(raw)["videos"][0]


def test_the_period_is_chosen_with_from_and_to(instructor_client, course, questions):
    body = instructor_client.get(url(course), {"from": "2000-01-01"}).json()
    assert body["questions"] == 10  # the old question too
    body = instructor_client.get(url(course), {"from": "2000-01-01", "to": "2000-12-31"}).json()
    assert body["questions"] == 0
    assert body["to"].startswith("2001-01-01")  # the `to` day is included whole
    assert all(b["questions"] == 0 for b in body["videos"][0]["timeline"])
    body = instructor_client.get(url(course), {"from": "0001-01-01", "to": "9999-12-30"}).json()
    assert body["questions"] == 10


@pytest.mark.parametrize(
    "params",
    [
        {"from": "yesterday"},
        {"from": "2026-02-30"},
        {"from": "2026-05-02", "to": "2026-05-01"},
        {"to": "9999-12-31"},
        {"from": "2026-01-01T25:00:00"},
    ],
)
def test_a_bad_period_is_400(instructor_client, course, params):
    response = instructor_client.get(url(course), params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_period"


def test_long_videos_get_wider_bins_and_late_positions_land_in_the_last_bin(
    instructor_client, course, settings
):
    long_video = VideoFactory(course=course, youtube_id="lwaLongVid1", duration=3 * 3600 + 1)
    ask(long_video, 3 * 3600 + 500, "Past the end (the video was shortened)")
    body = instructor_client.get(url(course)).json()
    [video] = body["videos"]
    assert len(video["timeline"]) <= settings.INSIGHTS_MAX_BINS
    assert video["binSeconds"] == 120
    assert video["timeline"][-1]["end"] == 3 * 3600 + 1
    assert video["timeline"][-1]["questions"] == 1


# The course, its videos, the rolled-up months, the grouped count of the records and the one of
# the monthly rollup, distinct learners, the hotspots' examples, the unanswered questions, the
# feedback counts and the feedback comments (insights/tests/test_rollup.py: with months rolled).
QUERIES = 10


def test_query_count_does_not_grow_with_videos_bins_or_questions(
    instructor_client, course, student, django_assert_max_num_queries
):
    video = VideoFactory(course=course, duration=600)
    ask(video, 10, "one", user=student, rating="up", comment="fine")
    ask(video, 11, "two")
    with django_assert_max_num_queries(QUERIES):
        assert instructor_client.get(url(course)).status_code == 200
    for n in range(15):
        extra = VideoFactory(course=course, duration=1200)
        for second in range(0, 1200, 97):
            ask(extra, second, f"q{n}-{second}", answered=second % 2 == 0)
            ask(extra, second + 1, f"r{n}-{second}")
        ask(extra, 5, "rated", user=student, rating="down", comment="meh")
    with django_assert_max_num_queries(QUERIES):
        response = instructor_client.get(url(course))
    body = response.json()
    assert len(body["videos"]) == 16
    assert all(v["hotspots"] and v["unanswered"] for v in body["videos"][1:])
    assert all(v["feedback"]["comments"] for v in body["videos"])


def test_the_endpoint_is_in_the_openapi_schema(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/courses/{course_id}/insights"]["get"]
    assert {"200", "400", "401", "403", "404"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to"}
    feedback = schema["paths"]["/api/messages/{message_id}/feedback"]["post"]
    assert {"200", "201", "400", "401", "404", "429"} <= set(feedback["responses"])
