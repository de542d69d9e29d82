"""The courses API through HTTP: shapes, ordering, filters, progress and its summary."""

import uuid

import pytest
from django.db import connection

from courses.models import Course, UserProgress, Video
from courses.tests.factories import CourseFactory, UserProgressFactory, VideoFactory


@pytest.fixture
def course(instructor):
    course = CourseFactory(owner=instructor, title="Intro", language="he")
    for n in range(3):
        VideoFactory(course=course, youtube_id=f"abcdefghij{n}", duration=100 * (n + 1))
    return course


def _orders(course):
    return list(course.videos.order_by("order_index").values_list("youtube_id", "order_index"))


@pytest.mark.django_db
def test_course_list_carries_camel_case_fields_and_totals(api_client, course):
    response = api_client.get("/api/courses")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == str(course.id)
    assert item["videoCount"] == 3
    assert item["totalDuration"] == 600
    assert item["isPublished"] is True
    assert item["ownerId"] == str(course.owner_id)
    assert {"createdAt", "updatedAt", "slug", "difficulty", "language"} <= item.keys()


@pytest.mark.django_db
def test_course_list_filters_searches_and_orders(api_client, instructor, other_instructor):
    CourseFactory(title="Alpha Python", difficulty="advanced", language="en", owner=instructor)
    CourseFactory(title="beta python", difficulty="beginner", language="he", owner=instructor)
    CourseFactory(title="Gamma", difficulty="advanced", language="he", owner=other_instructor)
    CourseFactory(title="Hidden python", is_published=False, owner=other_instructor)

    def titles(query):
        response = api_client.get(f"/api/courses?{query}")
        assert response.status_code == 200, response.json()
        return [c["title"] for c in response.json()["results"]]

    assert titles("search=PYTHON&ordering=title") == ["Alpha Python", "beta python"]
    assert titles("difficulty=advanced&ordering=-title") == ["Gamma", "Alpha Python"]
    assert titles("language=he&ordering=title") == ["Gamma", "beta python"]
    assert titles(f"owner={other_instructor.id}") == ["Gamma"]
    assert titles("ordering=createdAt") == ["Alpha Python", "beta python", "Gamma"]
    assert len(titles("pageSize=2")) == 2


@pytest.mark.django_db
def test_empty_course_has_zero_totals(api_client, instructor):
    course = CourseFactory(owner=instructor)
    body = api_client.get(f"/api/courses/{course.id}").json()
    assert (body["videoCount"], body["totalDuration"], body["videos"]) == (0, 0, [])


@pytest.mark.django_db
def test_course_detail_lists_videos_in_order(api_client, course):
    Video.objects.filter(course=course, youtube_id="abcdefghij0").update(order_index=5)
    body = api_client.get(f"/api/courses/{course.id}").json()
    assert [v["youtubeId"] for v in body["videos"]] == [
        "abcdefghij1",
        "abcdefghij2",
        "abcdefghij0",
    ]
    assert body["videos"][0]["orderIndex"] == 1
    assert body["videos"][0]["courseId"] == str(course.id)


@pytest.mark.django_db
def test_instructor_creates_course_with_generated_slug(instructor_client, instructor):
    response = instructor_client.post(
        "/api/courses",
        {"title": "מבוא ללמידת מכונה", "language": "he", "difficulty": "intermediate"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    course = Course.objects.get(pk=body["id"])
    assert course.owner == instructor
    assert course.slug == "מבוא-ללמידת-מכונה"
    assert course.is_published is False
    again = instructor_client.post("/api/courses", {"title": "מבוא ללמידת מכונה"}, format="json")
    assert again.json()["slug"] == "מבוא-ללמידת-מכונה-2"


@pytest.mark.django_db
def test_put_replaces_and_patch_updates(instructor_client, course):
    response = instructor_client.patch(
        f"/api/courses/{course.id}", {"isPublished": False}, format="json"
    )
    assert response.status_code == 200
    course.refresh_from_db()
    assert (course.is_published, course.title) == (False, "Intro")
    response = instructor_client.put(
        f"/api/courses/{course.id}", {"title": "Renamed", "language": "en"}, format="json"
    )
    assert response.status_code == 200
    course.refresh_from_db()
    assert (course.title, course.language, course.description) == ("Renamed", "en", "")
    assert response.json()["videoCount"] == 3


@pytest.mark.django_db
def test_delete_course_removes_videos_and_progress(instructor_client, course, student):
    UserProgressFactory(user=student, video=course.videos.first())
    assert instructor_client.delete(f"/api/courses/{course.id}").status_code == 204
    assert not Course.objects.filter(pk=course.pk).exists()
    assert not Video.objects.filter(course_id=course.pk).exists()
    assert not UserProgress.objects.exists()


@pytest.mark.django_db
def test_video_create_appends_or_inserts_and_keeps_order_dense(instructor_client, course):
    response = instructor_client.post(
        f"/api/courses/{course.id}/videos",
        {"youtubeId": "NEW_video-1", "title": "New", "duration": 60},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["orderIndex"] == 3
    response = instructor_client.post(
        f"/api/courses/{course.id}/videos",
        {"youtubeId": "NEW_video-2", "title": "First", "duration": 60, "orderIndex": 0},
        format="json",
    )
    assert response.status_code == 201
    assert _orders(course) == [
        ("NEW_video-2", 0),
        ("abcdefghij0", 1),
        ("abcdefghij1", 2),
        ("abcdefghij2", 3),
        ("NEW_video-1", 4),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("move", "to", "expected"),
    [
        ("abcdefghij0", 2, ["abcdefghij1", "abcdefghij2", "abcdefghij0"]),
        ("abcdefghij2", 0, ["abcdefghij2", "abcdefghij0", "abcdefghij1"]),
        ("abcdefghij1", 1, ["abcdefghij0", "abcdefghij1", "abcdefghij2"]),
    ],
)
def test_patch_order_index_reorders_densely(instructor_client, course, move, to, expected):
    video = Video.objects.get(youtube_id=move)
    response = instructor_client.patch(f"/api/videos/{video.id}", {"orderIndex": to}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["orderIndex"] == to
    assert _orders(course) == [(yid, n) for n, yid in enumerate(expected)]


@pytest.mark.django_db
def test_delete_video_closes_the_gap(instructor_client, course):
    video = Video.objects.get(youtube_id="abcdefghij0")
    assert instructor_client.delete(f"/api/videos/{video.id}").status_code == 204
    assert _orders(course) == [("abcdefghij1", 0), ("abcdefghij2", 1)]


@pytest.mark.django_db
def test_video_put_and_get(instructor_client, api_client, course):
    video = Video.objects.get(youtube_id="abcdefghij1")
    response = instructor_client.put(
        f"/api/videos/{video.id}",
        {"youtubeId": "zzzzzzzzzzz", "title": "Replaced", "duration": 42},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = api_client.get(f"/api/videos/{video.id}").json()
    assert (body["youtubeId"], body["title"], body["duration"], body["orderIndex"]) == (
        "zzzzzzzzzzz",
        "Replaced",
        42,
        1,
    )
    videos = api_client.get(f"/api/courses/{course.id}/videos").json()
    assert [v["orderIndex"] for v in videos["results"]] == [0, 1, 2]


@pytest.mark.django_db
def test_progress_upsert_and_summary(student_client, student, course):
    videos = list(course.videos.order_by("order_index"))
    url = f"/api/courses/{course.id}/progress"
    empty = student_client.get(url).json()
    assert empty["progress"] == []
    assert empty["summary"]["resume"]["videoId"] == str(videos[0].id)
    assert empty["summary"]["resume"]["position"] == 0

    first = student_client.post(
        url, {"videoId": str(videos[0].id), "lastPosition": 30}, format="json"
    )
    assert first.status_code == 201
    assert first.json()["lastPosition"] == 30
    again = student_client.post(
        url, {"videoId": str(videos[0].id), "lastPosition": 100, "completed": True}, format="json"
    )
    assert again.status_code == 200
    completed_at = again.json()["completedAt"]
    assert completed_at is not None
    assert UserProgress.objects.filter(user=student).count() == 1

    # completed_at is kept from the first completion
    third = student_client.post(
        url, {"videoId": str(videos[0].id), "lastPosition": 10, "completed": True}, format="json"
    )
    assert third.json()["completedAt"] == completed_at
    student_client.post(url, {"videoId": str(videos[1].id), "lastPosition": 77}, format="json")

    body = student_client.get(url).json()
    assert [row["videoId"] for row in body["progress"]] == [str(videos[0].id), str(videos[1].id)]
    summary = body["summary"]
    assert summary["videosTotal"] == 3
    assert summary["videosCompleted"] == 1
    assert summary["percentComplete"] == 33
    assert summary["resume"] == {
        "videoId": str(videos[1].id),
        "youtubeId": videos[1].youtube_id,
        "title": videos[1].title,
        "position": 77,
    }


@pytest.mark.django_db
def test_progress_resume_moves_on_and_ends_when_all_done(student_client, course):
    videos = list(course.videos.order_by("order_index"))
    url = f"/api/courses/{course.id}/progress"
    student_client.post(
        url, {"videoId": str(videos[0].id), "lastPosition": 100, "completed": True}, format="json"
    )
    resume = student_client.get(url).json()["summary"]["resume"]
    assert (resume["videoId"], resume["position"]) == (str(videos[1].id), 0)
    for video in videos[1:]:
        student_client.post(
            url,
            {"videoId": str(video.id), "lastPosition": video.duration, "completed": True},
            format="json",
        )
    summary = student_client.get(url).json()["summary"]
    assert (summary["percentComplete"], summary["resume"]) == (100, None)


@pytest.mark.django_db
def test_progress_of_other_users_is_invisible(student_client, course, other_instructor):
    UserProgressFactory(user=other_instructor, video=course.videos.first(), last_position=5)
    body = student_client.get(f"/api/courses/{course.id}/progress").json()
    assert body["progress"] == []
    assert student_client.get("/api/me/progress").json()["count"] == 0


@pytest.mark.django_db
def test_my_progress_lists_started_courses_most_recent_first(student_client, student, instructor):
    older = CourseFactory(owner=instructor, title="Older")
    newer = CourseFactory(owner=instructor, title="Newer")
    CourseFactory(owner=instructor, title="Untouched")
    older_videos = [VideoFactory(course=older) for _ in range(2)]
    newer_video = VideoFactory(course=newer)
    for video, position in ((older_videos[0], 10), (newer_video, 20)):
        response = student_client.post(
            f"/api/courses/{video.course_id}/progress",
            {"videoId": str(video.id), "lastPosition": position},
            format="json",
        )
        assert response.status_code == 201
    body = student_client.get("/api/me/progress").json()
    assert body["count"] == 2
    assert [item["course"]["title"] for item in body["results"]] == ["Newer", "Older"]
    older_summary = body["results"][1]["summary"]
    assert older_summary["videosTotal"] == 2
    assert older_summary["resume"]["videoId"] == str(older_videos[0].id)
    assert older_summary["resume"]["position"] == 10


@pytest.mark.django_db
def test_database_rejects_position_past_the_end(course, student):
    from django.db import IntegrityError, transaction

    video = course.videos.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        UserProgress.objects.create(user=student, video=video, last_position=video.duration + 1)


@pytest.mark.django_db
def test_shortening_a_video_clamps_progress(instructor_client, course, student):
    video = course.videos.order_by("order_index").last()  # 300 s
    row = UserProgressFactory(user=student, video=video, last_position=250)
    response = instructor_client.patch(f"/api/videos/{video.id}", {"duration": 200}, format="json")
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.last_position == 200


@pytest.mark.django_db
def test_order_uniqueness_is_checked_inside_the_transaction(course):
    from django.db import IntegrityError, transaction

    first, second = course.videos.order_by("order_index")[:2]
    with transaction.atomic(), connection.cursor() as cursor:
        Video.objects.filter(pk=second.pk).update(order_index=first.order_index)
        with pytest.raises(IntegrityError):
            cursor.execute("SET CONSTRAINTS video_order_unique_per_course IMMEDIATE")
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_unknown_ids_are_404_in_the_error_shape(api_client):
    for url in (
        f"/api/courses/{uuid.uuid4()}",
        f"/api/courses/{uuid.uuid4()}/videos",
        f"/api/videos/{uuid.uuid4()}",
        "/api/courses/not-a-uuid",
        "/api/videos/123",
    ):
        response = api_client.get(url)
        assert response.status_code == 404, url
        assert {"error", "code", "timestamp"} <= response.json().keys()
