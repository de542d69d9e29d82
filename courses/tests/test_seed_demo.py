"""`manage.py seed_demo`: idempotent, prints generated passwords once, the demo course exactly."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import Role, User
from courses.demo import DEMO_COURSE_SLUG, seed_demo_course
from courses.models import Course, Video


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _token(email, password):
    return APIClient().post(
        "/api/auth/token", {"email": email, "password": password}, format="json"
    )


@pytest.mark.django_db
def test_seed_is_idempotent_and_prints_generated_passwords_once(settings):
    settings.DEMO_INSTRUCTOR_PASSWORD = ""
    settings.DEMO_STUDENT_PASSWORD = ""
    first = _seed()
    lines = {line.split(":")[0]: line for line in first.splitlines()}
    instructor_line = lines["Demo instructor"]
    password = instructor_line.split("password: ")[1].split()[0]
    assert _token("demo-instructor@learnwithavi.local", password).status_code == 200

    second = _seed()
    assert "password unchanged" in second
    assert password not in second
    assert User.objects.filter(email__endswith="@learnwithavi.local").count() == 2
    assert Course.objects.count() == 1
    assert Video.objects.count() == 3
    assert _token("demo-instructor@learnwithavi.local", password).status_code == 200


@pytest.mark.django_db
def test_passwords_come_from_the_environment(settings):
    settings.DEMO_INSTRUCTOR_PASSWORD = "instructor-pass-1"
    settings.DEMO_STUDENT_PASSWORD = "student-pass-1"
    output = _seed()
    assert "instructor-pass-1" not in output
    assert _token("demo-instructor@learnwithavi.local", "instructor-pass-1").status_code == 200
    assert _token("demo-student@learnwithavi.local", "student-pass-1").status_code == 200
    settings.DEMO_STUDENT_PASSWORD = "student-pass-2"
    _seed()
    assert _token("demo-student@learnwithavi.local", "student-pass-1").status_code == 401
    assert _token("demo-student@learnwithavi.local", "student-pass-2").status_code == 200
    instructor = User.objects.get(email="demo-instructor@learnwithavi.local")
    student = User.objects.get(email="demo-student@learnwithavi.local")
    assert (instructor.role, instructor.is_staff) == (Role.INSTRUCTOR, True)
    assert (student.role, student.is_staff) == (Role.STUDENT, False)


@pytest.mark.django_db
def test_demo_course_is_public_with_exactly_three_videos_in_order(settings, instructor):
    settings.DEMO_INSTRUCTOR_PASSWORD = "instructor-pass-1"
    _seed()
    course = Course.objects.get(slug=DEMO_COURSE_SLUG)
    # someone edits the demo course: seeding again restores it
    Video.objects.create(
        course=course, youtube_id="extraVideo1", title="x", duration=5, order_index=3
    )
    Video.objects.filter(youtube_id="lwaDemoHe01").update(
        title="changed", transcript_status="ready"
    )
    assert seed_demo_course().pk == course.pk

    body = APIClient().get(f"/api/courses/{course.pk}").json()
    assert body["title"] == "מבוא ללמידת מכונה"
    assert body["language"] == "he"
    assert body["isPublished"] is True
    assert [
        (v["youtubeId"], v["title"], v["duration"], v["orderIndex"]) for v in body["videos"]
    ] == [
        ("lwaDemoHe01", "מהי למידת מכונה?", 540, 0),
        ("lwaDemoHe02", "ירידה בגרדיאנט", 660, 1),
        ("lwaDemoEn01", "Overfitting and regularization", 600, 2),
    ]
    assert body["videos"][0]["transcriptStatus"] == "ready"  # transcripts are left alone
