"""Lectures that are only a recording: upload, transcribe (local model or OpenAI), find by search.

Recordings are made here: espeak-ng speaks, sox pads with silence and joins. The OpenAI path
runs the real SDK against the fake audio server (which also serves the embeddings).
"""

import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from courses.models import Language, TranscriptStatus
from courses.tests.factories import CourseFactory, VideoFactory
from rag.models import TranscriptChunk, TranscriptSource
from rag.providers import _build
from rag.tests.conftest import VTT
from testing.fake_http import RecordedRequest, Reply
from testing.fake_openai_audio import API_KEY, FakeOpenAIAudio
from testing.fake_openai_embeddings import FakeOpenAIEmbeddings
from voice.providers import _openai
from voice.tests.audio_files import FORMATS, tone
from voice.whisper_model import whisper_model_prepare

pytestmark = pytest.mark.django_db


def transcript_url(video, suffix=""):
    return f"/api/videos/{video.pk}/transcript{suffix}"


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603  our own arguments


def speech(
    directory: Path, parts: list[str | float], name: str = "lecture.ogg"
) -> tuple[Path, list[float]]:
    """A recording: each string spoken by espeak-ng (English), each number seconds of silence.

    Returns the file and the second at which each spoken part starts.
    """
    pieces, starts = [], []
    elapsed = 0.0
    for index, part in enumerate(parts):
        piece = directory / f"part-{index}.wav"
        if isinstance(part, str):
            spoken = directory / f"spoken-{index}.wav"
            _run("espeak-ng", "-v", "en-us", "-s", "150", "-w", str(spoken), part)
            _run("sox", str(spoken), "-r", "16000", "-c", "1", str(piece))
            starts.append(elapsed)
        else:
            _run("sox", "-n", "-r", "16000", "-c", "1", str(piece), "trim", "0", str(part))
        pieces.append(str(piece))
        length = subprocess.check_output(["soxi", "-D", str(piece)])  # noqa: S603, S607
        elapsed += float(length)
    path = directory / name
    _run("sox", *pieces, str(path))
    return path, starts


def tone_wav(directory: Path, seconds: float, name: str = "tone.wav") -> Path:
    """`seconds` of a quiet tone (sox): audio that needs no real speech."""
    path = directory / name
    _run("sox", "-n", "-r", "16000", "-c", "1", str(path), "synth", str(seconds), "sine", "300")
    return path


@pytest.fixture
def video(instructor):
    course = CourseFactory(owner=instructor, language=Language.ENGLISH)
    return VideoFactory(course=course, duration=600)


@pytest.fixture
def recordings_dir(tmp_path, settings):
    settings.RAG_RECORDING_DIR = str(tmp_path / "recordings")
    return Path(settings.RAG_RECORDING_DIR)


@pytest.fixture
def local_whisper(settings, recordings_dir):
    """The local Whisper base model, prepared as the voice tests prepare it (var/whisper-base)."""
    settings.WHISPER_MODEL_DIR = str(whisper_model_prepare())
    settings.OPENAI_API_KEY = ""
    return settings


class FakeOpenAI(FakeOpenAIAudio):
    """OpenAI's audio and embeddings endpoints on one server, as the real base URL serves both."""

    def __init__(self) -> None:
        super().__init__()
        self.embeddings = FakeOpenAIEmbeddings()  # only its handler is used

    def handle(self, request: RecordedRequest) -> Reply:
        if request.path.rstrip("/").endswith("/embeddings"):
            return self.embeddings.handle(request)
        return super().handle(request)


@pytest.fixture
def fake_openai(settings, recordings_dir):
    with FakeOpenAI() as fake:
        settings.OPENAI_API_KEY = API_KEY
        settings.OPENAI_BASE_URL = f"{fake.base_url}/v1"
        settings.WHISPER_MODEL_DIR = ""
        _build.cache_clear()
        _openai.cache_clear()
        fake.transcript.words = [
            ("Backpropagation", 0.5, 1.2),
            ("computes", 1.2, 1.6),
            ("gradients.", 1.6, 2.2),
            ("Momentum", 3.0, 3.5),
            ("helps.", 3.5, 4.0),
        ]
        fake.transcript.duration = 10.0
        yield fake
    _build.cache_clear()
    _openai.cache_clear()


def _upload(client, video, path: Path, **headers):
    with path.open("rb") as file:
        return client.post(transcript_url(video), {"file": file}, format="multipart", **headers)


# --- The local model -------------------------------------------------------------------------


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
        response = _upload(instructor_client, video, recording)
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


# --- OpenAI, in pieces under its 25 MB limit --------------------------------------------------


def test_openai_transcribes_a_long_recording_in_several_requests(
    instructor_client, video, tmp_path, fake_openai, settings, django_capture_on_commit_callbacks
):
    settings.RAG_RECORDING_PIECE_SECONDS = 10
    recording = tone_wav(tmp_path, 40.0)
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(instructor_client, video, recording)
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
    _run("sox", "-n", "-r", "16000", "-c", "1", str(silence), "trim", "0", "2")
    recording = tmp_path / "joined.wav"
    _run("sox", str(tone), str(silence), str(tone), str(recording))
    with django_capture_on_commit_callbacks(execute=True):
        assert _upload(instructor_client, video, recording).status_code == 202
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
        assert _upload(instructor_client, video, recording).status_code == 202
    chunk_ids = list(TranscriptChunk.objects.filter(video=video).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = _upload(instructor_client, video, recording)
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
        _upload(instructor_client, video, recording)
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
        _upload(instructor_client, video, tone_wav(tmp_path, 1.0), HTTP_ACCEPT_LANGUAGE="en")
    video.refresh_from_db()
    assert video.transcript_status == TranscriptStatus.FAILED
    assert "Speech recognition is not available" in video.transcript_error


# --- Caps, refused before anything is stored ---------------------------------------------------


def test_a_recording_over_the_size_cap_is_refused_early(
    instructor_client, video, tmp_path, settings, recordings_dir
):
    settings.RAG_RECORDING_MAX_BYTES = 100 * 1024
    response = _upload(instructor_client, video, tone_wav(tmp_path, 10.0))  # 320 KB
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "recording_too_large"
    assert set(body) >= {"error", "code", "timestamp"}
    assert not TranscriptSource.objects.exists()


def test_a_recording_over_the_duration_cap_is_refused(
    instructor_client, video, tmp_path, settings, recordings_dir
):
    settings.RAG_RECORDING_MAX_SECONDS = 5
    response = _upload(instructor_client, video, tone_wav(tmp_path, 10.0))
    assert response.status_code == 400
    assert response.json()["code"] == "recording_too_long"
    assert not TranscriptSource.objects.exists()
    assert not recordings_dir.exists() or not any(recordings_dir.iterdir())


def test_a_damaged_recording_is_refused(instructor_client, video, tmp_path, recordings_dir):
    path = tmp_path / "cut.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)
    response = _upload(instructor_client, video, path)
    assert response.status_code == 400
    assert response.json()["code"] == "recording_unreadable"


def test_a_binary_file_that_is_no_recording_is_refused(instructor_client, video, tmp_path):
    path = tmp_path / "slides.pdf"
    path.write_bytes(b"%PDF-1.7\n\xff\xfe binary")
    response = _upload(instructor_client, video, path)
    assert response.status_code == 400
    assert response.json()["code"] == "transcript_encoding"


# --- The VTT export and its round trip ---------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures"


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


# --- manage.py ingest and the admin ------------------------------------------------------------


def test_ingest_command_transcribes_a_recording(video, tmp_path, fake_openai):
    recording = tone_wav(tmp_path, 2.0, "lecture.wav")
    call_command("ingest", str(recording), "--video", video.youtube_id, "--sync", verbosity=0)
    source = TranscriptSource.objects.get(video=video)
    assert (source.format, source.status, source.transcribed_by) == ("rec", "done", "openai")
    assert TranscriptChunk.objects.filter(video=video).exists()


def test_ingest_command_refuses_a_recording_over_the_cap(video, tmp_path, fake_openai, settings):
    settings.RAG_RECORDING_MAX_SECONDS = 1
    recording = tone_wav(tmp_path, 2.0, "lecture.wav")
    with pytest.raises(Exception, match="1 of 1"):
        call_command("ingest", str(recording), "--video", video.youtube_id, "--sync", verbosity=0)
    assert not TranscriptSource.objects.exists()


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
        response = _upload(instructor_client, video, recording)
    assert response.status_code == 202, response.json()
    assert fake_openai.transcription_count == 1
    video.refresh_from_db()
    assert video.transcript_status == TranscriptStatus.READY
