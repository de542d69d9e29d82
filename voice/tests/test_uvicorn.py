"""The voice endpoints over a real socket, served by uvicorn as in production."""

import httpx
import pytest
from rest_framework.authtoken.models import Token

from learnwithavi.models import AIUsage
from testing.fake_elevenlabs import API_KEY, FakeElevenLabs, fake_audio
from testing.servers import uvicorn_server
from testing.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LIMIT = 200_000


@pytest.fixture
def bearer(student):
    return {"Authorization": f"Bearer {Token.objects.create(user=student).key}"}


@pytest.fixture
def server():
    with FakeElevenLabs(chunk_count=6, interval=0.05) as fake:
        env = {
            "ELEVENLABS_API_KEY": API_KEY,
            "ELEVENLABS_BASE_URL": fake.base_url,
            "OPENAI_API_KEY": "",
            "WHISPER_MODEL_DIR": "/nonexistent",
            "VOICE_STT_MAX_BYTES": str(LIMIT),
        }
        with uvicorn_server(env) as base_url:
            yield base_url, fake


@pytest.fixture
def upload_server():
    """The app as served: these uploads stop at the size limit or at the audio check, before
    any speech-to-text provider."""
    env = {"OPENAI_API_KEY": "", "VOICE_STT_MAX_BYTES": str(LIMIT)}
    with uvicorn_server(env) as base_url:
        yield base_url


def test_speech_is_streamed_in_chunks_as_produced(server, bearer):
    base_url, fake = server
    text = "שלום וברוכים הבאים"
    with httpx.stream(
        "POST", f"{base_url}/api/voice/tts", json={"text": text}, headers=bearer, timeout=30
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "audio/mpeg"
        assert "content-length" not in response.headers
        assert response.headers["transfer-encoding"] == "chunked"
        assert response.headers["x-tts-provider"] == "elevenlabs"
        audio = b"".join(response.iter_bytes())
    assert audio == fake_audio(text, "21m00Tcm4TlvDq8ikWAM", "eleven_multilingual_v2")
    again = httpx.post(f"{base_url}/api/voice/tts", json={"text": text}, headers=bearer, timeout=30)
    assert again.headers["x-tts-cache"] == "hit"
    assert again.content == audio
    assert len(fake.speech_requests) == 1


def test_a_client_that_goes_away_stops_the_upstream_stream(server, bearer):
    base_url, fake = server
    fake.chunk_count, fake.interval = 40, 0.2  # eight seconds of audio, if read to the end
    with httpx.stream(
        "POST", f"{base_url}/api/voice/tts", json={"text": "Goodbye soon"}, headers=bearer
    ) as response:
        assert response.status_code == 200
        next(response.iter_raw())
    # The server notices, closes the upstream stream and records the call: paid, and no failure
    # of the vendor's (AIUsage.success), though the learner heard only part of it.
    assert wait_for(lambda: AIUsage.objects.filter(endpoint="voice.tts").exists(), seconds=30)
    row = AIUsage.objects.get(endpoint="voice.tts")
    assert row.success
    assert httpx.get(f"{base_url}/api/health", timeout=10).status_code == 200
    fake.interval = 0.0
    again = httpx.post(
        f"{base_url}/api/voice/tts", json={"text": "Goodbye soon"}, headers=bearer, timeout=30
    )
    assert again.headers["x-tts-cache"] == "miss"  # the unfinished audio was not cached


def test_an_upload_declared_too_large_is_413(server, bearer):
    base_url, _ = server
    files = {"audio": ("big.wav", b"RIFF" + bytes(3 * LIMIT), "audio/wav")}
    response = httpx.post(
        f"{base_url}/api/voice/transcribe", files=files, headers=bearer, timeout=30
    )
    assert response.status_code == 413
    assert response.json()["code"] == "audio_too_large"


def chunked_upload(base_url, bearer, size):
    boundary = "voiceboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="a.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()

    def body():
        yield head
        sent = 0
        while sent < size:
            piece = min(50_000, size - sent)
            yield (b"NOTAUDIO" * (piece // 8 + 1))[:piece]
            sent += piece
        yield f"\r\n--{boundary}--\r\n".encode()

    return httpx.post(
        f"{base_url}/api/voice/transcribe",
        content=body(),
        headers={**bearer, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        timeout=30,
    )


def test_a_chunked_upload_without_a_length_is_stopped_at_the_limit(upload_server, bearer):
    response = chunked_upload(upload_server, bearer, 3 * LIMIT)
    assert response.status_code == 413
    assert response.json()["code"] == "audio_too_large"


def test_a_chunked_upload_within_the_limit_reaches_the_view(upload_server, bearer):
    response = chunked_upload(upload_server, bearer, LIMIT // 2)
    assert response.status_code == 415  # parsed and sniffed: not audio
    assert response.json()["code"] == "unsupported_audio_format"
