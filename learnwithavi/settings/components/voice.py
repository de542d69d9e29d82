"""Voice (voice/): text-to-speech and speech-to-text."""

from learnwithavi.settings.components.environment import BASE_DIR, env

# Anonymous callers get 401 unless this is false.
VOICE_REQUIRE_AUTH = env.bool("VOICE_REQUIRE_AUTH", default=True)
VOICE_LANGUAGES = ("he", "en")
VOICE_TTS_MAX_CHARS = env.int("VOICE_TTS_MAX_CHARS", default=2000)
# Generated audio is paid by the character: identical requests are replayed from the cache.
VOICE_TTS_CACHE_TTL = env.int("VOICE_TTS_CACHE_TTL", default=30 * 86400)
VOICE_TTS_CACHE_MAX_BYTES = env.int("VOICE_TTS_CACHE_MAX_BYTES", default=8 * 1024 * 1024)
# Seconds ElevenLabs may take to connect, to send its first byte, and between two chunks.
VOICE_TTS_TIMEOUT = env.float("VOICE_TTS_TIMEOUT", default=20.0)
# Languages espeak-ng speaks intelligibly, with its voice for each (not Hebrew: no vowels).
VOICE_ESPEAK_VOICES = {"en": "en-us"}
VOICE_STT_MAX_BYTES = env.int("VOICE_STT_MAX_BYTES", default=25 * 1024 * 1024)
VOICE_STT_TIMEOUT = env.float("VOICE_STT_TIMEOUT", default=120.0)
# A faster-whisper (CTranslate2) model directory for local speech-to-text.
WHISPER_MODEL_DIR = env.str("WHISPER_MODEL_DIR", default="")
WHISPER_CPU_THREADS = env.int("WHISPER_CPU_THREADS", default=2)
# `make whisper-model` prepares var/whisper-base; it is used when WHISPER_MODEL_DIR is unset.
if not WHISPER_MODEL_DIR and (BASE_DIR / "var" / "whisper-base" / "model.bin").is_file():
    WHISPER_MODEL_DIR = str(BASE_DIR / "var" / "whisper-base")
