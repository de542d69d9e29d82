"""Outages of what the API leans on (Redis, the broker, the database): recognised, logged, counted.

A request that meets an outage either goes on without the service (Redis: caches are bypassed,
rate limits fail open) or is refused with a 503 in the error shape (the database, the broker).
Each event is counted per process (`/api/health` reports the counts) and logged at most once a
minute per kind, so an outage under load does not flood the logs.
"""

import logging
import threading
import time
from collections import Counter

from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

logger = logging.getLogger("learnwithavi.outages")

# What a cache call raises when Redis is down or was restarted under it.
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisError, ConnectionInterrupted, OSError)

# SQLSTATEs of a server that is going away or refusing connections (psycopg's errors for the
# connection class 08 have their own codes; a client-side failure to connect has none).
_UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}

LOG_INTERVAL = 60.0
_counts: Counter[str] = Counter()
_last_logged: dict[str, float] = {}
_lock = threading.Lock()


def record(kind: str, error: BaseException) -> None:
    """Count one event of `kind` (e.g. "rate_limit_fail_open") and log it, once a minute."""
    now = time.monotonic()
    with _lock:
        _counts[kind] += 1
        seen = _counts[kind]
        due = now - _last_logged.get(kind, -LOG_INTERVAL) >= LOG_INTERVAL
        if due:
            _last_logged[kind] = now
    if due:
        name = type(error).__name__
        logger.warning("%s (%d in this process so far): %s: %s", kind, seen, name, error)


def count(kind: str) -> int:
    """How many events of `kind` this process has recorded since it started."""
    with _lock:
        return _counts[kind]


def is_database_outage(error: BaseException) -> bool:
    """Is `error` the database being unreachable (not a bug, nor a constraint violation)?"""
    import psycopg
    from django.db import InterfaceError, OperationalError

    cause: BaseException | None
    if isinstance(error, InterfaceError | psycopg.InterfaceError):
        return True
    if isinstance(error, OperationalError):
        cause = error.__cause__
    elif isinstance(error, psycopg.OperationalError):
        cause = error
    else:
        return False
    if not isinstance(cause, psycopg.Error):
        return True  # Django's own OperationalError about the connection
    sqlstate = cause.sqlstate
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES
