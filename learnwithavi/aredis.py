"""Redis from async code without a thread hop, reading and writing what Django's cache does.

Django's async cache methods run the sync ones on a thread (asgiref's thread-sensitive
executor, one per request under ASGI). Hot async paths (the rate limiter, the query-embedding
cache) speak to the same Redis natively instead, with the same keys (`cache.make_key`) and the
same values: Django's Redis serializer stores integers as they are and pickles the rest.

After Redis restarts, every pooled connection is dead; redis-py would raise on each one in turn
(49 of 50 concurrent chats failed), so a command that meets a dropped connection is retried
once, at once, on a fresh one. While Redis is down, a command fails fast (a one-second connect
timeout) and its callers go on without the cache (learnwithavi.outages.CACHE_ERRORS).
"""

import asyncio
import weakref
from typing import Any

from django.conf import settings

_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]" = weakref.WeakKeyDictionary()


def is_redis_cache() -> bool:
    """Is the default cache Django's Redis backend (the one this module speaks for)?"""
    return "redis" in settings.CACHES["default"]["BACKEND"]


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
