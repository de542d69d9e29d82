"""A transcript outside the upload: its VTT export and round trip, its progress on the video
API, and a recording added in the admin."""

from pathlib import Path

import pytest

from courses.models import TranscriptStatus
from courses.tests.factories import CourseFactory, VideoFactory
from rag.models import TranscriptChunk, TranscriptSource
from rag.tests.recordings.helpers import tone_wav, transcript_url

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.mark.parametrize(
    "name", ["youtube_auto_en.vtt", "youtube_auto_he.vtt", "editor_en.srt", "editor_he.vtt"]
)
def test_ingest_export_ingest_changes_nothing(
    instructor_client,
    api_client,
    video,
    name,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    with (FIXTURES / name).open("rb") as file, django_capture_on_commit_callbacks(execute=True):
        first = instructor_client.post(transcript_url(video), {"file": file}, format="multipart")
    assert first.status_code == 202, first.json()
    chunks = list(
        TranscriptChunk.objects.filter(video=video).values_list("pk", "content_hash", "text")
    )
    with django_assert_max_num_queries(2):  # the video with its visibility, the source
        exported = api_client.get(transcript_url(video, ".vtt"))
    assert exported.status_code == 200
    assert exported["Content-Type"] == "text/vtt; charset=utf-8"
    assert exported.content.startswith(b"WEBVTT\n")
    with django_capture_on_commit_callbacks(execute=True):
        again = instructor_client.post(
            transcript_url(video),
            {"content": exported.content.decode(), "format": "vtt"},
            format="json",
        )
    assert again.status_code == 202
    latest = TranscriptSource.objects.filter(video=video).order_by("-created_at").first()
    assert latest is not None
    assert latest.status == TranscriptSource.Status.UNCHANGED
    assert (
        list(TranscriptChunk.objects.filter(video=video).values_list("pk", "content_hash", "text"))
        == chunks
    )
    assert api_client.get(transcript_url(video, ".vtt")).content == exported.content


def test_vtt_export_errors(api_client, video, instructor):
    missing = api_client.get(transcript_url(video, ".vtt"), HTTP_ACCEPT="text/vtt")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"
    assert missing.json()["code"] == "transcript_missing"
    hidden = VideoFactory(course=CourseFactory(owner=instructor, is_published=False))
    assert api_client.get(transcript_url(hidden, ".vtt")).status_code == 404


def test_video_api_shows_transcript_progress(api_client, video):
    video.transcript_status = TranscriptStatus.PROCESSING
    video.transcript_progress = 40
    video.save()
    body = api_client.get(f"/api/videos/{video.pk}").json()
    assert (body["transcriptStatus"], body["transcriptProgress"]) == ("processing", 40)


def test_admin_accepts_a_recording(
    client, instructor, video, tmp_path, fake_openai, django_capture_on_commit_callbacks
):
    instructor.is_staff = True
    instructor.save()
    client.force_login(instructor)
    recording = tone_wav(tmp_path, 2.0, "lecture.wav")
    with recording.open("rb") as file, django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/rag/transcriptsource/add/", {"video": str(video.pk), "file": file}
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    video.refresh_from_db()
    assert video.transcript_status == TranscriptStatus.READY
    page = client.get(f"/admin/courses/video/{video.pk}/change/").content.decode()
    assert "100%" in page
