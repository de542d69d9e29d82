"""Settings for the test suite: real PostgreSQL (embedded or DATABASE_URL), Redis when set."""

import os
import uuid

from learnwithavi.settings.base import *  # noqa: F403
from learnwithavi.settings.base import CACHES, DATABASES, REDIS_URL

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Several test runs may share one server: each process gets its own test database.
DATABASES["default"]["TEST"] = {"NAME": f"test_learnwithavi_{os.getpid()}"}
DATABASES["default"]["CONN_MAX_AGE"] = 0
if REDIS_URL:
    # Workers share one Redis: a prefix per process keeps their counters apart.
    CACHES["default"]["KEY_PREFIX"] = f"lwa-test-{uuid.uuid4().hex[:8]}"
CELERY_TASK_ALWAYS_EAGER = True
