"""Real Celery worker processes for tests: the test database, a queue of the test's own."""

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

from testing.servers import ROOT, current_database_url


def worker_env(queue: str, **extra: str) -> dict[str, str]:
    """A worker's environment: local settings on the current test database, its own queue and
    cache prefix (so nothing an earlier run cached answers for it), plus `extra`."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "learnwithavi.settings.local",
        "DATABASE_URL": current_database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CACHE_KEY_PREFIX": queue,
        **extra,
    }


def start_worker(
    env: Mapping[str, str],
    *,
    queue: str,
    app_module: str = "learnwithavi",
    options: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """`celery worker` on `queue` alone, one process (solo pool), no cluster chatter."""
    command = [sys.executable, "-m", "celery", "-A", app_module, "worker", "-Q", queue, *options]
    command += ["--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    return subprocess.Popen(command, cwd=ROOT, env=dict(env))  # noqa: S603
