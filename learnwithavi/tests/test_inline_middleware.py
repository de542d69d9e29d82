"""The async-native subclasses of Django's middleware (learnwithavi/middleware.py).

`_InlineHooks` replaces MiddlewareMixin's `__acall__`, running each wrapped class's
process_request/process_response in the event loop instead of on a thread; that is right only
while those hooks do no I/O (or `response_needs_thread` sends them to a thread when they do).
So the source of what it replaces and of every wrapped class is pinned, and each class is shown
to do in async mode exactly what Django's own does in sync mode.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pytest
from asgiref.sync import sync_to_async
from csp import middleware as csp
from django.contrib import messages as django_messages
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpResponse, HttpResponseNotFound
from django.middleware import clickjacking, common, csrf, locale, security
from django.middleware.csrf import get_token
from django.test import RequestFactory, override_settings
from django.urls import path
from django.utils.translation import get_language

from learnwithavi import middleware as ours
from testing.pins import Pin, assert_unchanged

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_async_test_connections"),
]

_OURS = "learnwithavi/middleware.py"
_HOOKS = (
    f"{_OURS}: its subclass runs this class's process_request/process_response in the event "
    "loop, so they must do no I/O, or its response_needs_thread must send them to a thread"
)
PINS = [
    Pin(
        "django.utils.deprecation.MiddlewareMixin",
        "719062a110865f71699d2ba8aa41406051cd16e2c4b163bd0429d8a6015b6036",
        f"{_OURS}: _InlineHooks.__acall__ replaces MiddlewareMixin.__acall__ (the same steps, "
        "without the thread hops) and relies on __call__ choosing it in async mode",
    ),
    Pin(
        "django.middleware.security.SecurityMiddleware",
        "7c0daafdd127de47ad2bb47f63a6c4cb7b77ca64fa0102c8bf35ae54bfe8d15d",
        _HOOKS,
    ),
    Pin(
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "b005c3dcd16801e1f195424685998882d855be76154b4571fb9e391f47b12865",
        _HOOKS,
    ),
    Pin(
        "csp.middleware.CSPMiddleware",
        "bfe98946316df43d84051a8a1ff21729738a574521b023702eaa0342cf35e1b8",
        _HOOKS,
    ),
    Pin(
        "django.contrib.sessions.middleware.SessionMiddleware",
        "81dfc7bdab25942992c90fcc9bbf9fb4ba3fd83395255331d8f80f4bd00983b2",
        f"{_HOOKS}; SessionMiddleware.response_needs_thread copies when it saves the session",
    ),
    Pin(
        "django.middleware.locale.LocaleMiddleware",
        "af3e631019d46a8ac89637bc944b57472f857f869c7bd51edf8db68e5cf2f9fa",
        _HOOKS,
    ),
    Pin(
        "django.middleware.common.CommonMiddleware",
        "0a9411bc1510a38cb8bca40c49c548482598593939e76e9ca20609ad8bf8cc04",
        _HOOKS,
    ),
    Pin(
        "django.middleware.csrf.CsrfViewMiddleware",
        "461e7a1110dea43fffad25fd756dbcdf5d8ea6d616fe157537a39951dcdd995d",
        f"{_HOOKS}; CsrfViewMiddleware._aprocess_view runs process_view inline too, except "
        "for a multipart body",
    ),
    Pin(
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "016788fb7214c6edd10b3022e2cda7c84b25fd5efe5141d87d5a79cb92e54d38",
        _HOOKS,
    ),
    Pin(
        "django.contrib.messages.middleware.MessageMiddleware",
        "68bbf99a11d6e87ea36b2ab43ee4190d97d1b74249b261cecebd5071d138ebb4",
        _HOOKS,
    ),
    Pin(
        "django.contrib.messages.storage.base.BaseStorage.update",
        "3db9589128339b47fb170442835e2fd1fb38389c5062723dd8f168fcad4b59f6",
        f"{_OURS}: MessageMiddleware.response_needs_thread copies when messages are stored",
    ),
]


@pytest.mark.parametrize("pin", PINS, ids=[pin.target.rsplit(".", 1)[-1] for pin in PINS])
def test_what_the_inline_middleware_copies_or_relies_on_is_unchanged(pin):
    assert_unchanged(pin)


def test_every_inline_middleware_is_pinned():
    inline = [
        cls
        for cls in vars(ours).values()
        if isinstance(cls, type)
        and issubclass(cls, ours._InlineHooks)
        and cls is not ours._InlineHooks
    ]
    wrapped = {
        f"{base.__module__}.{base.__qualname__}"
        for cls in inline
        for base in cls.__bases__
        if base is not ours._InlineHooks
    }
    assert len(wrapped) == len(inline) == 9
    assert wrapped <= {pin.target for pin in PINS}


# --- each one does in async mode what Django's does in sync mode --------------------------


class Outcome(NamedTuple):
    status: int
    headers: dict[str, str]
    cookies: dict[str, dict[str, str]]
    seen: dict[str, Any]  # what the view saw of the request


def view(request):
    """A response that asks something of the middleware, and what they gave the view."""
    seen = {"language": get_language(), "nonce": bool(str(getattr(request, "csp_nonce", "")))}
    if hasattr(request, "user"):
        seen["anonymous"] = request.user.is_anonymous
    if request.path == "/missing":
        return HttpResponseNotFound(), seen
    if request.path == "/session":
        request.session["seen"] = True
    if request.path == "/message":
        django_messages.info(request, "saved")
    if request.path == "/csrf":
        get_token(request)
    return HttpResponse("ok"), seen


def outcome(response, seen):
    """The response as a client sees it (nonces and cookie dates vary), and what the view saw."""
    headers = {
        name: re.sub(r"'nonce-[^']+'", "'nonce-*'", value)
        for name, value in response.headers.items()
        if name != "Set-Cookie"
    }
    cookies = {
        name: {key: value for key, value in morsel.items() if value and key != "expires"}
        for name, morsel in response.cookies.items()
    }
    return Outcome(response.status_code, headers, cookies, seen)


def writes_to_the_database(path):
    """Saving a session (with messages in it) is database work, done on a thread."""
    return path in {"/session", "/message"}


def run_sync(chain, request):
    seen = {}

    def get_response(request):
        response, seen_here = view(request)
        seen.update(seen_here)
        return response

    handler = get_response
    for cls in reversed(chain):
        handler = cls(handler)
    return outcome(handler(request), seen)


async def run_async(chain, request):
    seen = {}

    async def get_response(request):
        if writes_to_the_database(request.path):
            response, seen_here = await sync_to_async(view)(request)
        else:
            response, seen_here = view(request)
        seen.update(seen_here)
        return response

    handler = get_response
    for cls in reversed(chain):
        handler = cls(handler)
    return outcome(await handler(request), seen)


SESSION_SAVE = "django.contrib.sessions.middleware.SessionMiddleware.process_response"
MESSAGES_SAVE = "django.contrib.messages.middleware.MessageMiddleware.process_response"


@dataclass(frozen=True)
class Case:
    djangos: list[type]
    inline: list[type]
    path: str
    did: Callable[[Outcome], bool]  # what shows the middleware did its job
    settings: dict[str, Any] = field(default_factory=dict)
    threads: list[str] = field(default_factory=list)  # hooks that still go to a thread


CASES = {
    "security": Case(
        [security.SecurityMiddleware],
        [ours.SecurityMiddleware],
        "/page",
        lambda found: found.headers["X-Content-Type-Options"] == "nosniff",
    ),
    "ssl redirect": Case(
        [security.SecurityMiddleware],
        [ours.SecurityMiddleware],
        "/page",
        lambda found: found.status == 301 and found.headers["Location"].startswith("https://"),
        settings={"SECURE_SSL_REDIRECT": True},
    ),
    "x-frame-options": Case(
        [clickjacking.XFrameOptionsMiddleware],
        [ours.XFrameOptionsMiddleware],
        "/page",
        lambda found: found.headers["X-Frame-Options"] == "DENY",
    ),
    "csp": Case(
        [csp.CSPMiddleware],
        [ours.CSPMiddleware],
        "/page",
        lambda found: (
            "'nonce-*'" in found.headers["Content-Security-Policy"] and found.seen["nonce"]
        ),
    ),
    "session": Case(
        [sessions.SessionMiddleware],
        [ours.SessionMiddleware],
        "/session",
        lambda found: "sessionid" in found.cookies,
        threads=[SESSION_SAVE],
    ),
    "locale": Case(
        [locale.LocaleMiddleware],
        [ours.LocaleMiddleware],
        "/page",
        lambda found: found.headers["Content-Language"] == found.seen["language"] == "he",
    ),
    "append slash": Case(
        [common.CommonMiddleware],
        [ours.CommonMiddleware],
        "/missing",
        lambda found: found.status == 301 and found.headers["Location"] == "/missing/",
    ),
    "csrf cookie": Case(
        [csrf.CsrfViewMiddleware],
        [ours.CsrfViewMiddleware],
        "/csrf",
        lambda found: "csrftoken" in found.cookies,
    ),
    "authentication": Case(
        [sessions.SessionMiddleware, auth.AuthenticationMiddleware],
        [ours.SessionMiddleware, ours.AuthenticationMiddleware],
        "/page",
        lambda found: found.seen["anonymous"] is True,
    ),
    "messages": Case(
        [sessions.SessionMiddleware, messages.MessageMiddleware],
        [ours.SessionMiddleware, ours.MessageMiddleware],
        "/message",
        lambda found: "sessionid" in found.cookies,
        settings={"MESSAGE_STORAGE": "django.contrib.messages.storage.session.SessionStorage"},
        threads=[MESSAGES_SAVE, SESSION_SAVE],
    ),
}

# This module is the URLconf of these tests: /missing/ exists, for the slash to be appended.
urlpatterns = [path("missing/", lambda request: HttpResponse())]


@pytest.mark.parametrize("name", CASES)
async def test_each_inline_middleware_does_in_async_mode_what_djangos_does(name, settings, hops):
    case = CASES[name]
    settings.ROOT_URLCONF = __name__
    with override_settings(**case.settings):
        request = RequestFactory().get(case.path, HTTP_ACCEPT_LANGUAGE="he")
        expected = await sync_to_async(run_sync)(case.djangos, request)
        hops.clear()
        request = RequestFactory().get(case.path, HTTP_ACCEPT_LANGUAGE="he")
        found = await run_async(case.inline, request)
    if ours.SecurityMiddleware in case.inline:  # ours adds the one header Django does not set
        assert found.headers.pop("Permissions-Policy") == settings.PERMISSIONS_POLICY
    assert found == expected
    assert case.did(found)
    assert [hop for hop in hops if ".process_" in hop] == case.threads
