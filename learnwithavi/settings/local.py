"""Settings for a developer's machine: `make run` uses these."""

from learnwithavi.settings.base import *  # noqa: F403
from learnwithavi.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
