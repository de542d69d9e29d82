"""The instructors' admin through HTTP: scoping by owner, inline videos and their order."""

import pytest
from django.test import Client

from courses.models import Course, Video
from courses.tests.factories import CourseFactory, UserProgressFactory, VideoFactory


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _inline(videos, *, initial=0):
    """POST data for the videos inline: `videos` is a list of dicts (id optional)."""
    data = {
        "videos-TOTAL_FORMS": str(len(videos)),
        "videos-INITIAL_FORMS": str(initial),
        "videos-MIN_NUM_FORMS": "0",
        "videos-MAX_NUM_FORMS": "1000",
    }
    for n, video in enumerate(videos):
        for key, value in video.items():
            data[f"videos-{n}-{key}"] = "" if value is None else str(value)
    return data


COURSE_FIELDS = {
    "title": "Admin course",
    "slug": "admin-course",
    "description": "",
    "difficulty": "beginner",
    "language": "en",
    "is_published": "on",
}


@pytest.mark.django_db
def test_instructor_sees_only_own_courses(instructor, other_instructor):
    mine = CourseFactory(owner=instructor, title="Mine course")
    theirs = CourseFactory(owner=other_instructor, title="Theirs course")
    client = _client(instructor)
    page = client.get("/admin/courses/course/").content.decode()
    assert "Mine course" in page
    assert "Theirs course" not in page
    assert client.get(f"/admin/courses/course/{mine.pk}/change/").status_code == 200
    assert client.get(f"/admin/courses/course/{theirs.pk}/change/").status_code == 302
    response = client.post(f"/admin/courses/course/{theirs.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert Course.objects.filter(pk=theirs.pk).exists()


@pytest.mark.django_db
def test_admin_sees_everything(admin_user, instructor, other_instructor):
    CourseFactory(owner=instructor, title="Mine course")
    CourseFactory(owner=other_instructor, title="Theirs course")
    page = _client(admin_user).get("/admin/courses/course/").content.decode()
    assert "Mine course" in page
    assert "Theirs course" in page


@pytest.mark.django_db
def test_students_cannot_use_the_admin(student):
    response = _client(student).get("/admin/courses/course/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_instructor_creates_course_with_videos_and_owns_it(instructor, other_instructor):
    data = {
        **COURSE_FIELDS,
        "owner": str(other_instructor.pk),  # ignored: instructors own what they create
        **_inline(
            [
                {"position": 1, "youtube_id": "second_vid1", "title": "Second", "duration": 60},
                {"position": 0, "youtube_id": "first_vid01", "title": "First", "duration": 90},
            ]
        ),
    }
    response = _client(instructor).post("/admin/courses/course/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    course = Course.objects.get(slug="admin-course")
    assert course.owner == instructor
    assert list(course.videos.order_by("order_index").values_list("youtube_id", "order_index")) == [
        ("first_vid01", 0),
        ("second_vid1", 1),
    ]


@pytest.mark.django_db
def test_inline_swaps_positions_and_renumbers_densely(instructor):
    course = CourseFactory(owner=instructor, slug="admin-course")
    first = VideoFactory(course=course, youtube_id="first_vid01")
    second = VideoFactory(course=course, youtube_id="second_vid1")
    third = VideoFactory(course=course, youtube_id="third_vid01")
    videos = [
        {"id": first.pk, "course": course.pk, "position": 2, "youtube_id": first.youtube_id},
        {"id": second.pk, "course": course.pk, "position": 0, "youtube_id": second.youtube_id},
        {"id": third.pk, "course": course.pk, "position": 0, "youtube_id": third.youtube_id},
        {"course": course.pk, "position": None, "youtube_id": "fourth_vid1"},
    ]
    for video in videos:
        video.update(title="T", duration=10)
    data = {**COURSE_FIELDS, **_inline(videos, initial=3)}
    response = _client(instructor).post(f"/admin/courses/course/{course.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(course.videos.order_by("order_index").values_list("youtube_id", "order_index")) == [
        ("second_vid1", 0),
        ("third_vid01", 1),
        ("first_vid01", 2),
        ("fourth_vid1", 3),
    ]


@pytest.mark.django_db
def test_inline_reports_duplicate_youtube_id(instructor, other_instructor):
    VideoFactory(course=CourseFactory(owner=other_instructor), youtube_id="taken_vid01")
    data = {
        **COURSE_FIELDS,
        **_inline([{"position": 0, "youtube_id": "taken_vid01", "title": "T", "duration": 5}]),
    }
    response = _client(instructor).post(
        "/admin/courses/course/add/", data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200  # the form again, with the error
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.errors[0]["youtube_id"] == ["Video with this YouTube id already exists."]
    assert not Course.objects.filter(slug="admin-course").exists()


@pytest.mark.django_db
def test_course_list_shows_completion_figures(instructor, student, other_instructor):
    course = CourseFactory(owner=instructor, title="Figures course")
    first, second = VideoFactory(course=course), VideoFactory(course=course)
    UserProgressFactory(user=student, video=first, completed=True, completed_at="2026-01-01T00:00Z")
    UserProgressFactory(user=other_instructor, video=second)
    page = _client(instructor).get("/admin/courses/course/").content.decode()
    # 2 videos x 2 learners = 4 possible completions, 1 done
    assert "25%" in page


@pytest.mark.django_db
def test_progress_is_read_only_and_scoped(instructor, other_instructor, student):
    mine = UserProgressFactory(
        user=student, video=VideoFactory(course=CourseFactory(owner=instructor))
    )
    theirs = UserProgressFactory(
        user=student, video=VideoFactory(course=CourseFactory(owner=other_instructor))
    )
    client = _client(instructor)
    page = client.get("/admin/courses/userprogress/").content.decode()
    assert mine.video.title in page
    assert theirs.video.title not in page
    assert client.get(f"/admin/courses/userprogress/{mine.pk}/change/").status_code == 200
    response = client.post(f"/admin/courses/userprogress/{mine.pk}/change/", {"last_position": 1})
    assert response.status_code == 403
    assert client.get("/admin/courses/userprogress/add/").status_code == 403


@pytest.mark.django_db
def test_video_admin_search_and_scope(instructor, other_instructor):
    VideoFactory(course=CourseFactory(owner=instructor), youtube_id="findme_0001", title="Mine")
    VideoFactory(course=CourseFactory(owner=other_instructor), youtube_id="findme_0002")
    page = _client(instructor).get("/admin/courses/video/?q=findme").content.decode()
    assert "findme_0001" in page
    assert "findme_0002" not in page


@pytest.mark.django_db
def test_video_admin_add_appends(instructor):
    course = CourseFactory(owner=instructor)
    VideoFactory(course=course)
    response = _client(instructor).post(
        "/admin/courses/video/add/",
        {"course": course.pk, "youtube_id": "added_vid01", "title": "Added", "duration": 30},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Video.objects.get(youtube_id="added_vid01").order_index == 1


@pytest.mark.django_db
def test_video_page_links_to_the_transcript_upload(client):
    from accounts.tests.factories import InstructorFactory

    instructor = InstructorFactory()
    video = VideoFactory(course=CourseFactory(owner=instructor))
    client.force_login(instructor)
    page = client.get(f"/admin/courses/video/{video.pk}/change/").content.decode()
    assert f"/admin/rag/transcriptsource/add/?video={video.pk}" in page
    upload = client.get(f"/admin/rag/transcriptsource/add/?video={video.pk}")
    assert upload.status_code == 200
