"""UploadSizeLimit decides on the declared length before reading, and counts chunked bodies."""

import json

import pytest

from voice.asgi import UploadSizeLimit


class Recorder:
    def __init__(self, chunks=()):
        self.chunks = list(chunks)
        self.received = 0
        self.sent = []
        self.app_calls = []

    async def receive(self):
        self.received += 1
        if not self.chunks:
            return {"type": "http.disconnect"}
        chunk = self.chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}

    async def send(self, message):
        self.sent.append(message)

    async def app(self, scope, receive, send):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.app_calls.append((scope, body))


def scope(path="/api/voice/transcribe", headers=()):
    return {"type": "http", "path": path, "headers": list(headers)}


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.VOICE_STT_MAX_BYTES = 1000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100  # spool to disk early


async def test_a_declared_length_over_the_limit_is_refused_unread():
    recorder = Recorder([b"x" * 10])
    middleware = UploadSizeLimit(recorder.app)
    await middleware(
        scope(headers=[(b"content-length", b"999999999")]), recorder.receive, recorder.send
    )
    assert recorder.received == 0
    assert recorder.app_calls == []
    start, body = recorder.sent
    assert start["status"] == 413
    assert json.loads(body["body"])["code"] == "audio_too_large"


async def test_the_refusal_carries_the_security_headers_and_the_request_id(client):
    from learnwithavi.tests.test_security_headers import SECURITY_HEADERS

    recorder = Recorder()
    await UploadSizeLimit(recorder.app)(
        scope(headers=[(b"content-length", b"999999999"), (b"x-request-id", b"trace-413-abcdef")]),
        recorder.receive,
        recorder.send,
    )
    start, _ = recorder.sent
    headers = {name.decode(): value.decode() for name, value in start["headers"]}
    assert [h for h in SECURITY_HEADERS if h.lower() not in headers] == []
    assert headers["x-request-id"] == "trace-413-abcdef"
    # The same values as the responses that pass through the middleware.
    normal = client.get("/api/courses")
    for name in SECURITY_HEADERS:
        if name not in ("X-Request-ID", "Content-Security-Policy"):
            assert headers[name.lower()] == normal[name], name
    assert "'nonce-" not in headers["content-security-policy"]


async def test_a_chunked_body_is_stopped_at_the_limit():
    recorder = Recorder([b"x" * 30_000] * 100)
    await UploadSizeLimit(recorder.app)(scope(), recorder.receive, recorder.send)
    assert recorder.received == 3  # 64 kB of multipart allowance + 1000 bytes: third chunk over
    assert recorder.app_calls == []
    assert recorder.sent[0]["status"] == 413


async def test_a_chunked_body_within_the_limit_is_replayed_with_its_length():
    chunks = [b"a" * 20_000, b"b" * 20_000, b"c" * 5]
    recorder = Recorder(chunks)
    await UploadSizeLimit(recorder.app)(
        scope(headers=[(b"transfer-encoding", b"chunked")]), recorder.receive, recorder.send
    )
    [(seen_scope, body)] = recorder.app_calls
    assert body == b"".join(chunks)
    assert dict(seen_scope["headers"]) == {b"content-length": b"40005"}


async def test_other_paths_pass_untouched():
    recorder = Recorder([b"x" * 100_000])
    request = scope(path="/api/chat", headers=[(b"content-length", b"999999999")])
    await UploadSizeLimit(recorder.app)(request, recorder.receive, recorder.send)
    assert recorder.app_calls == [(request, b"x" * 100_000)]
