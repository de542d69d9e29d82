"""learnwithavi.asgi_handler: no thread for a request without sync code, Django's way otherwise."""

import hashlib
import inspect
import json
import threading

import pytest
from asgiref import sync
from django.core import signals
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler

from courses.tests.factories import CourseFactory, VideoFactory
from learnwithavi.asgi_handler import ASGIHandler

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_async_pool", "close_async_test_connections"),
]

# Django 5.2's ASGIHandler.handle, which ours mirrors. When this fails, Django changed it:
# re-read it, carry the change into learnwithavi/asgi_handler.py, then update the digest.
DJANGO_HANDLE_SHA256 = "98faeb5bef800331e6a8002fbc96b30e4122a23438ae45a047190a531ea11323"


def test_djangos_handle_is_the_one_ours_mirrors():
    source = inspect.getsource(DjangoASGIHandler.handle)
    assert hashlib.sha256(source.encode()).hexdigest() == DJANGO_HANDLE_SHA256


async def call(application, method, path, body=b""):
    """One request through an ASGI application: (status, body)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent = []

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio_forever()

    async def send(message):
        sent.append(message)

    await application(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


async def asyncio_forever():
    import asyncio

    await asyncio.Event().wait()


@pytest.fixture
def finished_on():
    """The threads `request_finished` receivers ran on."""
    threads: list[threading.Thread] = []

    def record(**kwargs):
        threads.append(threading.current_thread())

    signals.request_finished.connect(record, dispatch_uid="test-finished-on")
    yield threads
    signals.request_finished.disconnect(dispatch_uid="test-finished-on")


async def test_a_warm_chat_request_starts_no_thread(hops, finished_on, settings):
    settings.ANTHROPIC_API_KEY = settings.OPENAI_API_KEY = ""
    settings.CHAT_LOCAL_WORD_DELAY = 0.0
    from rag.demo import ingest_demo_transcripts

    course = await sync.sync_to_async(CourseFactory)()
    video = await sync.sync_to_async(VideoFactory)(
        course=course, youtube_id="lwaDemoEn01", duration=600
    )
    await sync.sync_to_async(ingest_demo_transcripts)()
    application = ASGIHandler()
    body = json.dumps({"message": "What is overfitting?", "videoId": str(video.pk)}).encode()
    status, _ = await call(application, "POST", "/api/chat", body)  # warms pool, cache
    assert status == 200
    hops.clear()
    finished_on.clear()
    status, answer = await call(application, "POST", "/api/chat", body)
    assert status == 200
    assert b'"type":"done"' in answer
    assert hops == []
    # request_finished still ran, on the event loop's thread: nothing of the request to close
    assert finished_on == [threading.current_thread()]


async def test_a_request_that_ran_sync_code_is_cleaned_up_on_its_own_thread(finished_on):
    await sync.sync_to_async(CourseFactory)(is_published=True)
    status, body = await call(ASGIHandler(), "GET", "/api/courses")  # a sync DRF view
    assert status == 200
    assert json.loads(body)["count"] == 1
    # Django's way: request_finished (closing the request's connections) on the request's thread
    assert len(finished_on) == 1
    assert finished_on[0] is not threading.current_thread()
