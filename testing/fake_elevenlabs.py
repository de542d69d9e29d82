"""A fake ElevenLabs on 127.0.0.1: the streaming text-to-speech endpoint and its errors.

`POST /v1/text-to-speech/{voice_id}/stream` answers "mp3" bytes (an ID3 tag, then bytes
derived from the text, voice and model, so equal requests get equal audio) in `chunk_count`
chunks, `interval` seconds apart. A wrong `xi-api-key` gets ElevenLabs' 401 body; anything else
is scripted with `fail_next(...)` and the helpers below.
"""

import hashlib
import re

from testing.fake_http import FakeUpstream, RecordedRequest, Reply
from testing.fake_openai_audio import header

API_KEY = "el-test-key"
_STREAM_PATH = re.compile(r"^/v1/text-to-speech/(?P<voice>[^/?]+)/stream(\?.*)?$")


def fake_audio(text: str, voice: str, model: str, size: int = 4096) -> bytes:
    seed = hashlib.sha256(f"{voice}|{model}|{text}".encode()).digest()
    body = (seed * (size // len(seed) + 1))[:size]
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + body


def split(audio: bytes, count: int) -> list[bytes]:
    step = max(1, -(-len(audio) // count))
    return [audio[i : i + step] for i in range(0, len(audio), step)]


class FakeElevenLabs(FakeUpstream):
    def __init__(self, api_key: str = API_KEY, chunk_count: int = 4, interval: float = 0.0):
        super().__init__()
        self.api_key = api_key
        self.chunk_count = chunk_count
        self.interval = interval

    @property
    def speech_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if _STREAM_PATH.match(r.path)]

    def audio_for(self, request: RecordedRequest) -> bytes:
        match = _STREAM_PATH.match(request.path)
        assert match is not None
        body = request.json()
        return fake_audio(body["text"], match["voice"], body["model_id"])

    def handle(self, request: RecordedRequest) -> Reply:
        if not _STREAM_PATH.match(request.path) or request.method != "POST":
            return Reply.json({"detail": {"status": "not_found", "message": "Not found"}}, 404)
        if header(request, "xi-api-key") != self.api_key:
            return self.unauthorized()
        audio = self.audio_for(request)
        return Reply(
            headers={"Content-Type": "audio/mpeg"},
            chunks=[(chunk, self.interval) for chunk in split(audio, self.chunk_count)],
        )

    @staticmethod
    def unauthorized() -> Reply:
        detail = {"status": "invalid_api_key", "message": "Invalid API key"}
        return Reply.json({"detail": detail}, status=401)

    @staticmethod
    def rate_limited() -> Reply:
        detail = {"status": "too_many_concurrent_requests", "message": "Too many requests"}
        return Reply.json({"detail": detail}, status=429, headers={"Retry-After": "1"})

    @staticmethod
    def server_error(status: int = 500) -> Reply:
        return Reply.json({"detail": {"status": "internal_error", "message": "Oops"}}, status)

    @staticmethod
    def cut_off(after: int = 2, chunks: int = 6) -> Reply:
        audio = fake_audio("cut", "cut", "cut")
        return Reply(
            headers={"Content-Type": "audio/mpeg"},
            chunks=[(chunk, 0.0) for chunk in split(audio, chunks)],
            cut_after=after,
        )
