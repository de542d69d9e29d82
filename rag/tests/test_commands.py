import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from courses.models import Video
from courses.tests.factories import CourseFactory, VideoFactory
from rag.models import TranscriptChunk
from rag.providers import _build
from rag.tests.conftest import VTT

pytestmark = pytest.mark.django_db

SRT = "1\n00:00:00,000 --> 00:00:05,000\nמבוא קצר\n"  # noqa: RUF001


def _run(*args):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), verbosity=0)
    return out.getvalue()


def test_ingest_files_into_a_video_inline(tmp_path):
    video = VideoFactory(youtube_id="cmdVideo001")
    path = tmp_path / "lecture.vtt"
    path.write_text(VTT, encoding="utf-8")
    output = _run("ingest", str(path), "--video", "cmdVideo001", "--sync")
    assert "1 transcripts ingested" in output
    video.refresh_from_db()
    assert video.transcript_status == "ready"
    assert TranscriptChunk.objects.filter(video=video).exists()


def test_ingest_without_sync_goes_through_the_task(tmp_path, django_capture_on_commit_callbacks):
    video = VideoFactory(youtube_id="cmdVideo002")
    path = tmp_path / "a.srt"
    path.write_text(SRT, encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _run("ingest", str(path), "--video", "cmdVideo002")
    assert len(callbacks) == 1
    assert TranscriptChunk.objects.get(video=video).text == "מבוא קצר"


def test_ingest_a_directory_with_a_manifest(tmp_path):
    a, b = VideoFactory(youtube_id="cmdVideo003"), VideoFactory(youtube_id="cmdVideo004")
    (tmp_path / "one.vtt").write_text(VTT, encoding="utf-8")
    (tmp_path / "two.srt").write_text(SRT, encoding="utf-8")
    (tmp_path / "manifest.json").write_text(
        json.dumps({"one.vtt": "cmdVideo003", "two.srt": "cmdVideo004"})
    )
    _run("ingest", str(tmp_path), "--sync")
    assert TranscriptChunk.objects.filter(video=a).count() >= 1
    assert TranscriptChunk.objects.get(video=b).text == "מבוא קצר"


def test_ingest_a_course_directory_by_file_names(tmp_path):
    course = CourseFactory(slug="cmd-course")
    video = VideoFactory(course=course, youtube_id="cmdVideo005")
    (tmp_path / "cmdVideo005.srt").write_text(SRT, encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored")
    _run("ingest", str(tmp_path), "--course", "cmd-course", "--sync")
    assert TranscriptChunk.objects.filter(video=video).count() == 1


def test_ingest_errors_are_clear(tmp_path):
    VideoFactory(youtube_id="cmdVideo006")
    bad = tmp_path / "bad.srt"
    bad.write_text("1\n00:00:05,000 --> 00:00:01,000\nbackwards\n", encoding="utf-8")
    with pytest.raises(CommandError, match="No video with YouTube id 'nope'"):
        _run("ingest", str(bad), "--video", "nope")
    with pytest.raises(CommandError, match="give --course"):
        _run("ingest", str(tmp_path))
    with pytest.raises(CommandError, match="1 of 1 transcripts failed"):
        _run("ingest", str(bad), "--video", "cmdVideo006", "--sync")
    assert not TranscriptChunk.objects.exists()


def test_reembed_moves_the_corpus_to_the_active_model_resumably(fake_openai):
    from testing.fake_openai_embeddings import server_error

    video = Video.objects.get(pk=VideoFactory().pk)
    with override_settings(OPENAI_API_KEY=""):
        _build.cache_clear()
        texts = " ".join(f"[00:{i:02d}] sentence number {i} " + "word " * 40 for i in range(12))
        from rag.services import transcript_upload

        transcript_upload(video=video, content=texts, format="txt", run_inline=True)
    _build.cache_clear()
    total = TranscriptChunk.objects.filter(video=video).count()
    assert total >= 4
    # The provider dies after the first batch: what was done stays done.
    fake_openai.break_after(1, server_error(500))
    with pytest.raises(Exception, match="OpenAI embeddings failed"):
        _run("reembed", "--batch-size", "2")
    models = list(TranscriptChunk.objects.order_by("pk").values_list("embedding_model", flat=True))
    assert models[:2] == ["openai:text-embedding-3-small"] * 2
    assert models[2:] == ["local:multilingual-e5-small-q4"] * (total - 2)
    fake_openai.repair()
    output = _run("reembed", "--batch-size", "2")
    assert f"{total - 2} chunks re-embedded" in output
    assert set(TranscriptChunk.objects.values_list("embedding_model", flat=True)) == {
        "openai:text-embedding-3-small"
    }
    assert "already embedded" in _run("reembed")
