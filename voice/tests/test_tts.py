"""POST /api/voice/tts: ElevenLabs (fake server), espeak-ng, the browser fallback, the cache."""

import pytest
from django.test import AsyncClient

from testing.fake_elevenlabs import FakeElevenLabs, fake_audio
from voice.tests.helpers import read_stream, usage_rows

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/voice/tts"
HEBREW = "שלום לכולם, ברוכים הבאים לשיעור"
ENGLISH = "Welcome to the lesson."


async def speak(client, **payload):
    return await client.post(URL, payload, content_type="application/json")


async def test_elevenlabs_streams_mp3_and_records_usage(auth_client, fake_elevenlabs, settings):
    response = await speak(auth_client, text=HEBREW)
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg"
    assert response["X-TTS-Provider"] == "elevenlabs"
    assert response["X-TTS-Cache"] == "miss"
    assert response["Content-Language"] == "he"
    assert response.streaming
    audio = await read_stream(response)
    assert audio == fake_audio(HEBREW, settings.ELEVENLABS_VOICE_ID, settings.ELEVENLABS_MODEL)
    [sent] = fake_elevenlabs.speech_requests
    assert sent.path.startswith(f"/v1/text-to-speech/{settings.ELEVENLABS_VOICE_ID}/stream")
    assert sent.headers["xi-api-key"] == settings.ELEVENLABS_API_KEY
    assert sent.json() == {"text": HEBREW, "model_id": "eleven_multilingual_v2"}
    [row] = await usage_rows(endpoint="voice.tts")
    assert row.provider == "elevenlabs"
    assert row.model == "eleven_multilingual_v2"
    assert row.characters == len(HEBREW)
    assert row.success
    assert row.estimated_cost > 0
    assert response["X-RateLimit-Limit"] == "5"


async def test_identical_requests_are_served_from_the_cache(auth_client, fake_elevenlabs):
    first = await read_stream(await speak(auth_client, text=HEBREW, language="he"))
    again = await speak(auth_client, text=HEBREW, language="he")
    assert again["X-TTS-Cache"] == "hit"
    assert await read_stream(again) == first
    assert len(fake_elevenlabs.speech_requests) == 1
    assert len(await usage_rows(endpoint="voice.tts")) == 1  # nothing paid for the replay
    other_voice = await speak(auth_client, text=HEBREW, language="he", voice="otherVoice1")
    assert other_voice["X-TTS-Cache"] == "miss"
    await read_stream(other_voice)
    assert len(fake_elevenlabs.speech_requests) == 2
    assert "/otherVoice1/" in fake_elevenlabs.speech_requests[1].path


async def test_english_without_a_key_is_spoken_by_espeak(auth_client, no_voice_vendors):
    response = await speak(auth_client, text=ENGLISH)
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert response["X-TTS-Provider"] == "espeak-ng"
    audio = await read_stream(response)
    assert audio[:4] == b"RIFF"
    assert audio[8:12] == b"WAVE"
    assert len(audio) > 10_000  # a second of 22 kHz 16-bit speech is 44 kB
    again = await speak(auth_client, text=ENGLISH)
    assert again["X-TTS-Cache"] == "hit"
    assert await read_stream(again) == audio


@pytest.mark.parametrize("text", [HEBREW, "0", "123 456", "?!"])
async def test_hebrew_without_a_key_tells_the_client_to_use_the_browser(
    auth_client, no_voice_vendors, text
):
    # No retry changes this answer: a 4xx, not the 503 of an outage. Digits and signs are spoken
    # in the interface's language (Hebrew by default), which no local voice speaks.
    response = await speak(auth_client, text=text)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "tts_use_browser"
    assert set(body) == {"error", "code", "timestamp"}


@pytest.mark.parametrize(
    ("reply", "expected_kind"),
    [
        (FakeElevenLabs.unauthorized(), "401"),
        (FakeElevenLabs.rate_limited(), "429"),
        (FakeElevenLabs.server_error(500), "500"),
        (FakeElevenLabs.server_error(503), "503"),
    ],
)
async def test_elevenlabs_errors_fall_back_to_espeak_for_english(
    auth_client, fake_elevenlabs, reply, expected_kind
):
    fake_elevenlabs.fail_next(reply)
    response = await speak(auth_client, text=ENGLISH)
    assert response.status_code == 200, expected_kind
    assert response["X-TTS-Provider"] == "espeak-ng"
    assert (await read_stream(response))[:4] == b"RIFF"
    assert len(fake_elevenlabs.speech_requests) == 1


@pytest.mark.parametrize(
    "reply", [FakeElevenLabs.unauthorized(), FakeElevenLabs.rate_limited()], ids=["401", "429"]
)
async def test_elevenlabs_errors_for_hebrew_answer_503(auth_client, fake_elevenlabs, reply):
    fake_elevenlabs.fail_next(reply)
    response = await speak(auth_client, text=HEBREW)
    assert response.status_code == 503
    assert response.json()["code"] == "tts_use_browser"
    assert "Invalid API key" not in response.content.decode()


async def test_wrong_key_gets_the_vendors_401_and_nothing_is_cached(auth_client, fake_elevenlabs):
    fake_elevenlabs.api_key = "another-key"
    assert (await speak(auth_client, text=HEBREW)).status_code == 503
    fake_elevenlabs.api_key = "el-test-key"
    response = await speak(auth_client, text=HEBREW)
    assert response.status_code == 200
    assert response["X-TTS-Cache"] == "miss"
    await read_stream(response)


async def test_a_slow_elevenlabs_times_out(auth_client, fake_elevenlabs, settings):
    from testing.fake_http import Reply

    settings.VOICE_TTS_TIMEOUT = 0.3
    fake_elevenlabs.fail_next(Reply(delay=2.0, headers={"Content-Type": "audio/mpeg"}, body=b"x"))
    response = await speak(auth_client, text=HEBREW)
    assert response.status_code == 503
    assert response.json()["code"] == "tts_use_browser"


async def test_a_stream_cut_off_midway_ends_the_audio_and_is_not_cached(
    auth_client, fake_elevenlabs
):
    fake_elevenlabs.fail_next(FakeElevenLabs.cut_off(after=2, chunks=6))
    response = await speak(auth_client, text=HEBREW)
    assert response.status_code == 200  # the status line was sent with the first chunk
    partial = await read_stream(response)
    whole = fake_audio("cut", "cut", "cut")
    assert partial
    assert whole.startswith(partial)
    assert len(partial) < len(whole)
    [row] = await usage_rows(endpoint="voice.tts")
    assert not row.success
    again = await speak(auth_client, text=HEBREW)
    assert again["X-TTS-Cache"] == "miss"
    await read_stream(again)


async def test_a_learner_who_leaves_mid_speech_is_no_failure_of_the_vendor(
    fake_elevenlabs, student
):
    from voice.services import speech_synthesize

    fake_elevenlabs.chunk_count = 6
    speech = await speech_synthesize(text=HEBREW, language="he", voice=None, user=student)
    assert await anext(speech.chunks)
    await speech.chunks.aclose()  # what the server does when the learner leaves
    [row] = await usage_rows(endpoint="voice.tts")
    assert row.success  # AIUsage.success: the vendor delivered until the learner left
    assert row.characters == len(HEBREW)
    again = await speech_synthesize(text=HEBREW, language="he", voice=None, user=student)
    assert not again.cached  # the partial audio was not cached as the whole
    assert b"".join([chunk async for chunk in again.chunks])  # read to the end: upstream closed


async def test_chunks_arrive_in_order_from_a_slow_stream(auth_client, fake_elevenlabs, settings):
    fake_elevenlabs.chunk_count = 5
    fake_elevenlabs.interval = 0.05
    response = await speak(auth_client, text="Streaming, slowly.")
    chunks = [chunk async for chunk in response.streaming_content]
    assert len(chunks) >= 2
    assert b"".join(chunks) == fake_audio(
        "Streaming, slowly.", settings.ELEVENLABS_VOICE_ID, settings.ELEVENLABS_MODEL
    )


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"text": ""}, 400, "validation_error"),
        ({"text": "   "}, 400, "validation_error"),
        ({}, 400, "validation_error"),
        ({"text": "hello", "language": "fr"}, 400, "unsupported_language"),
        ({"text": "Привет, как дела"}, 400, "unsupported_language"),
        ({"text": "a" * 2001}, 400, "text_too_long"),
        ({"text": "hello", "voice": "../../admin"}, 400, "validation_error"),
        ({"text": ["hello"]}, 400, "validation_error"),
    ],
)
async def test_bad_input_is_a_400_in_the_error_shape(
    auth_client, fake_elevenlabs, payload, status, code
):
    response = await auth_client.post(URL, payload, content_type="application/json")
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert {"error", "code", "timestamp"} <= set(body)
    assert fake_elevenlabs.speech_requests == []


async def test_not_json_is_refused(auth_client, no_voice_vendors):
    response = await auth_client.post(URL, "text=hi", content_type="text/plain")
    assert response.status_code == 415
    broken = await auth_client.post(URL, "{not json", content_type="application/json")
    assert broken.status_code == 400
    assert broken.json()["code"] == "malformed_json"
    array = await auth_client.post(URL, "[1]", content_type="application/json")
    assert array.status_code == 400
    deeply_nested = "[" * 100_000 + "]" * 100_000
    deep = await auth_client.post(URL, deeply_nested, content_type="application/json")
    assert deep.status_code == 400
    assert deep.json()["code"] == "malformed_json"


async def test_get_is_not_allowed(auth_client, no_voice_vendors):
    response = await auth_client.get(URL)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


async def test_anonymous_callers_get_401(no_voice_vendors):
    response = await speak(AsyncClient(), text=ENGLISH)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


async def test_a_bad_token_gets_401(no_voice_vendors):
    client = AsyncClient(headers={"Authorization": "Bearer not-a-real-token"})
    response = await speak(client, text=ENGLISH)
    assert response.status_code == 401


async def test_anonymous_callers_are_served_when_auth_is_not_required(no_voice_vendors):
    no_voice_vendors.VOICE_REQUIRE_AUTH = False
    response = await speak(AsyncClient(), text=ENGLISH)
    assert response.status_code == 200
    await read_stream(response)


async def test_the_sixth_request_in_a_minute_is_rate_limited(auth_client, no_voice_vendors):
    for _ in range(5):
        response = await speak(auth_client, text=ENGLISH)
        assert response.status_code == 200
        await read_stream(response)
    limited = await speak(auth_client, text=ENGLISH)
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert int(limited["Retry-After"]) >= 1


async def test_models_that_take_a_language_code_are_sent_one(
    auth_client, fake_elevenlabs, settings
):
    settings.ELEVENLABS_MODEL = "eleven_flash_v2_5"
    response = await speak(auth_client, text=HEBREW)
    await read_stream(response)
    [sent] = fake_elevenlabs.speech_requests
    assert sent.json() == {"text": HEBREW, "model_id": "eleven_flash_v2_5", "language_code": "he"}
    assert "output_format=mp3_44100_128" in sent.path
