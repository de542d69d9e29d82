"""Health probes of the voice providers: which one answers, and whether it can."""

from pathlib import Path

from django.conf import settings

from learnwithavi.health import ComponentHealth
from voice.providers import espeak_binary, whisper_model_available


def tts_health() -> ComponentHealth:
    """ElevenLabs when configured, else espeak-ng; without either, browsers speak (degraded)."""
    configured = bool(settings.ELEVENLABS_API_KEY)
    local = espeak_binary() is not None
    provider = "elevenlabs" if configured else "espeak-ng" if local else "browser"
    return ComponentHealth(
        "ok" if configured or local else "degraded",
        {
            "provider": provider,
            "configured": configured,
            "local_engine": "espeak-ng" if local else None,
            "local_languages": sorted(settings.VOICE_ESPEAK_VOICES) if local else [],
        },
    )


def stt_health() -> ComponentHealth:
    """OpenAI when configured, else the local Whisper model; without either, degraded."""
    configured = bool(settings.OPENAI_API_KEY)
    local = whisper_model_available(settings.WHISPER_MODEL_DIR)
    provider = "openai" if configured else "faster-whisper" if local else "none"
    return ComponentHealth(
        "ok" if configured or local else "degraded",
        {
            "provider": provider,
            "configured": configured,
            "local_model": Path(settings.WHISPER_MODEL_DIR).name if local else None,
        },
    )
