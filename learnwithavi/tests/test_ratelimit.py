"""Rate limits: headers, 429 with Retry-After, per user or IP, proxies only if trusted."""

import httpx
import pytest
from django.test import override_settings

from learnwithavi.ratelimit import Rate
from learnwithavi.settings.components.security import RATE_LIMITS
from testing.servers import uvicorn_server

pytestmark = pytest.mark.django_db

LIMITS = {**RATE_LIMITS, "auth": "3/m"}
TOKEN_URL = "/api/auth/token"
BAD_LOGIN = {"email": "nobody@example.test", "password": "wrong"}


def post_login(client, **extra):
    return client.post(TOKEN_URL, data=BAD_LOGIN, content_type="application/json", **extra)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10/m", Rate(10, 60)),
        ("5/min", Rate(5, 60)),
        ("100/h", Rate(100, 3600)),
        ("7/day", Rate(7, 86400)),
        ("3/s", Rate(3, 1)),
        ("3/second", Rate(3, 1)),
        ("30/minutes", Rate(30, 60)),
        ("2/hours", Rate(2, 3600)),
        ("9 / D", Rate(9, 86400)),
    ],
)
def test_rate_parsing(text, expected):
    assert Rate.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["ten/m", "10", "10/fortnight", "", "10/month", "10/ms", "10/mo", "10/5m", "-1/m"]
)
def test_bad_rates_are_refused(text):
    with pytest.raises(ValueError, match="not a rate"):
        Rate.parse(text)


@override_settings(RATE_LIMITS={**RATE_LIMITS, "chat": "10/month"})
def test_an_undocumented_period_is_a_system_check_error():
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    with pytest.raises(SystemCheckError, match=r"learnwithavi\.E004.*'chat'.*10/month"):
        call_command("check")


@pytest.mark.slow
def test_the_asgi_application_refuses_to_start_with_an_undocumented_period():
    import os
    import subprocess
    import sys

    env = {**os.environ, "RATE_LIMIT_CHAT": "10/month"}
    env["DJANGO_SETTINGS_MODULE"] = "learnwithavi.settings.local"
    result = subprocess.run(
        [sys.executable, "-c", "import learnwithavi.asgi"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "learnwithavi.E004" in result.stderr


@override_settings(RATE_LIMITS=LIMITS)
def test_limit_headers_count_down_then_429(client):
    remaining = [int(post_login(client)["X-RateLimit-Remaining"]) for _ in range(3)]
    assert remaining == [2, 1, 0]
    response = post_login(client)
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert response["X-RateLimit-Limit"] == "3"
    assert response["X-RateLimit-Remaining"] == "0"
    assert int(response["X-RateLimit-Reset"]) > 0


@override_settings(RATE_LIMITS=LIMITS)
def test_spoofed_forwarded_for_buys_no_fresh_quota(client):
    for i in range(3):
        assert post_login(client, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code == 401
    assert post_login(client, HTTP_X_FORWARDED_FOR="203.0.113.77").status_code == 429


@override_settings(RATE_LIMITS=LIMITS, TRUSTED_PROXIES=["127.0.0.1/32"])
def test_trusted_proxy_forwards_the_client_address(client):
    for _ in range(3):
        assert post_login(client, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 401
    assert post_login(client, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    # Another client behind the same proxy has its own quota.
    assert post_login(client, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 401
    # A hop the client prepended itself is ignored: the proxy appended the real address last.
    assert post_login(client, HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.1").status_code == 429


@override_settings(RATE_LIMITS={**RATE_LIMITS, "api": "2/m"})
def test_signed_in_users_are_limited_per_user(student_client, instructor_client):
    for _ in range(2):
        assert student_client.get("/api/me").status_code == 200
    assert student_client.get("/api/me").status_code == 429
    assert instructor_client.get("/api/me").status_code == 200


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_limit_holds_across_two_server_processes_on_one_redis():
    # A day-long window: a minute boundary between the requests would reset the count.
    env = {"RATE_LIMIT_AUTH": "4/d", "CACHE_KEY_PREFIX": "lwa-rl-test-two-processes"}
    import redis as redis_client

    from conftest import REDIS_URL

    r = redis_client.Redis.from_url(REDIS_URL)
    for key in r.scan_iter("lwa-rl-test-two-processes*"):
        r.delete(key)
    with uvicorn_server(env) as first, uvicorn_server(env) as second:
        statuses = []
        for i in range(6):
            base = first if i % 2 == 0 else second
            statuses.append(
                httpx.post(f"{base}{TOKEN_URL}", json=BAD_LOGIN, timeout=10).status_code
            )
    assert statuses == [401, 401, 401, 401, 429, 429]


@pytest.mark.redis
@override_settings(RATE_LIMITS={**RATE_LIMITS, "chat": "3/m"})
async def test_async_and_sync_paths_share_one_redis_counter():
    from learnwithavi.ratelimit import ahit, hit

    first = await ahit("chat", "ip:192.0.2.10")
    second = hit("chat", "ip:192.0.2.10")
    third = await ahit("chat", "ip:192.0.2.10")
    fourth = await ahit("chat", "ip:192.0.2.10")
    assert [first.remaining, second.remaining, third.remaining] == [2, 1, 0]
    assert not fourth.allowed
    assert (await ahit("chat", "ip:192.0.2.11")).allowed


@override_settings(RATE_LIMITS={**RATE_LIMITS, "chat": "2/m"})
async def test_async_path_counts_in_local_memory():
    from learnwithavi.ratelimit import ahit

    results = [await ahit("chat", "ip:192.0.2.20") for _ in range(3)]
    assert [r.allowed for r in results] == [True, True, False]
