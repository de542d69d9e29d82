"""Lectures that are only a recording: transcribed (local model or OpenAI, in pieces), then
found by search. The OpenAI path runs the real SDK against the fake audio server (which also
serves the embeddings).
"""

from pathlib import Path

import pytest
from django.core.management import call_command

from courses.models import TranscriptStatus
from rag.models import TranscriptChunk, TranscriptSource
from rag.tests.conftest import VTT
from rag.tests.recordings.helpers import run_command, speech, tone_wav, transcript_url, upload
from voice.tests.audio_files import FORMATS, tone

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_a_recording_is_transcribed_locally_and_found_at_the_right_second(
    api_client,
    instructor_client,
    video,
    tmp_path,
    local_whisper,
    django_capture_on_commit_callbacks,
):
    # A minute of silence between the sentences puts them in separate chunks (at most 60 s).
    recording, starts = speech(
        tmp_path,
        [
            1.0,
            "Welcome to the second lecture about neural networks.",
            62.0,
            "The learning rate controls the size of every gradient step.",
            1.0,
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(instructor_client, video, recording)
    assert response.status_code == 202, response.json()
    assert response.json()["format"] == "rec"
    video.refresh_from_db()
    assert video.transcript_status == TranscriptStatus.READY
    assert video.transcript_progress == 100
    source = TranscriptSource.objects.get(video=video)
    assert source.status == TranscriptSource.Status.DONE
    assert source.transcribed_by == "faster-whisper"
    assert source.language == "en"
    assert source.recording_path == ""  # the recording is deleted once transcribed
    assert not any(Path(local_whisper.RAG_RECORDING_DIR).iterdir())

    hits = api_client.get(
        "/api/search", {"q": "learning rate", "video": str(video.pk), "k": 1}
    ).json()["hits"]
    assert "learning rate" in hits[0]["text"].lower()
    assert "neural" not in hits[0]["text"].lower()
    assert abs(hits[0]["startTime"] - starts[1]) <= 1.5, (hits[0], starts)
    assert hits[0]["url"].endswith(f"&t={int(hits[0]['startTime'])}s")
    vtt = api_client.get(transcript_url(video, ".vtt"))
    assert vtt.status_code == 200
    assert "learning" in vtt.content.decode().lower()


def test_openai_transcribes_a_long_recording_in_several_requests(
    instructor_client, video, tmp_path, fake_openai, settings, django_capture_on_commit_callbacks
):
    settings.RAG_RECORDING_PIECE_SECONDS = 10
    recording = tone_wav(tmp_path, 40.0)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(instructor_client, video, recording)
    assert response.status_code == 202
    # Pieces of 10 s, but a tone has no pause: the first runs to its 15 s of grace (25 s).
    assert fake_openai.transcription_count == 2
    assert all(len(upload.file) < 25 * 1024 * 1024 for upload in fake_openai.uploads)
    assert all(
        upload.fields["timestamp_granularities[]"] == ["segment", "word"]
        for upload in fake_openai.uploads
    )
    # The first piece detects the language; the next ones are sent in it.
    assert "language" not in fake_openai.uploads[0].fields
    assert fake_openai.uploads[1].fields["language"] == ["en"]
    video.refresh_from_db()
    assert (video.transcript_status, video.transcript_progress) == ("ready", 100)
    chunks = list(TranscriptChunk.objects.filter(video=video).order_by("position"))
    text = " ".join(chunk.text for chunk in chunks)
    assert text.count("Backpropagation") == 2
    # Each piece's words are shifted by where the piece starts (0 s, then 25 s).
    body = instructor_client.get(transcript_url(video, ".vtt")).content.decode()
    assert "00:00:00.500 --> " in body
    starts = [line.split(" --> ")[0] for line in body.splitlines() if " --> " in line]
    # (a piece ends on a decoded frame's boundary, a few ms past the 25 s)
    assert any(start.startswith("00:00:25.5") for start in starts)
    assert chunks[0].embedding_model.startswith("openai:")


def test_pieces_are_cut_in_a_pause(
    instructor_client, video, tmp_path, fake_openai, settings, django_capture_on_commit_callbacks
):
    settings.RAG_RECORDING_PIECE_SECONDS = 4
    tone = tone_wav(tmp_path, 6.0, "a.wav")
    silence = tmp_path / "silence.wav"
    run_command("sox", "-n", "-r", "16000", "-c", "1", str(silence), "trim", "0", "2")
    recording = tmp_path / "joined.wav"
    run_command("sox", str(tone), str(silence), str(tone), str(recording))
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(instructor_client, video, recording).status_code == 202
    body = instructor_client.get(transcript_url(video, ".vtt")).content.decode()
    # The tone runs to 6 s, so the first piece ends in the pause just after it, and the second
    # piece's first word (0.5 s into it) is at 6.5 s: two captions per piece.
    assert fake_openai.transcription_count == 2
    second = [line for line in body.splitlines() if " --> " in line][2]
    assert second.startswith("00:00:06.5")


def test_the_same_recording_again_is_a_no_op(
    instructor_client, video, tmp_path, fake_openai, django_capture_on_commit_callbacks
):
    recording = tone_wav(tmp_path, 3.0)
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(instructor_client, video, recording).status_code == 202
    chunk_ids = list(TranscriptChunk.objects.filter(video=video).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = upload(instructor_client, video, recording)
    assert again.status_code == 200
    assert callbacks == []
    assert fake_openai.transcription_count == 1
    assert TranscriptSource.objects.filter(video=video).count() == 1
    assert list(TranscriptChunk.objects.filter(video=video).values_list("pk", flat=True)) == (
        chunk_ids
    )


def test_a_failed_transcription_keeps_the_previous_transcript_and_records_the_error(
    instructor_client, video, tmp_path, fake_openai, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        instructor_client.post(transcript_url(video), {"content": VTT, "format": "vtt"})
    before = list(TranscriptChunk.objects.filter(video=video).values_list("pk", "text"))
    assert before
    settings.RAG_RECORDING_PIECE_SECONDS = 10
    fake_openai.fail_after = 1  # the second piece's request fails
    recording = tone_wav(tmp_path, 50.0)
    with (
        pytest.raises(Exception, match="openai: unavailable"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        upload(instructor_client, video, recording)
    video.refresh_from_db()
    assert video.transcript_status == TranscriptStatus.FAILED
    assert "openai: unavailable" in video.transcript_error
    assert video.transcript_progress == 45  # one 25 s piece of 50 s, of the 90 % transcription
    assert list(TranscriptChunk.objects.filter(video=video).values_list("pk", "text")) == before
    failed = TranscriptSource.objects.get(video=video, format="rec")
    assert failed.status == TranscriptSource.Status.FAILED
    assert failed.recording_path == ""
    body = instructor_client.get(transcript_url(video)).json()
    assert body["transcriptStatus"] == "failed"
    assert body["transcriptProgress"] == 45
    vtt = instructor_client.get(transcript_url(video, ".vtt")).content.decode()
    assert "ירידה בגרדיאנט" in vtt


def test_no_speech_provider_fails_clearly(
    instructor_client, video, tmp_path, settings, recordings_dir, django_capture_on_commit_callbacks
):
    settings.OPENAI_API_KEY = ""
    settings.WHISPER_MODEL_DIR = ""
    with (
        pytest.raises(Exception, match="not available"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        upload(instructor_client, video, tone_wav(tmp_path, 1.0), HTTP_ACCEPT_LANGUAGE="en")
    video.refresh_from_db()
    assert video.transcript_status == TranscriptStatus.FAILED
    assert "Speech recognition is not available" in video.transcript_error


@pytest.mark.parametrize("name", ["mp3", "m4a", "ogg", "webm", "flac", "mkv"])
def test_every_accepted_format_is_transcribed(
    instructor_client,
    video,
    tmp_path,
    fake_openai,
    name,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    if name == "mkv":  # a video container (Matroska) whose sound track is Opus
        monkeypatch.setitem(FORMATS, "mkv", ("matroska", "libopus", 48000, ".mkv"))
    recording = tone(tmp_path, name, seconds=2.0)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(instructor_client, video, recording)
    assert response.status_code == 202, response.json()
    assert fake_openai.transcription_count == 1
    video.refresh_from_db()
    assert video.transcript_status == TranscriptStatus.READY


def test_ingest_command_transcribes_a_recording(video, tmp_path, fake_openai):
    recording = tone_wav(tmp_path, 2.0, "lecture.wav")
    call_command("ingest", str(recording), "--video", video.youtube_id, "--sync", verbosity=0)
    source = TranscriptSource.objects.get(video=video)
    assert (source.format, source.status, source.transcribed_by) == ("rec", "done", "openai")
    assert TranscriptChunk.objects.filter(video=video).exists()
