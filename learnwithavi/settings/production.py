"""Production settings: HTTPS only (redirect, HSTS, secure cookies); system checks refuse DEBUG,
a default secret or no allowed hosts."""

from learnwithavi.settings.base import *  # noqa: F403
from learnwithavi.settings.components.environment import env

IS_PRODUCTION = True
SERVE_STATIC = env.bool("SERVE_STATIC", default=False)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# HTTPS only, by default. A deployment whose proxy already redirects to HTTPS may turn the
# redirect off; one that also serves plain-HTTP hosts may shorten or drop HSTS.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# A load balancer's health check often speaks plain HTTP to the instance.
SECURE_REDIRECT_EXEMPT = [r"^api/health$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
