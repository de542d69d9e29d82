"""Redis from async code without a thread hop, reading and writing what Django's cache does.

Django's async cache methods run the sync ones on a thread (asgiref's thread-sensitive
executor, one per request under ASGI). Hot async paths (the rate limiter, the query-embedding
cache) speak to the same Redis natively instead, with the same keys (`cache.make_key`) and the
same values: `encode` and `decode` are django-redis's own, taken from a client built from the
cache's configuration (its integers-as-is rule, its SERIALIZER, its COMPRESSOR), so the two
paths cannot disagree. What this module cannot follow (another backend or client class, a
serializer that cannot carry our values, another server) is refused at start by the system
check `learnwithavi.E005` (`configuration_problems`).

After Redis restarts, every pooled connection is dead; redis-py would raise on each one in turn
(49 of 50 concurrent chats failed), so a command that meets a dropped connection is retried
once, at once, on a fresh one. While Redis is down, a command fails fast (a one-second connect
timeout) and its callers go on without the cache (learnwithavi.outages.CACHE_ERRORS).
"""

import asyncio
import functools
import weakref
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# The cache backend and client this module speaks for (django-redis, as configured in
# learnwithavi/settings/components/cache_celery.py).
DJANGO_REDIS_BACKEND = "django_redis.cache.RedisCache"
DJANGO_REDIS_CLIENT = "django_redis.client.DefaultClient"

# What the async path stores and reads: the rate limiter's counter (an integer, which Redis's
# INCR needs stored as is) and its window's start (a float), the embedding cache's vectors
# (bytes).
_CARRIED: tuple[tuple[str, Any], ...] = (
    ("a counter (int)", 0),
    ("a window start (float)", 1754000000.25),
    ("a vector (bytes)", b"\x00\x00\x80?\xff"),
)

_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]" = weakref.WeakKeyDictionary()


def is_redis_cache() -> bool:
    """Is the default cache django-redis (the one this module speaks for)?"""
    return bool(settings.CACHES["default"]["BACKEND"] == DJANGO_REDIS_BACKEND)


def client() -> Any:
    """A redis.asyncio client for the running loop (a client may not cross event loops)."""
    import redis.asyncio
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError, TimeoutError

    loop = asyncio.get_running_loop()
    found = _clients.get(loop)
    if found is None:
        found = redis.asyncio.Redis.from_url(
            settings.REDIS_URL,
            socket_timeout=2,
            socket_connect_timeout=1,
            retry=Retry(NoBackoff(), retries=1),
            retry_on_error=[ConnectionError, TimeoutError],
        )
        _clients[loop] = found
    return found


@functools.cache
def _codec() -> Any:
    """django-redis's client for the default cache, used only for its `encode`/`decode`.

    Built once per configuration from the same settings the sync cache reads (so the same
    serializer and compressor classes, with the same options); it opens no connection.
    """
    from django.core.cache import caches

    backend: Any = caches.create_connection("default")
    return backend.client


@receiver(setting_changed)
def _forget_codec(*, setting: str, **kwargs: Any) -> None:
    """A test that overrides the cache's configuration gets a codec for it."""
    if setting in {"CACHES", "REDIS_URL"}:
        _codec.cache_clear()


def encode(value: Any) -> bytes | int:
    """`value` as the sync cache stores it: an int as is, anything else serialized (and
    compressed, when a compressor is configured)."""
    encoded: bytes | int = _codec().encode(value)
    return encoded


def decode(raw: bytes | int) -> Any:
    """A value read from Redis, as the sync cache would return it."""
    return _codec().decode(raw)


def configuration_problems() -> list[str]:
    """Why the async path could not read and write the default cache as django-redis does.

    Empty when it can, or when the cache is not Redis (then the async callers use the cache
    itself: a local-memory cache does no I/O).
    """
    cache_settings = settings.CACHES["default"]
    backend = str(cache_settings["BACKEND"])
    if "redis" not in backend.lower():
        return []
    if backend != DJANGO_REDIS_BACKEND:
        return [
            f"BACKEND is {backend}: the async path (learnwithavi.aredis) reads and writes "
            f"{DJANGO_REDIS_BACKEND}'s format only."
        ]
    problems = []
    client_class = cache_settings.get("OPTIONS", {}).get("CLIENT_CLASS", DJANGO_REDIS_CLIENT)
    if client_class != DJANGO_REDIS_CLIENT:
        # HerdClient wraps stored values, ShardedClient spreads keys over several servers,
        # SentinelClient finds its server elsewhere: none of it is what the async path sees.
        problems.append(
            f"OPTIONS CLIENT_CLASS is {client_class}: the async path follows "
            f"{DJANGO_REDIS_CLIENT} only (one server, values stored as encoded)."
        )
    if cache_settings.get("LOCATION") != settings.REDIS_URL:
        problems.append(
            "LOCATION is not REDIS_URL: the async path talks to REDIS_URL, so it would read "
            "and count on another server than the cache."
        )
    if problems:
        return problems
    try:
        _codec()
    except Exception as error:  # an unimportable or misconfigured serializer or compressor
        return [f"The cache's client cannot be built: {error!r}."]
    for what, value in _CARRIED:
        try:
            carried = decode(encode(value))
        except Exception as error:
            problems.append(f"The cache's serializer cannot store {what}: {error!r}.")
            continue
        if carried != value or type(carried) is not type(value):
            problems.append(f"The cache's serializer returns {carried!r} for {what} {value!r}.")
    return problems
