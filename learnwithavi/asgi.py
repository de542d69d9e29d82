"""ASGI entry point: uvicorn serves this, so a streaming answer costs a coroutine, not a thread."""

import os
import sys
from typing import Any

from django.conf import settings

from learnwithavi.asgi_handler import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learnwithavi.settings.local")

application: Any = get_asgi_application()

# Oversized audio uploads are refused while they stream in, before Django spools them to disk.
from voice.asgi import UploadSizeLimit  # noqa: E402  needs the apps loaded by get_asgi_application

application = UploadSizeLimit(application)


def _refuse_unsafe_configuration() -> None:
    """uvicorn runs no system checks of its own: production must not start misconfigured."""
    from django.core import checks

    serious = [m for m in checks.run_checks(tags=[checks.Tags.security]) if m.is_serious()]
    if serious:
        for message in serious:
            sys.stderr.write(f"{message}\n")
        raise SystemExit("Refusing to start: fix the configuration errors above.")


_refuse_unsafe_configuration()

# The vendors' SDKs are imported here, before the first request, not by the first chat.
from chat.providers.vendor import preload_sdks  # noqa: E402

preload_sdks()
# Clerk's SDK (half a second to import) too, not by the first signed-in request.
import accounts.clerk  # noqa: E402, F401

if settings.SERVE_STATIC:
    # Admin and Swagger UI assets without a separate web server; only /static/ is affected.
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.core.exceptions import SuspiciousOperation
    from django.http import FileResponse, Http404, HttpRequest

    class StaticFilesHandler(ASGIStaticFilesHandler):
        def serve(self, request: HttpRequest) -> FileResponse:
            try:
                return super().serve(request)
            except SuspiciousOperation:
                # A path that leaves the static roots (/static/../../etc/passwd) is simply absent;
                # Django's handler only turns Http404 into a response, anything else is a 500.
                raise Http404 from None

    application = StaticFilesHandler(application)
