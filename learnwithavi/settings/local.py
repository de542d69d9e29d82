"""Settings for a developer's machine: `make run` uses these."""

from learnwithavi.settings.base import *  # noqa: F403
from learnwithavi.settings.components.environment import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The Next.js frontend's dev server.
CORS_ALLOWED_ORIGINS = env.list(
    "CORS_ALLOWED_ORIGINS", default=["http://localhost:3000", "http://127.0.0.1:3000"]
)
