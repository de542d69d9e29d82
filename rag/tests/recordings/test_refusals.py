"""Recordings refused before anything is stored: over a cap, damaged, or no recording at all,
by the API, `manage.py ingest` and the admin."""

import pytest
from django.core.management import call_command

from rag.models import TranscriptSource
from rag.tests.recordings.helpers import tone_wav, upload

pytestmark = pytest.mark.django_db


def test_a_recording_over_the_size_cap_is_refused_early(
    instructor_client, video, tmp_path, settings, recordings_dir
):
    settings.RAG_RECORDING_MAX_BYTES = 100 * 1024
    response = upload(instructor_client, video, tone_wav(tmp_path, 10.0))  # 320 KB
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "recording_too_large"
    assert set(body) >= {"error", "code", "timestamp"}
    assert not TranscriptSource.objects.exists()


def test_a_recording_over_the_duration_cap_is_refused(
    instructor_client, video, tmp_path, settings, recordings_dir
):
    settings.RAG_RECORDING_MAX_SECONDS = 5
    response = upload(instructor_client, video, tone_wav(tmp_path, 10.0))
    assert response.status_code == 400
    assert response.json()["code"] == "recording_too_long"
    assert not TranscriptSource.objects.exists()
    assert not recordings_dir.exists() or not any(recordings_dir.iterdir())


def test_a_damaged_recording_is_refused(instructor_client, video, tmp_path, recordings_dir):
    path = tmp_path / "cut.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)
    response = upload(instructor_client, video, path)
    assert response.status_code == 400
    assert response.json()["code"] == "recording_unreadable"


def test_a_binary_file_that_is_no_recording_is_refused(instructor_client, video, tmp_path):
    path = tmp_path / "slides.pdf"
    path.write_bytes(b"%PDF-1.7\n\xff\xfe binary")
    response = upload(instructor_client, video, path)
    assert response.status_code == 400
    assert response.json()["code"] == "transcript_encoding"


def test_ingest_command_refuses_a_recording_over_the_cap(video, tmp_path, fake_openai, settings):
    settings.RAG_RECORDING_MAX_SECONDS = 1
    recording = tone_wav(tmp_path, 2.0, "lecture.wav")
    with pytest.raises(Exception, match="1 of 1"):
        call_command("ingest", str(recording), "--video", video.youtube_id, "--sync", verbosity=0)
    assert not TranscriptSource.objects.exists()


@pytest.mark.parametrize(("language", "message"), [("en", "too long"), ("he", "ארוכה מדי")])
def test_admin_refuses_a_recording_over_the_duration_cap(
    client, instructor, video, tmp_path, settings, recordings_dir, language, message
):
    settings.RAG_RECORDING_MAX_SECONDS = 1
    instructor.is_staff = True
    instructor.save()
    client.force_login(instructor)
    with tone_wav(tmp_path, 3.0).open("rb") as file:
        response = client.post(
            "/admin/rag/transcriptsource/add/",
            {"video": str(video.pk), "file": file},
            HTTP_ACCEPT_LANGUAGE=language,
        )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TranscriptSource.objects.exists()
