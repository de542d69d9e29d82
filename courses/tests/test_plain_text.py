"""Control and bidi override characters are refused in titles, slugs and names, in the API and
the admin alike (one validator on the model fields); the marks Hebrew/English text needs stay."""

import pytest
from django.test import Client

from accounts.models import User
from courses.models import Course, Video
from courses.tests.factories import CourseFactory, VideoFactory
from courses.tests.test_admin import COURSE_FIELDS, _inline

pytestmark = pytest.mark.django_db

RLO_TITLE = "abc\u202etxt.exe"
REFUSED = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
           "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\n", "\t", "\r"]  # fmt: skip


def _post_course(client, **fields):
    return client.post(
        "/api/courses", {"title": "ok", **fields}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )


@pytest.mark.parametrize("character", REFUSED)
def test_a_course_title_with_a_control_character_is_a_400_naming_the_field(
    instructor_client, character
):
    response = _post_course(instructor_client, title=f"abc{character}txt")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["error"].startswith("title: ")
    assert f"U+{ord(character):04X}" in body["error"]
    assert not Course.objects.exists()


def test_the_reported_attack_is_refused(instructor_client):
    response = _post_course(instructor_client, title=RLO_TITLE)
    assert response.status_code == 400
    assert not Course.objects.filter(title=RLO_TITLE).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("slug", "abc\u202eexe"), ("description", "line one\u2067hidden"), ("description", "\x00")],
)
def test_other_course_fields_are_checked(instructor_client, field, value):
    response = _post_course(instructor_client, **{field: value})
    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith(f"{field}: ")


def test_directional_marks_and_a_description_s_lines_are_kept(instructor_client):
    title = "מבוא ל\u200ePython\u200f 3"
    response = _post_course(instructor_client, title=title, description="one\ntwo\tthree")
    assert response.status_code == 201, response.content
    course = Course.objects.get()
    assert course.title == title
    assert course.description == "one\ntwo\tthree"


def test_video_titles_are_checked_on_create_and_update(instructor_client, instructor):
    course = CourseFactory(owner=instructor)
    response = instructor_client.post(
        f"/api/courses/{course.id}/videos",
        {"youtubeId": "dQw4w9WgXcQ", "title": RLO_TITLE, "duration": 10},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("title: ")
    video = VideoFactory(course=course, title="fine")
    response = instructor_client.patch(
        f"/api/videos/{video.id}", {"title": "a\u2066b"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("title: ")
    assert Video.objects.get(pk=video.id).title == "fine"


def _admin(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_refuses_them_in_a_course_and_its_inline_videos(instructor):
    data = {
        **COURSE_FIELDS,
        "title": RLO_TITLE,
        **_inline([{"position": 0, "youtube_id": "first_vid01", "title": "a\x1bb", "duration": 5}]),
    }
    response = _admin(instructor).post(
        "/admin/courses/course/add/", data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200  # the form again, with the errors
    assert "U+202E" in response.context["adminform"].form.errors["title"][0]
    formset = response.context["inline_admin_formsets"][0].formset
    assert "U+001B" in formset.errors[0]["title"][0]
    assert not Course.objects.exists()
    assert not Video.objects.exists()


def test_the_admin_refuses_them_in_a_users_name(admin_user, student):
    response = _admin(admin_user).post(
        f"/admin/accounts/user/{student.pk}/change/",
        {
            "email": student.email,
            "first_name": "Eve\u202e",
            "last_name": "",
            "role": student.role,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "first_name" in response.context["adminform"].form.errors
    assert User.objects.get(pk=student.pk).first_name == ""
