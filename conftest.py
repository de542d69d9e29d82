"""Fixtures shared by every app's tests: API clients per role, cache isolation, services."""

import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.tests.factories import AdminFactory, InstructorFactory, UserFactory

REDIS_URL = os.environ.get("REDIS_URL", "")
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")


def pytest_collection_modifyitems(config, items):
    skip_redis = pytest.mark.skip(reason="needs a real Redis: set REDIS_URL (.ci/run does)")
    skip_broker = pytest.mark.skip(
        reason="needs a Celery broker: set CELERY_BROKER_URL (.ci/run does)"
    )
    for item in items:
        if "redis" in item.keywords and not REDIS_URL:
            item.add_marker(skip_redis)
        if "broker" in item.keywords and not BROKER_URL:
            item.add_marker(skip_broker)


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Every test starts with an empty cache (its own key prefix on a shared Redis)."""
    _clear_cache()
    yield
    _clear_cache()


def _clear_cache() -> None:
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")  # only this process's prefix, never other workers' keys
    else:
        cache.clear()


@pytest.fixture
def hops(monkeypatch):
    """The functions handed to sync_to_async (thread hops) during the test, as module.qualname."""
    from asgiref import sync

    seen: list[str] = []
    original = sync.SyncToAsync.__init__

    def record(self, func, *args, **kwargs):
        seen.append(f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', func)}")
        original(self, func, *args, **kwargs)

    monkeypatch.setattr(sync.SyncToAsync, "__init__", record)
    return seen


@pytest.fixture
async def close_async_pool():
    """The async pool (learnwithavi.adb) belongs to the test's event loop: close it with it."""
    from learnwithavi import adb

    yield
    await adb.aclose_pool()


@pytest.fixture
def close_async_test_connections():
    """Async test code queries from asgiref's executor thread: close its connection after."""
    from asgiref.sync import SyncToAsync
    from django.db import connections

    yield
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def student(db):
    return UserFactory()


@pytest.fixture
def instructor(db):
    return InstructorFactory()


@pytest.fixture
def other_instructor(db):
    return InstructorFactory()


@pytest.fixture
def admin_user(db):
    return AdminFactory()


def _client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def student_client(student) -> APIClient:
    return _client_for(student)


@pytest.fixture
def instructor_client(instructor) -> APIClient:
    return _client_for(instructor)


@pytest.fixture
def other_instructor_client(other_instructor) -> APIClient:
    return _client_for(other_instructor)


@pytest.fixture
def admin_client_api(admin_user) -> APIClient:
    return _client_for(admin_user)


# --- Clerk (accounts/): tokens minted with a key made here, a fake Backend API ---------------


@pytest.fixture(scope="session")
def clerk_instance():
    """The RSA key pair of a test Clerk instance (made once: 2048-bit keys take a while)."""
    from testing.fake_clerk import ClerkInstance

    return ClerkInstance()


@pytest.fixture
def clerk(settings, clerk_instance):
    """Clerk configured networkless (CLERK_JWT_KEY), the frontend's origin trusted."""
    from accounts.clerk import jwks_cache_clear
    from testing.fake_clerk import FRONTEND, ISSUER

    jwks_cache_clear()
    settings.CLERK_JWT_KEY = clerk_instance.public_pem
    settings.CLERK_SECRET_KEY = ""
    settings.CLERK_ISSUER = ISSUER
    settings.CLERK_AUTHORIZED_PARTIES = None
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]
    yield clerk_instance
    jwks_cache_clear()


@pytest.fixture
def fake_clerk(settings, clerk_instance):
    """Clerk configured with only a secret key: JWKS and users from a fake Backend API."""
    from accounts.clerk import jwks_cache_clear
    from testing.fake_clerk import FRONTEND, ISSUER, FakeClerk

    jwks_cache_clear()
    with FakeClerk(clerk_instance) as fake:
        settings.CLERK_JWT_KEY = ""
        settings.CLERK_SECRET_KEY = "sk_test_fake000000000000000000"  # noqa: S105  the fake's
        settings.CLERK_API_URL = fake.base_url
        settings.CLERK_ISSUER = ISSUER
        settings.CLERK_AUTHORIZED_PARTIES = None
        settings.CORS_ALLOWED_ORIGINS = [FRONTEND]
        yield fake
    jwks_cache_clear()
