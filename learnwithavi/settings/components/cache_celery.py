"""The cache (it also holds the rate-limit counters) and Celery: broker, reliability, beat's
schedule file."""

from learnwithavi.settings.components.environment import BASE_DIR, env

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="lwa"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_TIMEOUT": 2,
                # Redis down: a cache call fails within a second, and the caller goes on without.
                "SOCKET_CONNECT_TIMEOUT": 1,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "learnwithavi",
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# No broker: tasks run inline, so the default set-up needs no worker.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="learnwithavi")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Reliability (README, "When things fail"). A task is acknowledged only when it has finished
# (acks_late, above), so a worker killed mid-task loses nothing: the broker delivers the task
# again once its visibility timeout has passed since the delivery. The timeout must exceed the
# longest a task may hold its message: its hard time limit, or its longest retry countdown (a
# waiting retry is held unacknowledged), else a task still running is delivered twice.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int(
    "CELERY_TASK_SOFT_TIME_LIMIT", default=max(1, CELERY_TASK_TIME_LIMIT - 30)
)
CELERY_TASK_RETRY_BACKOFF_MAX = env.int("CELERY_TASK_RETRY_BACKOFF_MAX", default=120)
CELERY_VISIBILITY_TIMEOUT = env.int(
    "CELERY_VISIBILITY_TIMEOUT",
    default=max(CELERY_TASK_TIME_LIMIT, CELERY_TASK_RETRY_BACKOFF_MAX) + 60,
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Workers look for messages past their visibility timeout every 10 s (kombu: every 100 s).
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
    # A dead broker fails a publish in about a second instead of hanging the request.
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# A pool process that dies mid-task (killed, out of memory) puts its task back at once.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Losing the broker connection cancels running tasks (they could not be acknowledged anyway);
# the broker delivers them again.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
