"""The ingest task on a real Celery worker, through the Redis broker (CELERY_BROKER_URL)."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from courses.tests.factories import CourseFactory, VideoFactory
from learnwithavi.celery import app
from rag.models import TranscriptChunk, TranscriptSource
from rag.tests.conftest import VTT
from testing.fake_openai_embeddings import FakeOpenAIEmbeddings, server_error
from testing.waiting import wait_for
from testing.workers import start_worker, worker_env


@pytest.mark.broker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_upload_is_ingested_by_a_real_worker_that_retries(instructor_client, instructor):
    queue = f"rag-test-{uuid.uuid4().hex[:8]}"
    video = VideoFactory(course=CourseFactory(owner=instructor))
    with FakeOpenAIEmbeddings() as fake:
        # The first attempt of the task exhausts the provider's five tries: the task must retry.
        fake.fail_next(*[server_error(503)] * 5)
        env = worker_env(
            queue,
            OPENAI_API_KEY="sk-test-worker",
            OPENAI_BASE_URL=fake.base_url,
            RAG_EMBEDDING_BACKOFF="0.01",
        )
        worker = start_worker(env, queue=queue)
        eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
        app.conf.task_always_eager = False
        app.conf.task_default_queue = queue
        try:
            file = SimpleUploadedFile("lecture.vtt", VTT.encode())
            response = instructor_client.post(
                f"/api/videos/{video.pk}/transcript", {"file": file}, format="multipart"
            )
            assert response.status_code == 202
            source_id = response.json()["uploadId"]

            seen: set[str] = set()

            def done():
                # The first run fails, the retry succeeds: meanwhile the video stays pending.
                seen.add(video.__class__.objects.get(pk=video.pk).transcript_status)
                return TranscriptSource.objects.get(pk=source_id).status == "done"

            assert wait_for(done, seconds=90, poll=0.2), "the worker did not finish the job"
        finally:
            app.conf.task_always_eager = eager
            app.conf.task_default_queue = default_queue
            worker.terminate()
            worker.wait(20)
        source = TranscriptSource.objects.get(pk=source_id)
        assert source.status == "done", source.error
        video.refresh_from_db()
        assert video.transcript_status == "ready"
        assert "failed" not in seen, seen
        chunks = TranscriptChunk.objects.filter(video=video)
        assert chunks.exists()
        assert {c.embedding_model for c in chunks} == {"openai:text-embedding-3-small"}
        # five failed tries in the first run of the task, then the retried run succeeded
        assert len(fake.embedding_requests) >= 6


@pytest.mark.broker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_recording_is_transcribed_by_a_real_worker_showing_progress(
    instructor_client, instructor, tmp_path
):
    from rag.tests.recordings.helpers import FakeOpenAI, tone_wav
    from testing.fake_openai_audio import API_KEY

    queue = f"rag-test-{uuid.uuid4().hex[:8]}"
    video = VideoFactory(course=CourseFactory(owner=instructor))
    recordings = tmp_path / "recordings"
    with FakeOpenAI() as fake:
        fake.transcript.duration = 10.0
        env = worker_env(
            queue,
            OPENAI_API_KEY=API_KEY,
            OPENAI_BASE_URL=f"{fake.base_url}/v1",
            RAG_RECORDING_DIR=str(recordings),
            RAG_RECORDING_PIECE_SECONDS="10",
        )
        worker = start_worker(env, queue=queue)
        eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
        app.conf.task_always_eager = False
        app.conf.task_default_queue = queue
        try:
            # Three pieces of 25 s (a tone has no pause: each runs to its 15 s of grace).
            recording = tone_wav(tmp_path, 75.0)
            with (
                override_settings(RAG_RECORDING_DIR=str(recordings)),
                recording.open("rb") as file,
            ):
                response = instructor_client.post(
                    f"/api/videos/{video.pk}/transcript", {"file": file}, format="multipart"
                )
            assert response.status_code == 202, response.json()
            source_id = response.json()["uploadId"]
            seen: set[tuple[str, int]] = set()

            def done():
                row = video.__class__.objects.get(pk=video.pk)
                seen.add((row.transcript_status, row.transcript_progress))
                return TranscriptSource.objects.get(pk=source_id).status in ("done", "failed")

            assert wait_for(done, seconds=120, poll=0.05), "the worker did not finish the job"
        finally:
            app.conf.task_always_eager = eager
            app.conf.task_default_queue = default_queue
            worker.terminate()
            worker.wait(20)
    source = TranscriptSource.objects.get(pk=source_id)
    assert source.status == "done", source.error
    assert fake.transcription_count == 3
    video.refresh_from_db()
    assert (video.transcript_status, video.transcript_progress) == ("ready", 100)
    # The progress was visible while the worker went through the pieces.
    assert {progress for status, progress in seen if status == "processing"} & {30, 60}, seen
    assert not any(recordings.iterdir())
