"""Ingest jobs under faults: the broker down at upload, a worker killed mid-job or before its ack.

Real parts: a Redis of the test's own as the broker (testing/faults.py), uploads through a
uvicorn server, real Celery worker processes killed with SIGKILL, and the fake OpenAI
embeddings server so that a job can be held mid-embedding.
"""

import shutil
import signal
import subprocess
import threading
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from courses.models import Video
from courses.tests.factories import CourseFactory, VideoFactory
from learnwithavi.celery import app
from learnwithavi.errors import BrokerUnavailable
from rag.chunking import chunk_cues
from rag.models import TranscriptChunk, TranscriptSource
from rag.parsers import parse_transcript
from rag.tests.conftest import VTT
from testing.fake_http import RecordedRequest, Reply
from testing.fake_openai_embeddings import FakeOpenAIEmbeddings
from testing.faults import RedisServer
from testing.servers import free_port, uvicorn_server
from testing.waiting import wait_for
from testing.workers import start_worker, worker_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs the redis-server binary"),
]

NEW_VTT = VTT.replace("Regularization keeps", "Dropout also keeps")


class HeldEmbeddings(FakeOpenAIEmbeddings):
    """Embeddings that wait for `release` once `hold` is set: a job caught mid-embedding."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = threading.Event()
        self.held = threading.Event()
        self.release = threading.Event()

    def handle(self, request: RecordedRequest) -> Reply:
        if self.hold.is_set() and not self.release.is_set():
            self.held.set()
            self.release.wait(30)
        return super().handle(request)


@pytest.fixture
def ready_video(instructor):
    from rag.services import transcript_upload

    video: Any = VideoFactory(course=CourseFactory(owner=instructor))
    transcript_upload(video=video, content=VTT, filename="old.vtt", run_inline=True)
    video.refresh_from_db()
    assert video.transcript_status == "ready"
    return video


def upload(base_url: str, video: Video, token: str, content: str = NEW_VTT) -> httpx.Response:
    return httpx.post(
        f"{base_url}/api/videos/{video.pk}/transcript",
        files={"file": ("lecture.vtt", content.encode(), "text/vtt")},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.kill()
    worker.wait(20)


def chunk_count(video: Video) -> int:
    return TranscriptChunk.objects.filter(video=video).count()


EXPECTED_CHUNKS = len(chunk_cues(parse_transcript(NEW_VTT, format="vtt")))


def test_an_upload_with_the_broker_down_is_refused_and_changes_nothing(ready_video, instructor):
    token = Token.objects.create(user=instructor).key
    before = (ready_video.transcript_status, ready_video.updated_at, chunk_count(ready_video))
    with RedisServer() as broker:
        queue = f"faults-{uuid.uuid4().hex[:8]}"
        env = {"CELERY_BROKER_URL": broker.url(0), "CELERY_TASK_DEFAULT_QUEUE": queue}
        with uvicorn_server(env) as base_url:
            broker.kill()

            response = upload(base_url, ready_video, token)

            assert response.status_code == 503, response.text
            assert response.json()["code"] == "broker_unavailable"
            assert set(response.json()) == {"error", "code", "timestamp"}
            assert TranscriptSource.objects.filter(video=ready_video).count() == 1
            ready_video.refresh_from_db()
            after = (ready_video.transcript_status, ready_video.updated_at)
            assert after == before[:2]
            assert chunk_count(ready_video) == before[2]

            broker.start()

            response = upload(base_url, ready_video, token)
            assert response.status_code == 202, response.text
            assert response.json()["transcriptStatus"] == "pending"
            # Queued exactly once, for the worker to take.
            assert redis.Redis.from_url(broker.url(0)).llen(queue) == 1


def test_a_worker_killed_mid_job_loses_nothing_the_job_is_delivered_again(ready_video, instructor):
    token = Token.objects.create(user=instructor).key
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    with RedisServer() as broker, HeldEmbeddings() as fake:
        env = {
            **worker_env(queue),
            "CELERY_BROKER_URL": broker.url(0),
            "OPENAI_API_KEY": "sk-test-worker",
            "OPENAI_BASE_URL": fake.base_url,
            # Delivered again two seconds after delivery, not after the hour of kombu's default.
            "CELERY_VISIBILITY_TIMEOUT": "2",
        }
        first = start_worker(env, queue=queue)
        second = None
        try:
            with uvicorn_server(env) as base_url:
                fake.hold.set()
                response = upload(base_url, ready_video, token)
                assert response.status_code == 202, response.text
                source_id = response.json()["uploadId"]

                assert fake.held.wait(60), "the worker did not start the job"
                ready_video.refresh_from_db()
                assert ready_video.transcript_status == "processing"
                first.send_signal(signal.SIGKILL)
                first.wait(10)
                fake.release.set()
                ready_video.refresh_from_db()
                assert ready_video.transcript_status == "processing"  # nobody is on it now

                second = start_worker(env, queue=queue)
                statuses: list[str] = []

                def finished() -> bool:
                    video = Video.objects.get(pk=ready_video.pk)
                    statuses.append(video.transcript_status)
                    return video.transcript_status not in ("pending", "processing")

                assert wait_for(finished, seconds=60, poll=0.2), statuses
        finally:
            fake.release.set()
            stop(first)
            if second is not None:
                stop(second)
    ready_video.refresh_from_db()
    assert ready_video.transcript_status == "ready", ready_video.transcript_error
    assert "failed" not in statuses
    source = TranscriptSource.objects.get(pk=source_id)
    assert source.status == "done", source.error
    assert source.chunk_count == EXPECTED_CHUNKS == chunk_count(ready_video)
    texts = TranscriptChunk.objects.filter(video=ready_video).values_list("text", flat=True)
    assert any("Dropout also keeps" in text for text in texts)


def test_a_job_delivered_again_after_its_swap_makes_one_version(ready_video, instructor, tmp_path):
    token = Token.objects.create(user=instructor).key
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    marker = tmp_path / "crashed"
    with RedisServer() as broker, FakeOpenAIEmbeddings() as fake:
        env = {
            **worker_env(queue),
            "CELERY_BROKER_URL": broker.url(0),
            "OPENAI_API_KEY": "sk-test-worker",
            "OPENAI_BASE_URL": fake.base_url,
            "CELERY_VISIBILITY_TIMEOUT": "2",
            "CRASH_AFTER_TASK_MARKER": str(marker),
        }
        crashing = start_worker(env, queue=queue, app_module="testing.crashing_worker")
        second = None
        try:
            with uvicorn_server(env) as base_url:
                response = upload(base_url, ready_video, token)
                assert response.status_code == 202, response.text
                source_id = response.json()["uploadId"]
            # The job swapped the chunks, then its worker died before acknowledging it.
            assert crashing.wait(60) == -signal.SIGKILL
            assert marker.exists()
            ready_video.refresh_from_db()
            assert ready_video.transcript_status == "ready"
            chunks_after_swap = set(
                TranscriptChunk.objects.filter(video=ready_video).values_list("pk", flat=True)
            )
            assert len(chunks_after_swap) == EXPECTED_CHUNKS
            client = redis.Redis.from_url(broker.url(0))
            assert client.hlen("unacked") == 1  # the message is still the broker's
            requests_after_swap = len(fake.embedding_requests)

            second = start_worker(env, queue=queue, app_module="testing.crashing_worker")
            assert wait_for(
                lambda: client.hlen("unacked") == 0 and client.llen(queue) == 0, seconds=60
            ), "the job was not delivered again and acknowledged"
        finally:
            stop(crashing)
            if second is not None:
                stop(second)
    # The second run found the upload done: one version of the chunks, the same rows.
    chunks = set(TranscriptChunk.objects.filter(video=ready_video).values_list("pk", flat=True))
    assert chunks == chunks_after_swap
    assert TranscriptSource.objects.get(pk=source_id).status == "done"
    assert len(fake.embedding_requests) == requests_after_swap
    ready_video.refresh_from_db()
    assert ready_video.transcript_status == "ready"


def _stuck(video: Any, status: str, *, uploaded_ago: timedelta) -> TranscriptSource:
    source = TranscriptSource.objects.create(
        video=video, format="vtt", content=NEW_VTT, content_hash=uuid.uuid4().hex, status=status
    )
    long_ago = timezone.now() - timedelta(hours=2)
    TranscriptSource.objects.filter(pk=source.pk).update(created_at=timezone.now() - uploaded_ago)
    Video.objects.filter(pk=video.pk).update(transcript_status=status, updated_at=long_ago)
    return source


def test_the_beat_sweep_requeues_lost_jobs_and_fails_hopeless_ones(instructor, settings):
    from rag.tasks import requeue_stuck_transcripts

    settings.RAG_INGEST_STUCK_AFTER = 600
    settings.RAG_INGEST_GIVE_UP_AFTER = 3600
    course = CourseFactory(owner=instructor)
    lost = _stuck(VideoFactory(course=course), "processing", uploaded_ago=timedelta(minutes=30))
    hopeless = _stuck(VideoFactory(course=course), "pending", uploaded_ago=timedelta(hours=3))
    orphan = VideoFactory(course=course)
    Video.objects.filter(pk=orphan.pk).update(
        transcript_status="pending", updated_at=timezone.now() - timedelta(hours=1)
    )
    busy = VideoFactory(course=course)
    running = TranscriptSource.objects.create(
        video=busy, format="vtt", content=NEW_VTT, content_hash="x", status="processing"
    )
    Video.objects.filter(pk=busy.pk).update(transcript_status="processing")

    # Eager in tests: the re-queued job runs at once, after the sweep's commit.
    counts = requeue_stuck_transcripts.delay().get()

    assert counts == {"requeued": 1, "failed": 1, "settled": 1}
    lost.refresh_from_db()
    assert lost.status == "done"
    assert Video.objects.get(pk=lost.video_id).transcript_status == "ready"
    assert TranscriptChunk.objects.filter(video_id=lost.video_id).count() == EXPECTED_CHUNKS
    hopeless.refresh_from_db()
    assert hopeless.status == "failed"
    hopeless_video = Video.objects.get(pk=hopeless.video_id)
    assert hopeless_video.transcript_status == "failed"
    assert hopeless_video.transcript_error
    assert Video.objects.get(pk=orphan.pk).transcript_status == "failed"
    running.refresh_from_db()
    assert running.status == "processing"  # recent: it may still be running
    assert Video.objects.get(pk=busy.pk).transcript_status == "processing"

    assert requeue_stuck_transcripts.delay().get() == {"requeued": 0, "failed": 0, "settled": 0}


def test_beat_runs_the_sweep_and_the_broker_settings_fit_the_longest_task(settings):
    from rag.tasks import requeue_stuck_transcripts

    schedule = app.conf.beat_schedule["rag-requeue-stuck-transcripts"]
    assert schedule["task"] == requeue_stuck_transcripts.name
    assert schedule["task"] in app.tasks
    assert schedule["schedule"] == settings.RAG_INGEST_SWEEP_INTERVAL
    options = app.conf.broker_transport_options
    longest_hold = max(app.conf.task_time_limit, settings.CELERY_TASK_RETRY_BACKOFF_MAX)
    assert options["visibility_timeout"] > longest_hold
    assert app.conf.task_time_limit < settings.RAG_INGEST_STUCK_AFTER
    assert app.conf.task_acks_late
    assert app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1


@pytest.fixture
def dead_broker():
    """The test process publishes to a broker address where nothing listens."""
    names = ("task_always_eager", "broker_url", "broker_write_url")
    saved = {name: app.conf[name] for name in names}
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    app.conf.update(task_always_eager=False, broker_url=nowhere, broker_write_url=nowhere)
    app._after_fork()  # drop the cached connection and producer pools
    yield
    app.conf.update(saved)
    app._after_fork()


def test_an_admin_upload_with_the_broker_down_says_so_on_the_form(
    ready_video, instructor, dead_broker
):
    client = Client()
    client.force_login(instructor)
    add = "/admin/rag/transcriptsource/add/"
    file = SimpleUploadedFile("lecture.vtt", NEW_VTT.encode(), content_type="text/vtt")

    response = client.post(add, {"video": str(ready_video.pk), "file": file}, follow=True)

    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert shown == [str(BrokerUnavailable.default_message)]
    assert TranscriptSource.objects.filter(video=ready_video).count() == 1
    ready_video.refresh_from_db()
    assert ready_video.transcript_status == "ready"
