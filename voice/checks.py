"""Start-up checks of the voice configuration: `manage.py check` says what is missing."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

from voice.providers import espeak_binary, whisper_model_available


@register()
def voice_engines_check(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """Missing local engines are warnings: the endpoints answer with a clear code instead."""
    warnings: list[CheckMessage] = []
    if not settings.ELEVENLABS_API_KEY and espeak_binary() is None:
        warnings.append(
            Warning(
                "espeak-ng is not installed and there is no ELEVENLABS_API_KEY: every "
                "text-to-speech request is answered 422 tts_use_browser.",
                hint="apt-get install espeak-ng (make install does).",
                id="voice.W001",
            )
        )
    model_dir = settings.WHISPER_MODEL_DIR
    if model_dir and not whisper_model_available(model_dir):
        warnings.append(
            Warning(
                f"WHISPER_MODEL_DIR ({Path(model_dir).name}) holds no faster-whisper model.",
                hint="Run `make whisper-model`, or point WHISPER_MODEL_DIR at a CTranslate2 "
                "Whisper model directory.",
                id="voice.W002",
            )
        )
    if not settings.OPENAI_API_KEY and not model_dir:
        warnings.append(
            Warning(
                "No OPENAI_API_KEY and no local Whisper model: /api/voice/transcribe answers "
                "503 stt_unavailable.",
                hint="Run `make whisper-model` for local speech-to-text.",
                id="voice.W003",
            )
        )
    return warnings
