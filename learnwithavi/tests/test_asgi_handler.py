"""learnwithavi.asgi_handler: no thread for a request without sync code, Django's way otherwise."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref import sync
from django.core import signals
from django.http import JsonResponse
from django.urls import path

from courses.tests.factories import CourseFactory, VideoFactory
from learnwithavi.asgi_handler import ASGIHandler, request_has_own_thread
from testing.pins import Pin, assert_unchanged

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_async_pool", "close_async_test_connections"),
]

# What learnwithavi/asgi_handler.py copies (Django's `handle`) and what it relies on: Django's
# handler enters one asgiref ThreadSensitiveContext per request (`__call__`), and asgiref
# records the context's thread executor in `SyncToAsync.context_to_thread_executor` when the
# first thread-sensitive call creates it (`SyncToAsync.__call__`), which is how
# `request_has_own_thread` knows whether the request ran sync code.
_OURS = "learnwithavi/asgi_handler.py"
PINS = [
    Pin(
        "django.core.handlers.asgi.ASGIHandler.handle",
        "98faeb5bef800331e6a8002fbc96b30e4122a23438ae45a047190a531ea11323",
        f"{_OURS} (ASGIHandler.handle mirrors it, with the two signal sends instead of hops)",
    ),
    Pin(
        "django.core.handlers.asgi.ASGIHandler.__call__",
        "f756809e9c9308dcccb78a301fccf09196e80cdc4745690f80384d09b69dd102",
        f"{_OURS} (request_has_own_thread needs one ThreadSensitiveContext per request)",
    ),
    Pin(
        "asgiref.sync.SyncToAsync.__call__",
        "6376e33c6d3d94c58df80c3f2386c38401d19a543d08626a34721abe309845f6",
        f"{_OURS}: request_has_own_thread reads SyncToAsync.thread_sensitive_context and "
        "context_to_thread_executor as this method fills them",
    ),
    Pin(
        "asgiref.sync.ThreadSensitiveContext",
        "da8ec00f861b8bdf79b0d318c32d1c6b844b1fd68e18ff7a70e4cae0990047d6",
        f"{_OURS}: request_has_own_thread (the context sets the variable and owns the executor)",
    ),
]


@pytest.mark.parametrize("pin", PINS, ids=[pin.target for pin in PINS])
def test_what_the_handler_copies_or_relies_on_is_unchanged(pin):
    assert_unchanged(pin)


async def test_request_has_own_thread_follows_asgirefs_executors():
    """The asgiref behaviour the handler relies on, observed rather than pinned."""
    assert request_has_own_thread()  # no request context: assume there is a thread
    async with sync.ThreadSensitiveContext():
        assert not request_has_own_thread()
        await sync.sync_to_async(threading.get_ident, thread_sensitive=False)()
        assert not request_has_own_thread()  # the loop's pool, not the request's thread
        await sync.sync_to_async(threading.get_ident)()
        assert request_has_own_thread()


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


# A URLconf of this module's own: a plain async view and a plain sync one.
async def plain_async_view(request):
    return JsonResponse({"ok": True})


def plain_sync_view(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("async", plain_async_view), path("sync", plain_sync_view)]


@pytest.fixture
def executors_made(monkeypatch, settings):
    """The thread executors asgiref makes for thread-sensitive calls during the test."""
    made = []

    class Counted(ThreadPoolExecutor):
        def __init__(self, *args, **kwargs):
            made.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(sync, "ThreadPoolExecutor", Counted)
    settings.ROOT_URLCONF = __name__
    return made


async def test_a_plain_async_request_creates_no_thread_executor(executors_made, hops):
    application = ASGIHandler()
    assert await call(application, "GET", "/async") == (200, b'{"ok": true}')  # warm
    executors_made.clear()
    hops.clear()
    assert await call(application, "GET", "/async") == (200, b'{"ok": true}')
    assert executors_made == []
    assert hops == []


async def test_a_plain_sync_request_creates_one_thread_executor(executors_made):
    application = ASGIHandler()
    assert await call(application, "GET", "/sync") == (200, b'{"ok": true}')
    executors_made.clear()
    assert await call(application, "GET", "/sync") == (200, b'{"ok": true}')
    assert len(executors_made) == 1  # the request's own thread, as Django makes it
