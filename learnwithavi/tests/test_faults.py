"""Faults injected under a running server (uvicorn), as an operator would meet them.

Each test owns what it breaks (testing/faults.py): a Redis of its own, killed and restarted on
the same port; an embedded PostgreSQL cluster of its own, crashed and started again. The shared
Redis and database that other test processes use are never touched.
"""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from rest_framework.authtoken.models import Token

from accounts.tests.factories import AdminFactory
from courses.tests.factories import CourseFactory, VideoFactory
from testing.faults import EmbeddedCluster, RedisServer
from testing.servers import uvicorn_server
from testing.waiting import wait_for

VTT = """WEBVTT

00:00.000 --> 00:20.000
Welcome to the lecture about overfitting and regularization.

00:20.000 --> 00:45.000
Overfitting happens when a model memorizes the noise in the training data.

00:45.000 --> 01:10.000
Dropout randomly switches off neurons during training, a kind of regularization.
"""


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = response.json()
    assert body["code"] == code, body
    assert set(body) <= {"error", "code", "details", "timestamp"}
    assert body["error"]
    assert body["timestamp"]


def chat(base_url: str, video_id: object = None, **headers: str) -> httpx.Response:
    body = {"message": "What is dropout?"}
    if video_id is not None:
        body["videoId"] = str(video_id)
    return httpx.post(f"{base_url}/api/chat", json=body, headers=headers, timeout=30)


def chat_answered(response: httpx.Response) -> bool:
    """A 200 stream that ended with its `done` event (not an error event)."""
    if response.status_code != 200:
        return False
    frames = [frame for frame in response.text.split("\n\n") if frame.startswith("data: ")]
    return bool(frames) and json.loads(frames[-1][6:])["type"] == "done"


@pytest.fixture
def video(instructor):
    from rag.services import transcript_upload

    course = CourseFactory(owner=instructor, slug="faults", language="en")
    video: Any = VideoFactory(course=course, youtube_id="lwaFaults01", title="Dropout")
    transcript_upload(video=video, content=VTT, filename="t.vtt", run_inline=True)
    return video


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_redis_going_away_costs_no_request_and_its_return_fails_none(video):
    with RedisServer() as redis_server:
        env = {
            "REDIS_URL": redis_server.url(0),
            "CELERY_BROKER_URL": "",
            "CHAT_LOCAL_WORD_DELAY": "0",
            "ANTHROPIC_API_KEY": "",
            "OPENAI_API_KEY": "",
            "RATE_LIMIT_CHAT": "1000/m",
            "RATE_LIMIT_SEARCH": "2/m",
        }
        with uvicorn_server(env) as base_url, ThreadPoolExecutor(50) as threads:
            search = f"{base_url}/api/search?q=dropout&video={video.pk}"
            # Fifty chats at once: the server's async Redis pool holds many connections.
            answers = list(threads.map(lambda _: chat(base_url, video.pk), range(50)))
            assert all(chat_answered(r) for r in answers)
            assert httpx.get(search).status_code == 200
            assert httpx.get(search).status_code == 200
            assert_error(httpx.get(search), 429, "rate_limited")  # the limit holds while up
            health = httpx.get(f"{base_url}/api/health").json()
            assert health["services"]["cache"]["status"] == "ok"

            redis_server.kill()

            health_response = httpx.get(f"{base_url}/api/health")
            assert health_response.status_code == 200
            health = health_response.json()
            assert health["status"] == "degraded"
            assert health["services"]["cache"]["status"] == "down"
            assert health["services"]["database"]["status"] == "ok"
            # Reads, search and chat go on: caches bypassed, rate limits fail open.
            for _ in range(4):
                response = httpx.get(search)
                assert response.status_code == 200, response.text
                assert response.json()["hits"]
            assert httpx.get(f"{base_url}/api/courses").status_code == 200
            assert httpx.get(f"{base_url}/api/videos/{video.pk}").status_code == 200
            assert chat_answered(chat(base_url, video.pk))
            # The counts are details, which /api/health shows to staff only.
            staff = {"Authorization": f"Bearer {Token.objects.create(user=AdminFactory()).key}"}
            counted = httpx.get(f"{base_url}/api/health", headers=staff).json()
            counted = counted["services"]["cache"]
            assert counted["rateLimitFailOpen"] >= 6  # four searches, two reads, one chat
            assert counted["bypassed"] >= 1  # the query's embedding was not cached

            redis_server.start()  # same port, empty: every pooled connection is now dead

            answers = list(threads.map(lambda _: chat(base_url, video.pk), range(50)))
            statuses = [r.status_code for r in answers]
            assert statuses == [200] * 50, statuses
            assert all(chat_answered(r) for r in answers)
            after = httpx.get(f"{base_url}/api/health", headers=staff).json()["services"]["cache"]
            assert after["status"] == "ok"
            # Every one of them was counted and cached again: none met a dead connection.
            assert after["rateLimitFailOpen"] == counted["rateLimitFailOpen"]
            assert after["bypassed"] == counted["bypassed"]
            assert httpx.get(search).status_code == 200
            assert httpx.get(search).status_code == 200
            assert_error(httpx.get(search), 429, "rate_limited")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = EmbeddedCluster(tmp_path_factory.mktemp("faults") / "pgdata")
    yield cluster
    cluster.stop()


def every_api_answers(base_url: str, status: int, code: str | None = None) -> None:
    """The API's kinds of request, signed in or not, each answered with `status`."""
    token = {"Authorization": "Bearer " + "0" * 40}
    responses = {
        "courses": httpx.get(f"{base_url}/api/courses", timeout=30),
        "course": httpx.get(f"{base_url}/api/courses/{uuid.uuid4()}", timeout=30),
        "search": httpx.get(f"{base_url}/api/search?q=dropout", timeout=30),
        "token": httpx.post(
            f"{base_url}/api/auth/token",
            json={"email": "a@example.com", "password": "x" * 12},
            timeout=30,
        ),
        "me": httpx.get(f"{base_url}/api/me", headers=token, timeout=30),
        "chat": chat(base_url),
        "chat signed in": chat(base_url, **token),
    }
    for name, response in responses.items():
        if code is None:
            assert response.status_code < 500, (name, response.status_code, response.text[:300])
        else:
            assert response.status_code == status, (name, response.status_code, response.text)
            assert_error(response, status, code)


@pytest.mark.slow
def test_database_down_is_a_503_everywhere_and_its_return_needs_no_restart(cluster):
    database_url = cluster.start()
    with uvicorn_server({"DATABASE_URL": database_url, "CHAT_LOCAL_WORD_DELAY": "0"}) as base_url:
        every_api_answers(base_url, 200)  # the async pool now holds connections
        assert chat_answered(chat(base_url))

        cluster.crash()

        every_api_answers(base_url, 503, "database_unavailable")
        health = httpx.get(f"{base_url}/api/health", timeout=30)
        assert health.status_code == 503
        assert health.json()["status"] == "unhealthy"
        assert health.json()["services"]["database"]["status"] == "down"

        cluster.start()

        every_api_answers(base_url, 200)
        assert chat_answered(chat(base_url))
        assert httpx.get(f"{base_url}/api/health", timeout=30).status_code == 200
    cluster.stop()


@pytest.mark.slow
def test_a_crashed_embedded_database_is_started_again_by_the_next_request(cluster):
    cluster.stop()
    env = {**cluster.app_env(), "CHAT_LOCAL_WORD_DELAY": "0"}
    with uvicorn_server(env) as base_url:
        first_pid = cluster.postmaster_pid()
        assert first_pid is not None, "the server process started the embedded database"
        assert chat_answered(chat(base_url))  # the async pool holds a connection

        cluster.crash()
        assert cluster.postmaster_pid() is None

        # The chat's async pool meets the crash first, then Django's own connection.
        assert chat_answered(chat(base_url))
        assert cluster.postmaster_pid() not in (None, first_pid)
        assert httpx.get(f"{base_url}/api/courses", timeout=30).status_code == 200

        cluster.crash()

        assert httpx.get(f"{base_url}/api/courses", timeout=30).status_code == 200
        assert chat_answered(chat(base_url))
        assert wait_for(lambda: httpx.get(f"{base_url}/api/health").status_code == 200, 10)


def test_a_visibility_timeout_shorter_than_a_task_is_reported(settings):
    from django.core.checks import run_checks

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert not [m for m in run_checks() if m.id == "learnwithavi.W101"]
    settings.CELERY_VISIBILITY_TIMEOUT = settings.CELERY_TASK_TIME_LIMIT
    assert [m.id for m in run_checks() if m.id == "learnwithavi.W101"] == ["learnwithavi.W101"]
