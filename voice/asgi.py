"""An ASGI wrapper that refuses oversized audio uploads while they stream in.

Django's ASGI handler spools a whole request body to a temporary file before any view runs, so
a view can only refuse an oversized upload after it has arrived. Wrapped around the Django
application, `UploadSizeLimit` answers 413 as soon as the declared Content-Length, or the count
of bytes received so far for a chunked body, passes the limit: the rest is never read. A chunked
body within the limit is spooled (to disk past FILE_UPLOAD_MAX_MEMORY_SIZE) and handed on with
its Content-Length, which Django's multipart parser needs.
"""

import json
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from learnwithavi.errors import error_body
from learnwithavi.middleware import security_headers
from learnwithavi.ratelimit import is_trusted_proxy
from learnwithavi.request_context import new_request_id
from voice.uploads import MULTIPART_OVERHEAD, upload_too_large

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LIMITED_PATHS = ("/api/voice/transcribe",)
_REPLAY_CHUNK = 64 * 1024


class _TooLarge(Exception):
    pass


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope.get("headers", []) if key.lower() == name), None)


def _language(scope: Scope) -> str:
    supported = {code for code, _ in settings.LANGUAGES}
    accept = (_header(scope, b"accept-language") or b"").decode("latin-1")
    for code, _ in parse_accept_lang_header(accept):
        if code.split("-")[0] in supported:
            return code.split("-")[0]
    return str(settings.LANGUAGE_CODE)


def _secure(scope: Scope) -> bool:
    if scope.get("scheme") == "https":
        return True
    peer = (scope.get("client") or ("", 0))[0]
    proto = (_header(scope, b"x-forwarded-proto") or b"").decode("latin-1")
    return is_trusted_proxy(peer) and proto.strip().lower() == "https"


async def _reject(scope: Scope, send: Send) -> None:
    limit = settings.VOICE_STT_MAX_BYTES
    with translation.override(_language(scope)):
        error = upload_too_large(limit)
        body = json.dumps(
            error_body(message=error.message, code=error.code), ensure_ascii=False
        ).encode()
    # The same headers the middleware gives every other response (the request never reaches it).
    incoming_id = (_header(scope, b"x-request-id") or b"").decode("latin-1")
    extra = security_headers(request_id=new_request_id(incoming_id), secure=_secure(scope))
    security = [(name.lower().encode(), value.encode("latin-1")) for name, value in extra.items()]
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *security,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class UploadSizeLimit:
    def __init__(self, app: ASGIApp, paths: tuple[str, ...] = LIMITED_PATHS) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") not in self.paths:
            await self.app(scope, receive, send)
            return
        limit = settings.VOICE_STT_MAX_BYTES + MULTIPART_OVERHEAD
        declared = _header(scope, b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > limit:
                await _reject(scope, send)
                return
            await self.app(scope, receive, send)
            return
        await self._chunked(scope, receive, send, limit)

    async def _chunked(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115  closed below
        try:
            received = 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    await _reject(scope, send)
                    return
                spool.write(chunk)
                if not message.get("more_body", False):
                    break
            spool.seek(0)
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"transfer-encoding"]
            scope = {**scope, "headers": [*headers, (b"content-length", str(received).encode())]}
            remaining = received

            async def replay() -> Message:
                nonlocal remaining
                if remaining <= 0:
                    return await receive()  # after the body: wait for the disconnect
                chunk = spool.read(_REPLAY_CHUNK)
                remaining -= len(chunk)
                return {"type": "http.request", "body": chunk, "more_body": remaining > 0}

            await self.app(scope, replay, send)
        finally:
            spool.close()
