"""POST /api/voice/transcribe: OpenAI through the real SDK (fake server), formats, limits."""

import io

import pytest
from django.test import Client

from learnwithavi.models import AIUsage
from testing.fake_openai_audio import FakeOpenAIAudio
from voice.tests.audio_files import FORMATS, tone

pytestmark = pytest.mark.django_db

URL = "/api/voice/transcribe"


def upload(client, data: bytes, *, name: str = "speech.bin", field: str = "audio", **fields):
    file = io.BytesIO(data)
    file.name = name
    return client.post(URL, {field: file, **fields}, format="multipart")


@pytest.fixture
def wav(tmp_path) -> bytes:
    return tone(tmp_path, "wav").read_bytes()


def test_openai_transcribes_with_word_timings(student_client, fake_openai, wav):
    response = upload(student_client, wav, name="recording.wav")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "text": "שלום לכולם",
        "words": [
            {"word": "שלום", "start": 0.0, "end": 0.42},
            {"word": "לכולם", "start": 0.5, "end": 1.1},
        ],
        "duration": 1.5,
        "language": "he",
        "provider": "openai",
    }
    [sent] = fake_openai.uploads
    assert sent.fields["model"] == ["whisper-1"]
    assert sent.fields["response_format"] == ["verbose_json"]
    assert sent.fields["timestamp_granularities[]"] == ["word"]
    assert sent.fields["language"] == ["he"]
    assert sent.file == wav
    row = AIUsage.objects.get(endpoint="voice.transcribe")
    assert (row.provider, row.model, row.audio_seconds) == ("openai", "whisper-1", 1.5)
    assert row.estimated_cost > 0
    assert response["X-RateLimit-Limit"] == "10"


def test_language_is_passed_on(student_client, fake_openai, wav):
    fake_openai.transcript.words = [("hello", 0.0, 0.4), ("class", 0.5, 0.9)]
    response = upload(student_client, wav, language="en")
    assert response.json()["language"] == "en"
    assert response.json()["text"] == "hello class"
    assert fake_openai.uploads[0].fields["language"] == ["en"]


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_accepted_format_is_recognised_by_content(
    student_client, fake_openai, tmp_path, name
):
    data = tone(tmp_path, name).read_bytes()
    response = upload(student_client, data, name="no-extension")
    assert response.status_code == 200, response.content
    assert fake_openai.uploads[-1].file == data


def test_a_misleading_name_does_not_make_text_audio(student_client, fake_openai):
    response = upload(student_client, b"Just some text, not sound at all.\n" * 20, name="x.mp3")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_audio_format"
    assert fake_openai.uploads == []


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 400, "validation_error"),  # Django drops an empty file: the field is missing
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", 400, "audio_truncated"),
        (b"OggS" + bytes(60), 400, "audio_unreadable"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), 415, "unsupported_audio_format"),
    ],
)
def test_empty_truncated_or_not_audio_is_a_4xx(student_client, fake_openai, data, status, code):
    response = upload(student_client, data)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert fake_openai.uploads == []


def test_a_wav_cut_in_half_is_truncated(student_client, fake_openai, wav):
    response = upload(student_client, wav[: len(wav) // 2])
    assert response.status_code == 400
    assert response.json()["code"] == "audio_truncated"


def test_an_m4a_cut_in_half_is_unreadable(student_client, fake_openai, tmp_path):
    data = tone(tmp_path, "m4a").read_bytes()
    response = upload(student_client, data[: len(data) // 2])
    assert response.status_code == 400
    assert response.json()["code"] == "audio_unreadable"


def test_the_wrong_field_is_named(student_client, fake_openai, wav):
    response = upload(student_client, wav, field="file")
    assert response.status_code == 400
    assert response.json()["code"] == "audio_field_missing"
    nothing = student_client.post(URL, {"language": "he"}, format="multipart")
    assert nothing.status_code == 400
    assert nothing.json()["error"].startswith("audio:")


def test_unknown_language_is_a_400(student_client, fake_openai, wav):
    response = upload(student_client, wav, language="klingon")
    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_language"


def test_json_is_not_accepted(student_client, fake_openai):
    response = student_client.post(URL, {"audio": "aGVsbG8="}, format="json")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_too_large_by_content_length_is_413_before_parsing(student_client, fake_openai, settings):
    settings.VOICE_STT_MAX_BYTES = 100_000
    response = upload(student_client, b"RIFF" + bytes(300_000))
    assert response.status_code == 413
    assert response.json()["code"] == "audio_too_large"
    assert fake_openai.uploads == []


def test_too_large_while_streaming_is_413(student_client, fake_openai, settings):
    # Within the declared-length allowance, so only counting the streamed bytes catches it.
    settings.VOICE_STT_MAX_BYTES = 100_000
    response = upload(student_client, b"RIFF" + bytes(120_000))
    assert response.status_code == 413
    assert response.json()["code"] == "audio_too_large"


def test_a_file_just_under_the_limit_passes_the_size_check(student_client, fake_openai, settings):
    settings.VOICE_STT_MAX_BYTES = 100_000
    response = upload(student_client, b"RIFF" + bytes(90_000))
    assert response.status_code == 415  # not a WAVE, but not refused for its size
    assert response.json()["code"] == "unsupported_audio_format"


def test_no_key_and_no_model_is_503(student_client, no_voice_vendors, wav):
    response = upload(student_client, wav)
    assert response.status_code == 503
    assert response.json()["code"] == "stt_unavailable"


def test_a_model_directory_without_a_model_is_no_model(
    student_client, no_voice_vendors, wav, tmp_path
):
    no_voice_vendors.WHISPER_MODEL_DIR = str(tmp_path)
    response = upload(student_client, wav)
    assert response.status_code == 503
    assert response.json()["code"] == "stt_unavailable"


@pytest.mark.parametrize(
    "replies",
    [
        [FakeOpenAIAudio.error(401, "Incorrect API key provided.", "invalid_api_key")],
        [FakeOpenAIAudio.server_error()] * 3,
        [FakeOpenAIAudio.rate_limited()] * 3,
    ],
    ids=["401", "500", "429"],
)
def test_openai_failures_are_503_without_vendor_details(student_client, fake_openai, wav, replies):
    fake_openai.fail_next(*replies)
    response = upload(student_client, wav)
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "stt_unavailable"
    assert "API key" not in body["error"]
    assert not AIUsage.objects.filter(endpoint="voice.transcribe").exists()


def test_the_sdk_retries_one_server_error(student_client, fake_openai, wav):
    fake_openai.fail_next(FakeOpenAIAudio.server_error())
    response = upload(student_client, wav)
    assert response.status_code == 200
    assert len(fake_openai.requests) == 2


def test_anonymous_callers_get_401(api_client, fake_openai, wav):
    response = upload(api_client, wav)
    assert response.status_code == 401
    assert fake_openai.uploads == []


def test_anonymous_callers_are_served_when_auth_is_not_required(
    api_client, fake_openai, settings, wav
):
    settings.VOICE_REQUIRE_AUTH = False
    response = upload(api_client, wav)
    assert response.status_code == 200
    assert AIUsage.objects.get(endpoint="voice.transcribe").user is None


def test_the_eleventh_request_in_a_minute_is_rate_limited(student_client, fake_openai, wav):
    for _ in range(10):
        assert upload(student_client, wav).status_code == 200
    limited = upload(student_client, wav)
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"


def test_session_users_need_a_csrf_token(student, fake_openai, wav):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    file = io.BytesIO(wav)
    file.name = "a.wav"
    response = client.post(URL, {"audio": file})
    assert response.status_code == 403
    assert fake_openai.uploads == []
