"""Rate limiting for any view: fixed windows counted in the Django cache (Redis in production).

The client is the signed-in user, else the IP address; a proxy's X-Forwarded-For is believed
only when the direct peer is a trusted proxy, so a spoofed header cannot buy a fresh quota.
When the cache is down, limits fail open: the request is allowed, logged and counted
(learnwithavi.outages; `/api/health` shows the count), rather than refused with a 500.
"""

import functools
import hashlib
import ipaddress
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from learnwithavi import aredis, outages
from learnwithavi.errors import RateLimited

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The documented spellings of each period; anything else ("month", "ms") is refused.
_PERIODS = {
    **_SECONDS,
    **dict.fromkeys(("sec", "second", "seconds"), 1),
    **dict.fromkeys(("min", "minute", "minutes"), 60),
    **dict.fromkeys(("hour", "hours"), 3600),
    **dict.fromkeys(("day", "days"), 86400),
}


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """'10/m', '5/min', '100/hour', '1000/day' -> Rate. Raises ValueError on anything else.

        The period is s, m, h or d, or sec/second(s), min/minute(s), hour(s), day(s).
        """
        count, _, period = text.partition("/")
        unit = period.strip().lower()
        if not count.strip().isdigit() or unit not in _PERIODS:
            raise ValueError(f"not a rate: {text!r}")
        return cls(limit=int(count), period=_PERIODS[unit])


@dataclass(frozen=True)
class RateLimitResult:
    limit: int
    remaining: int
    reset_at: int  # epoch seconds when the window ends
    allowed: bool

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers

    def raise_if_exceeded(self) -> None:
        if not self.allowed:
            raise RateLimited(headers=self.headers())


def is_trusted_proxy(address: str) -> bool:
    """Whether `address` is one of TRUSTED_PROXIES (addresses or networks)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for proxy in settings.TRUSTED_PROXIES:
        try:
            if ip in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request: HttpRequest) -> str:
    """The client's address: the peer, or the nearest untrusted hop behind trusted proxies."""
    peer = request.META.get("REMOTE_ADDR") or "unknown"
    if not is_trusted_proxy(peer):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    # Walk from the nearest hop outwards; the first one we don't trust is the client.
    for hop in reversed(hops):
        if not is_trusted_proxy(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return hops[0] if hops else peer


def client_identity(request: HttpRequest, user: Any = None) -> str:
    user = user if user is not None else getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


def rate_for(scope: str) -> Rate:
    return Rate.parse(settings.RATE_LIMITS[scope])


def _keys(scope: str, identity: str) -> tuple[str, str]:
    digest = hashlib.sha256(identity.encode()).hexdigest()[:24]
    return f"rl:{scope}:{digest}", f"rl:{scope}:{digest}:start"


def _result(rate: Rate, count: int, reset_at: int) -> RateLimitResult:
    return RateLimitResult(
        limit=rate.limit,
        remaining=max(0, rate.limit - count),
        reset_at=reset_at,
        allowed=count <= rate.limit,
    )


def _opened(scope: str, error: Exception) -> RateLimitResult:
    """The result of a request counted while the cache is down: allowed, and recorded."""
    outages.record("rate_limit_fail_open", error)
    rate = rate_for(scope)
    return RateLimitResult(
        limit=rate.limit,
        remaining=rate.limit,
        reset_at=math.ceil(time.time() + rate.period),
        allowed=True,
    )


def _fails_open(
    count: Callable[[str, str], RateLimitResult],
) -> Callable[[str, str], RateLimitResult]:
    @functools.wraps(count)
    def counted(scope: str, identity: str) -> RateLimitResult:
        try:
            return count(scope, identity)
        except outages.CACHE_ERRORS as error:
            return _opened(scope, error)

    return counted


def _afails_open(
    count: Callable[[str, str], Awaitable[RateLimitResult]],
) -> Callable[[str, str], Awaitable[RateLimitResult]]:
    @functools.wraps(count)
    async def counted(scope: str, identity: str) -> RateLimitResult:
        try:
            return await count(scope, identity)
        except outages.CACHE_ERRORS as error:
            return _opened(scope, error)

    return counted


# A cache outage must not turn every request into a 500: the limit fails open instead.
@_fails_open
def hit(scope: str, identity: str) -> RateLimitResult:
    """Count one request of `identity` against `scope`'s rate.

    The window opens with the client's first request and lasts one period, so a burst is never
    split by a clock boundary (which would let a fixed calendar window admit twice the limit).
    """
    rate = rate_for(scope)
    counter, start_key = _keys(scope, identity)
    now = time.time()
    cache.add(start_key, now, timeout=rate.period)
    cache.add(counter, 0, timeout=rate.period)
    try:
        count = int(cache.incr(counter))
    except ValueError:  # the window closed between add and incr: this request opens a new one
        cache.add(start_key, now, timeout=rate.period)
        cache.add(counter, 1, timeout=rate.period)
        count = 1
    start = cache.get(start_key, now)
    return _result(rate, count, math.ceil(float(start) + rate.period))


@_afails_open
async def ahit(scope: str, identity: str) -> RateLimitResult:
    """`hit` for async views, without a thread hop.

    Django's async cache methods run the sync ones in the one thread-sensitive executor, which
    streaming views share; so Redis is spoken to natively (the same keys and values as the sync
    path), and the local-memory cache, which does no I/O, is called directly.
    """
    if not aredis.is_redis_cache():
        return hit(scope, identity)
    rate = rate_for(scope)
    counter, start_key = (cache.make_key(key) for key in _keys(scope, identity))
    now = time.time()
    async with aredis.client().pipeline(transaction=True) as pipe:
        pipe.set(start_key, aredis.encode(now), ex=rate.period, nx=True)
        pipe.set(counter, aredis.encode(0), ex=rate.period, nx=True)
        pipe.incr(counter)
        pipe.get(start_key)
        _, _, count, start = await pipe.execute()
    opened = aredis.decode(start) if start else now
    return _result(rate, int(count), math.ceil(float(opened) + rate.period))


async def acheck_request(request: HttpRequest, scope: str, user: Any = None) -> RateLimitResult:
    """Count the request, remember the result for the response headers, raise 429 if over."""
    result = await ahit(scope, client_identity(request, user))
    request.rate_limit = result  # type: ignore[attr-defined]  # read by RateLimitHeadersMiddleware
    result.raise_if_exceeded()
    return result


class ScopedRateLimit(BaseThrottle):
    """DRF throttle: the view's `rate_limit_scope` (default "api"), per user or client IP."""

    def allow_request(self, request: Request, view: Any) -> bool:
        scope = getattr(view, "rate_limit_scope", "api")
        if scope is None:
            return True
        django_request = request._request
        self.result = hit(scope, client_identity(django_request, request.user))
        django_request.rate_limit = self.result  # type: ignore[attr-defined]  # for the headers
        return self.result.allowed

    def wait(self) -> float | None:
        return float(self.result.retry_after)
