"""Redis from async code without a thread hop, reading and writing what Django's cache does.

Django's async cache methods run the sync ones on a thread (asgiref's thread-sensitive
executor, one per request under ASGI). Hot async paths (the rate limiter, the query-embedding
cache) speak to the same Redis natively instead, with the same keys (`cache.make_key`) and the
same values: Django's Redis serializer stores integers as they are and pickles the rest.
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

    loop = asyncio.get_running_loop()
    found = _clients.get(loop)
    if found is None:
        found = redis.asyncio.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
        _clients[loop] = found
    return found
