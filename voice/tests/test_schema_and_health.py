"""The OpenAPI schema documents the voice endpoints; the health report names their providers."""

import pytest
import yaml

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_tts_is_documented_with_binary_audio_responses(schema):
    operation = schema["paths"]["/api/voice/tts"]["post"]
    assert list(operation["requestBody"]["content"]) == ["application/json"]
    audio = operation["responses"]["200"]["content"]
    assert set(audio) == {"audio/mpeg", "audio/wav"}
    for content in audio.values():
        assert content["schema"] == {"type": "string", "format": "binary"}
    assert {"400", "401", "422", "429", "503"} <= set(operation["responses"])
    request = schema["components"]["schemas"]["TtsInputRequest"]
    assert set(request["properties"]) == {"text", "language", "voice"}


def test_transcribe_is_documented_as_a_multipart_upload(schema):
    operation = schema["paths"]["/api/voice/transcribe"]["post"]
    [(media_type, body)] = operation["requestBody"]["content"].items()
    assert media_type == "multipart/form-data"
    request = schema["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert request["properties"]["audio"] == {
        "type": "string",
        "format": "binary",
        "description": request["properties"]["audio"]["description"],
    }
    assert request["required"] == ["audio"]
    transcript = schema["components"]["schemas"]["Transcript"]
    assert set(transcript["properties"]) == {"text", "words", "duration", "language", "provider"}
    assert {"400", "401", "413", "415", "429", "503"} <= set(operation["responses"])


def test_health_names_the_voice_providers(client, settings, tmp_path, admin_user):
    client.force_login(admin_user)
    settings.ELEVENLABS_API_KEY = ""
    settings.OPENAI_API_KEY = ""
    settings.WHISPER_MODEL_DIR = ""
    services = client.get("/api/health").json()["services"]
    assert services["tts"]["provider"] == "espeak-ng"
    assert services["tts"]["localLanguages"] == ["en"]
    assert services["stt"] == {
        "status": "degraded",
        "provider": "none",
        "configured": False,
        "localModel": None,
    }
    settings.ELEVENLABS_API_KEY = "el-key"
    settings.OPENAI_API_KEY = "sk-key"
    services = client.get("/api/health").json()["services"]
    assert services["tts"]["provider"] == "elevenlabs"
    assert services["stt"]["provider"] == "openai"
    assert "el-key" not in str(services)


def test_system_checks_name_what_voice_lacks(settings, tmp_path, capsys):
    from django.core.management import call_command

    settings.OPENAI_API_KEY = ""
    settings.WHISPER_MODEL_DIR = str(tmp_path)
    call_command("check")
    output = capsys.readouterr()
    assert "voice.W002" in output.err + output.out
    settings.WHISPER_MODEL_DIR = ""
    call_command("check")
    output = capsys.readouterr()
    assert "voice.W003" in output.err + output.out
