"""The casing boundary seen by a client: camelCase in and out, snake_case in the serializers,
errors naming fields as the client sent them, and data keys sent as they are."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from chat.tests.factories import ConversationFactory, MessageFactory
from courses.models import Course, UserProgress, Video
from courses.tests.factories import CourseFactory, VideoFactory

pytestmark = pytest.mark.django_db
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def course(instructor):
    return CourseFactory(owner=instructor, is_published=True)


def test_a_camel_case_body_reaches_the_serializer_in_snake_case(instructor_client, course):
    VideoFactory(course=course)
    response = instructor_client.post(
        f"/api/courses/{course.pk}/videos",
        {"youtubeId": "dQw4w9WgXcQ", "title": "Intro", "duration": 60, "orderIndex": 0},
        format="json",
    )
    assert response.status_code == 201, response.content
    video = Video.objects.get(youtube_id="dQw4w9WgXcQ")
    assert video.order_index == 0
    body = response.json()
    assert body["youtubeId"] == "dQw4w9WgXcQ"
    assert body["orderIndex"] == 0
    assert body["courseId"] == str(course.pk)
    assert "youtube_id" not in body


def test_a_form_body_is_read_the_same_way(instructor_client, course):
    response = instructor_client.patch(
        f"/api/courses/{course.pk}", {"isPublished": "false"}, format="multipart"
    )
    assert response.status_code == 200, response.content
    assert response.json()["isPublished"] is False
    assert Course.objects.get(pk=course.pk).is_published is False


def test_the_snake_case_spelling_is_not_a_field(instructor_client, course):
    response = instructor_client.post(
        f"/api/courses/{course.pk}/videos",
        {"youtube_id": "dQw4w9WgXcQ", "title": "Intro", "duration": 60},
        format="json",
        **ENGLISH,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "youtubeId: This field is required."
    assert not Video.objects.filter(course=course).exists()
    response = instructor_client.patch(
        f"/api/courses/{course.pk}", {"is_published": False}, format="json"
    )
    assert response.status_code == 200
    assert Course.objects.get(pk=course.pk).is_published is True  # unchanged, as before


@override_settings(DEBUG=True)
def test_a_bad_field_is_named_as_the_client_sent_it(student_client, course):
    video = VideoFactory(course=course)
    response = student_client.post(
        f"/api/courses/{course.pk}/progress",
        {"videoId": str(video.pk), "lastPosition": -1},
        format="json",
        **ENGLISH,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "lastPosition: Ensure this value is greater than or equal to 0."
    assert set(body["details"]) == {"lastPosition"}
    assert not UserProgress.objects.exists()


@override_settings(DEBUG=True)
def test_an_error_about_the_whole_body_keeps_drfs_key(instructor_client, course):
    video = VideoFactory(course=course)
    response = instructor_client.post(
        f"/api/videos/{video.pk}/transcript", {}, format="json", **ENGLISH
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Send either a transcript file or its content, not both."
    assert set(body["details"]) == {"non_field_errors"}


def test_query_parameters_are_read_and_named_in_camel_case(api_client, course):
    response = api_client.get("/api/courses", {"pageSize": "0"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("pageSize: ")
    assert api_client.get("/api/courses", {"page_size": "0"}).status_code == 200  # not a name
    response = api_client.get("/api/courses", {"pageSize": "1"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_stored_sources_are_data_and_come_back_as_they_were_saved(student, student_client):
    conversation = ConversationFactory(user=student)
    sources = [{"chunkId": 3, "legacy_key": 1, "2026-01-01": {"per_day": 2}}]
    MessageFactory(conversation=conversation, role="assistant", sources=sources)
    response = student_client.get(f"/api/conversations/{conversation.pk}")
    assert response.status_code == 200
    message = response.json()["messages"][0]
    assert message["sources"] == sources
    assert "createdAt" in message


def test_the_schema_generates_without_warnings(tmp_path):
    # AutoSchema warns of a field name its camelCase would not read back as (a_b_c → aBC).
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text()
    assert "youtubeId:" in schema
    assert "youtube_id:" not in schema
