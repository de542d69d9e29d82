"""The health report: the platform's own services, plus components the apps register.

Keys are snake_case; /api/health's renderer sends them in camelCase like every other key.

Never names a host, a path or a secret. Everyone sees statuses and latencies; only staff see
the details (versions, provider and model names, cache figures), which help an attacker
choose an exploit and a monitor does not need.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from learnwithavi import outages

Status = Literal["healthy", "degraded", "unhealthy"]
ComponentStatus = Literal["ok", "degraded", "down"]


@dataclass
class ComponentHealth:
    status: ComponentStatus
    details: dict[str, Any] = field(default_factory=dict)
    critical: bool = False  # a critical component down makes the whole service unhealthy

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, **self.details}

    def public_dict(self) -> dict[str, Any]:
        """The status, and the latency where the probe measured one; no details."""
        if "latency" in self.details:
            return {"status": self.status, "latency": self.details["latency"]}
        return {"status": self.status}


HealthProbe = Callable[[], ComponentHealth]
_probes: dict[str, HealthProbe] = {}
_cache_stats: dict[str, Callable[[], dict[str, Any]]] = {}


def register_probe(name: str, probe: HealthProbe) -> None:
    """Apps add their components (AI providers, ...) from AppConfig.ready()."""
    _probes[name] = probe


def register_cache_stats(name: str, stats: Callable[[], dict[str, Any]]) -> None:
    """Apps report a cache's `size` and `hit_rate` (the embedding cache does)."""
    _cache_stats[name] = stats


def _timed(check: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = check()
    return value, round((time.perf_counter() - started) * 1000, 2)


def database_health() -> ComponentHealth:
    def query() -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()
        return (row[0] if row else None), (version[0] if version else None)

    try:
        (pgvector, server_version), latency = _timed(query)
    except Exception:
        return ComponentHealth("down", {"latency": None}, critical=True)
    status: ComponentStatus = "ok" if pgvector else "degraded"
    return ComponentHealth(
        status,
        {
            "latency": latency,
            "postgres_version": (server_version or "").split(" ")[0],
            "pgvector_version": pgvector,
        },
        critical=True,
    )


def cache_health() -> ComponentHealth:
    backend = "redis" if "redis" in settings.CACHES["default"]["BACKEND"] else "local-memory"
    key = "health:probe"

    def round_trip() -> Any:
        cache.set(key, "1", timeout=5)
        return cache.get(key)

    # Requests that went on without the cache in this process: limits not counted, caches skipped.
    outage = {
        "rate_limit_fail_open": outages.count("rate_limit_fail_open"),
        "bypassed": outages.count("cache_bypassed"),
    }
    try:
        value, latency = _timed(round_trip)
    except Exception:
        return ComponentHealth("down", {"backend": backend, "latency": None, **outage})
    return ComponentHealth(
        "ok" if value == "1" else "degraded", {"backend": backend, "latency": latency, **outage}
    )


def broker_health() -> ComponentHealth:
    if not settings.CELERY_BROKER_URL:
        return ComponentHealth("ok", {"mode": "eager"})
    from learnwithavi.celery import app

    def connect() -> None:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)

    try:
        _, latency = _timed(connect)
    except Exception:
        return ComponentHealth("down", {"mode": "broker", "latency": None})
    return ComponentHealth("ok", {"mode": "broker", "latency": latency})


def health_report(*, detailed: bool = False) -> tuple[Status, dict[str, Any]]:
    """Run every probe; overall unhealthy if a critical one is down, degraded if any is not ok.

    `detailed` (for staff) adds each component's details, the providers and the cache figures.
    """
    components: dict[str, ComponentHealth] = {
        "database": database_health(),
        "cache": cache_health(),
        "broker": broker_health(),
    }
    for name, probe in _probes.items():
        try:
            components[name] = probe()
        except Exception:
            components[name] = ComponentHealth("down")
    if any(c.critical and c.status == "down" for c in components.values()):
        status: Status = "unhealthy"
    elif any(c.status != "ok" for c in components.values()):
        status = "degraded"
    else:
        status = "healthy"
    report: dict[str, Any] = {
        "status": status,
        "timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
        "services": {name: c.public_dict() for name, c in components.items()},
    }
    if not detailed:
        return status, report
    cache_stats: dict[str, Any] = {"size": 0, "hit_rate": 0.0}
    for stats in _cache_stats.values():
        try:
            cache_stats = stats()
        except Exception:  # the statistics live in the cache, which may be the thing that is down
            cache_stats = {"size": None, "hit_rate": None}
    report["services"] = {name: c.as_dict() for name, c in components.items()}
    report["providers"] = _provider_summary(components)
    report["cache"] = cache_stats
    return status, report


def _provider_summary(components: dict[str, ComponentHealth]) -> dict[str, Any]:
    """Which vendor keys are configured, and which provider serves each capability.

    The active providers come from the apps' own probes, which know what is really available
    (a Whisper model on disk, a local voice), rather than being guessed here from settings.
    """
    chat = components.get("chat")
    fallback = chat.details.get("fallback") if chat else None
    return {
        "anthropic": {"configured": bool(settings.ANTHROPIC_API_KEY)},
        "openai": {"configured": bool(settings.OPENAI_API_KEY)},
        "elevenlabs": {"configured": bool(settings.ELEVENLABS_API_KEY)},
        "active": {
            **{
                name: components[name].details.get("provider")
                for name in ("chat", "embeddings", "tts", "stt")
                if name in components
            },
            "chat_fallback": fallback[0] if fallback else None,
        },
    }
