"""AI providers (each configures itself only when its key is set) and the estimated costs of
their use."""

from learnwithavi.settings.components.environment import env

ANTHROPIC_API_KEY = env.str("ANTHROPIC_API_KEY", default="")
ANTHROPIC_BASE_URL = env.str("ANTHROPIC_BASE_URL", default="") or None
# claude-sonnet-4-5 reaches end-of-life on 2026-11-30 (the SDK warns about it).
ANTHROPIC_MODEL = env.str("ANTHROPIC_MODEL", default="claude-sonnet-4-6")
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="") or None
OPENAI_CHAT_MODEL = env.str("OPENAI_CHAT_MODEL", default="gpt-4o-mini")
OPENAI_EMBEDDING_MODEL = env.str("OPENAI_EMBEDDING_MODEL", default="text-embedding-3-small")
OPENAI_TRANSCRIPTION_MODEL = env.str("OPENAI_TRANSCRIPTION_MODEL", default="whisper-1")
ELEVENLABS_API_KEY = env.str("ELEVENLABS_API_KEY", default="")
ELEVENLABS_BASE_URL = env.str("ELEVENLABS_BASE_URL", default="https://api.elevenlabs.io")
ELEVENLABS_VOICE_ID = env.str("ELEVENLABS_VOICE_ID", default="21m00Tcm4TlvDq8ikWAM")
ELEVENLABS_MODEL = env.str("ELEVENLABS_MODEL", default="eleven_multilingual_v2")
# Threads the local embedding model may use; pinned so that two workers don't fight over cores.
LOCAL_EMBEDDING_THREADS = env.int("LOCAL_EMBEDDING_THREADS", default=1)

# Estimated AI costs, USD: per million tokens, per 1,000 characters, per audio minute.
AI_PRICES: dict[str, dict[str, float]] = {
    "anthropic:claude-sonnet-4-6": {
        "input": 3.0,
        "output": 15.0,
        "cache_read": 0.30,
        "cache_write": 3.75,
    },
    "anthropic:claude-sonnet-4-5": {
        "input": 3.0,
        "output": 15.0,
        "cache_read": 0.30,
        "cache_write": 3.75,
    },
    "anthropic:claude-haiku-4-5": {
        "input": 1.0,
        "output": 5.0,
        "cache_read": 0.10,
        "cache_write": 1.25,
    },
    "openai:gpt-4o-mini": {"input": 0.15, "output": 0.60, "cache_read": 0.075},
    "openai:text-embedding-3-small": {"input": 0.02},
    "openai:whisper-1": {"per_minute": 0.006},
    "elevenlabs:eleven_multilingual_v2": {"per_1k_chars": 0.30},
}
