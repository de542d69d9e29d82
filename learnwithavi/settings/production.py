"""Production settings: system checks refuse DEBUG, a default secret or no allowed hosts."""

from learnwithavi.settings.base import *  # noqa: F403
from learnwithavi.settings.base import env

IS_PRODUCTION = True
SERVE_STATIC = env.bool("SERVE_STATIC", default=False)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
