"""Django's ASGI handler without a thread for requests that run no sync code (the chat stream).

Django's handler sends `request_started` with `asend` and closes the response with
`sync_to_async(response.close)` (which sends `request_finished`). Their receivers are sync
(closing old database connections, resetting query logs, caches and the URLconf), so every
request hops twice to a thread that asgiref creates for it, and one more thread is started to
join that one at the end: under a burst of chats, that is three thread starts and two hops
per request before the first byte and after the last.

The receivers act on state of the thread or context they run in. Database connections are
thread-local, and under ASGI a request's sync code runs on that request's own thread, so
when the request never made one (no thread-sensitive sync call so far) there is nothing of
the request's to close on any thread: run the receivers right here, on the event loop thread
(which holds no connections: Django refuses sync ORM calls there), and skip the hop. When the
request did run sync code, do exactly what Django does.

`handle` mirrors Django 5.2's, and `request_has_own_thread` reads asgiref internals
(`SyncToAsync.thread_sensitive_context`, `SyncToAsync.context_to_thread_executor`), filled by
Django's `ASGIHandler.__call__` (one ThreadSensitiveContext per request) and asgiref's
`SyncToAsync.__call__`. learnwithavi/tests/test_asgi_handler.py pins the source of all four
(testing/pins.py) and observes the behaviour, so that an upgrade that changes them re-reads this.
"""

import asyncio
import contextlib
from typing import Any, cast

from asgiref.sync import SyncToAsync, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.core.handlers.asgi import get_script_prefix
from django.http import HttpResponseBase
from django.urls import set_script_prefix


def request_has_own_thread() -> bool:
    """Has this request (its asgiref ThreadSensitiveContext) started a thread for sync code?"""
    context = SyncToAsync.thread_sensitive_context.get(None)
    return context is None or context in SyncToAsync.context_to_thread_executor


class ASGIHandler(DjangoASGIHandler):
    async def _request_started(self, scope: dict[str, Any]) -> None:
        if request_has_own_thread():
            await signals.request_started.asend(sender=self.__class__, scope=scope)
        else:
            signals.request_started.send(sender=self.__class__, scope=scope)

    async def _close(self, response: Any) -> None:
        if request_has_own_thread():
            await sync_to_async(response.close)()
        else:
            response.close()

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Django's `handle`, with the two signal sends above instead of the hops."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        await self._request_started(scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            # Django returns a request or an error response.
            await self.send_response(cast(HttpResponseBase, error_response), send)
            await self._close(error_response)
            return

        async def process_request(request: Any, send: Any) -> Any:
            response = await self.run_get_response(request)
            with contextlib.suppress(asyncio.CancelledError):
                await self.send_response(response, send)
            return response

        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request(request, send)),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            response = tasks[1].result()
        except asyncio.CancelledError:
            if request_has_own_thread():
                await signals.request_finished.asend(sender=self.__class__)
            else:
                signals.request_finished.send(sender=self.__class__)
        else:
            await self._close(response)
        body_file.close()


def get_asgi_application() -> ASGIHandler:
    """Like django.core.asgi.get_asgi_application, with the handler above."""
    import django

    django.setup(set_prefix=False)
    return ASGIHandler()
