import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from courses.models import TranscriptStatus
from courses.tests.factories import CourseFactory, VideoFactory
from rag.models import TranscriptChunk, TranscriptSource
from rag.tests.conftest import VTT

pytestmark = pytest.mark.django_db

SEARCH = "/api/search"


def transcript_url(video):
    return f"/api/videos/{video.pk}/transcript"


# --- GET /api/search -------------------------------------------------------------------------


def test_search_returns_hits_with_deep_links(
    api_client, demo_videos, course, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        response = api_client.get(
            SEARCH, {"q": "מה זה קצב למידה?", "course": str(course.pk), "k": 3}
        )
    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "hybrid"
    assert body["query"] == "מה זה קצב למידה?"
    assert len(body["hits"]) == 3
    hit = body["hits"][0]
    assert set(hit) == {
        "chunkId", "videoId", "youtubeId", "videoTitle", "startTime", "endTime", "url", "text",
        "score",
    }  # fmt: skip
    assert hit["videoId"] == str(demo_videos["he02"].pk)
    assert hit["youtubeId"] == "lwaDemoHe02"
    assert hit["videoTitle"] == "ירידה בגרדיאנט"
    assert "קצב הלמידה" in hit["text"]
    assert hit["url"] == f"https://www.youtube.com/watch?v=lwaDemoHe02&t={int(hit['startTime'])}s"
    assert hit["startTime"] < hit["endTime"] <= 660
    assert response["X-RateLimit-Limit"] == "60"


def test_search_with_position_in_a_video(api_client, demo_videos):
    video = demo_videos["en01"]
    response = api_client.get(
        SEARCH, {"q": "regularization", "video": str(video.pk), "position": 400, "k": 1}
    )
    assert response.status_code == 200
    hit = response.json()["hits"][0]
    assert hit["startTime"] - 120 <= 400 <= hit["endTime"] + 120


def test_search_in_a_hidden_course_is_not_found(api_client, student_client, instructor):
    hidden = VideoFactory(course=CourseFactory(owner=instructor, is_published=False))
    for client in (api_client, student_client):
        response = client.get(SEARCH, {"q": "x", "video": str(hidden.pk)})
        assert response.status_code == 404
        assert response.json()["code"] == "video_not_found"
        response = client.get(SEARCH, {"q": "x", "course": str(hidden.course_id)})
        assert response.status_code == 404


def test_unscoped_search_only_sees_visible_videos(api_client, instructor_client, instructor):
    hidden = VideoFactory(course=CourseFactory(owner=instructor, is_published=False))
    TranscriptChunk.objects.create(
        video=hidden,
        position=0,
        start_time=0,
        end_time=3,
        text="סוד גלוי",
        search_text="סוד גלוי",
        content_hash="h",
    )
    assert api_client.get(SEARCH, {"q": "סוד"}).json()["hits"] == []
    owner_hits = instructor_client.get(SEARCH, {"q": "סוד"}).json()["hits"]
    assert [h["videoId"] for h in owner_hits] == [str(hidden.pk)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "x", "k": 51}, "k"),
        ({"q": "x", "video": "not-a-uuid"}, "video"),
        ({"q": "x" * 501}, "q"),
        ({"q": "x", "position": -1}, "position"),
    ],
)
def test_search_validation(api_client, params, field):
    response = api_client.get(SEARCH, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["error"].startswith(field)


def test_search_is_rate_limited(api_client):
    with override_settings(RATE_LIMITS={"search": "2/m", "api": "300/m"}):
        statuses = [api_client.get(SEARCH, {"q": "hello"}).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        response = api_client.get(SEARCH, {"q": "hello"})
        assert response.json()["code"] == "rate_limited"
        assert int(response["Retry-After"]) >= 1


def test_search_degrades_to_keyword_when_embeddings_fail(api_client, demo_videos, fake_openai):
    from testing.fake_openai_embeddings import server_error

    fake_openai.fail_next(*[server_error(500)] * 5)
    response = api_client.get(SEARCH, {"q": "dropout", "video": str(demo_videos["en01"].pk)})
    assert response.status_code == 200
    assert response.json()["mode"] == "keyword"
    assert "dropout" in response.json()["hits"][0]["text"]
    # One attempt, not the ingestion's five with backoff: the learner is waiting.
    assert len(fake_openai.embedding_requests) == 1


@override_settings(RAG_QUERY_EMBEDDING_TIMEOUT=0.2, RAG_EMBEDDING_TIMEOUT=5.0)
def test_a_slow_embedding_api_gets_one_short_attempt_then_keyword_search(
    api_client, demo_videos, fake_openai
):
    from rag.providers import _build
    from testing.fake_openai_embeddings import slow

    _build.cache_clear()
    fake_openai.fail_next(slow(1.0), slow(1.0))
    response = api_client.get(SEARCH, {"q": "dropout", "video": str(demo_videos["en01"].pk)})
    assert response.status_code == 200
    assert response.json()["mode"] == "keyword"
    assert len(fake_openai.embedding_requests) == 1


# --- GET /api/videos/{id}/transcript ----------------------------------------------------------


def test_transcript_lists_chunks_in_order(api_client, demo_videos, django_assert_max_num_queries):
    video = demo_videos["he01"]
    with django_assert_max_num_queries(2):
        response = api_client.get(transcript_url(video))
    assert response.status_code == 200
    body = response.json()
    assert body["transcriptStatus"] == "ready"
    assert body["youtubeId"] == "lwaDemoHe01"
    starts = [chunk["startTime"] for chunk in body["chunks"]]
    assert starts == sorted(starts)
    assert len(starts) > 3
    assert set(body["chunks"][0]) == {"id", "text", "startTime", "endTime"}
    assert body["chunks"][-1]["endTime"] <= 540


def test_transcript_error_is_shown_to_managers_only(api_client, instructor_client, instructor):
    video = VideoFactory(
        course=CourseFactory(owner=instructor),
        transcript_status=TranscriptStatus.FAILED,
        transcript_error="Line 3: the timing line is not valid.",
    )
    assert api_client.get(transcript_url(video)).json()["transcriptError"] is None
    owner_view = instructor_client.get(transcript_url(video)).json()
    assert owner_view["transcriptError"] == "Line 3: the timing line is not valid."


def test_transcript_of_hidden_video_is_not_found(api_client, instructor):
    hidden = VideoFactory(course=CourseFactory(owner=instructor, is_published=False))
    assert api_client.get(transcript_url(hidden)).status_code == 404


# --- POST /api/videos/{id}/transcript ---------------------------------------------------------


@pytest.fixture
def video(instructor):
    return VideoFactory(course=CourseFactory(owner=instructor), duration=120)


def _upload(client, video, content=VTT, name="lecture.vtt", **extra):
    file = SimpleUploadedFile(name, content.encode(), content_type="text/vtt")
    return client.post(transcript_url(video), {"file": file, **extra}, format="multipart")


def test_owner_uploads_and_the_job_runs_after_commit(
    instructor_client, video, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _upload(instructor_client, video)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending"
    assert body["transcriptStatus"] == "pending"
    assert body["format"] == "vtt"
    assert TranscriptChunk.objects.filter(video=video).count() == 0
    assert len(callbacks) == 1
    callbacks[0]()  # the commit happens: the (eager) Celery task runs
    video.refresh_from_db()
    assert video.transcript_status == "ready"
    assert video.transcript_error == ""
    chunks = list(TranscriptChunk.objects.filter(video=video))
    assert chunks
    assert chunks[0].start_time == 0.0
    assert chunks[-1].end_time == 48.0
    assert all(c.embedding_model == "local:multilingual-e5-small-q4" for c in chunks)
    assert TranscriptSource.objects.get(pk=body["uploadId"]).status == "done"


def test_admin_uploads_json_content(admin_client_api, video, django_capture_on_commit_callbacks):
    content = '[{"text": "שלום", "startTime": 0, "endTime": 4}]'
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_api.post(
            transcript_url(video), {"content": content, "format": "json"}, format="json"
        )
    assert response.status_code == 202
    assert TranscriptChunk.objects.get(video=video).text == "שלום"


def test_who_may_upload(api_client, student_client, other_instructor_client, video):
    assert _upload(api_client, video).status_code == 401
    response = _upload(student_client, video)
    assert response.status_code == 403
    assert response.json()["code"] == "not_course_owner"
    assert _upload(other_instructor_client, video).status_code == 403
    assert TranscriptSource.objects.count() == 0


def test_malformed_upload_names_the_line_and_stores_nothing(instructor_client, video):
    bad = "WEBVTT\n\n00:00.000 --> 00:05.000\nok\n\n00:06.000 -> 00:08.000\nbroken\n"
    response = _upload(instructor_client, video, content=bad)
    assert response.status_code == 400
    assert response.json()["code"] == "transcript_invalid"
    assert "6" in response.json()["error"]
    video.refresh_from_db()
    assert video.transcript_status == "none"
    assert TranscriptSource.objects.count() == 0


def test_upload_needs_exactly_one_of_file_or_content(instructor_client, video):
    response = instructor_client.post(transcript_url(video), {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_too_large_upload_is_refused(instructor_client, video):
    with override_settings(RAG_TRANSCRIPT_MAX_BYTES=100):
        response = _upload(instructor_client, video)
    assert response.status_code == 413


def test_same_transcript_again_changes_nothing(
    instructor_client, video, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _upload(instructor_client, video)
    before = list(TranscriptChunk.objects.filter(video=video).values_list("id", "content_hash"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = _upload(instructor_client, video)
    assert again.status_code == 200
    assert again.json()["uploadId"] == first.json()["uploadId"]
    assert callbacks == []
    after = list(TranscriptChunk.objects.filter(video=video).values_list("id", "content_hash"))
    assert before == after
    assert TranscriptSource.objects.count() == 1


def test_a_new_version_replaces_the_old_chunks(
    instructor_client, video, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _upload(instructor_client, video)
    srt = "1\n00:00:00,000 --> 00:00:07,000\nגרסה חדשה של ההרצאה\n"  # noqa: RUF001
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(instructor_client, video, content=srt, name="v2.srt")
    assert response.status_code == 202
    texts = list(TranscriptChunk.objects.filter(video=video).values_list("text", flat=True))
    assert texts == ["גרסה חדשה של ההרצאה"]


def test_a_failed_ingest_keeps_the_previous_version(
    instructor_client, video, django_capture_on_commit_callbacks, fake_openai
):
    from testing.fake_openai_embeddings import server_error

    with django_capture_on_commit_callbacks(execute=True):
        _upload(instructor_client, video)
    before = list(TranscriptChunk.objects.filter(video=video).values_list("id", flat=True))
    fake_openai.fail_next(*[server_error(500)] * 100)
    srt = "1\n00:00:00,000 --> 00:00:07,000\nגרסה חדשה\n"  # noqa: RUF001
    with (
        override_settings(CELERY_TASK_EAGER_PROPAGATES=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = _upload(instructor_client, video, content=srt, name="v2.srt")
    assert response.status_code == 202
    video.refresh_from_db()
    assert video.transcript_status == "failed"
    assert "OpenAI embeddings failed" in video.transcript_error
    after = list(TranscriptChunk.objects.filter(video=video).values_list("id", flat=True))
    assert after == before
    assert TranscriptSource.objects.get(pk=response.json()["uploadId"]).status == "failed"


def test_a_transient_failure_before_the_last_attempt_leaves_the_video_pending(
    instructor_client, video, django_capture_on_commit_callbacks, fake_openai
):
    """The task will retry: the learner-facing status must not flash "failed" meanwhile."""
    from rag.providers import EmbeddingError
    from rag.services import transcript_ingest
    from testing.fake_openai_embeddings import server_error

    with django_capture_on_commit_callbacks(execute=True):
        _upload(instructor_client, video)
    before = list(TranscriptChunk.objects.filter(video=video).values_list("id", flat=True))
    source = TranscriptSource.objects.create(
        video=video, format="srt", filename="v2.srt", content_hash="v2",
        content="1\n00:00:00,000 --> 00:00:07,000\nגרסה חדשה\n",  # noqa: RUF001
    )  # fmt: skip
    fake_openai.fail_next(*[server_error(503)] * 100)
    with pytest.raises(EmbeddingError):
        transcript_ingest(source_id=source.pk, will_retry=True)
    video.refresh_from_db()
    source.refresh_from_db()
    assert (video.transcript_status, source.status) == ("pending", "pending")
    assert "OpenAI embeddings failed" in video.transcript_error
    assert list(TranscriptChunk.objects.filter(video=video).values_list("id", flat=True)) == before
    # the last attempt: failed, for good
    with pytest.raises(EmbeddingError):
        transcript_ingest(source_id=source.pk, will_retry=False)
    video.refresh_from_db()
    assert video.transcript_status == "failed"
