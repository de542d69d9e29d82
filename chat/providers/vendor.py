"""What the paid vendors share: their SDK clients (one per event loop, our timeouts, the
transport `CHAT_HTTP_TRANSPORT` names, no SDK retries), the base class of their chat models,
and importing the SDKs at start-up and closing the clients at the end.
"""

import asyncio
import weakref
from typing import Any

from django.conf import settings


def retryable_status(status: int) -> bool:
    return status in {408, 409, 429} or status >= 500


# Every SDK client made on an event loop, so that `aclose_clients` can close them all.
_loop_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[Any]]" = (
    weakref.WeakKeyDictionary()
)


class _PerLoopClient:
    """SDK clients hold connections bound to an event loop: one client per running loop."""

    def __init__(self) -> None:
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, make: Any) -> Any:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = make()
            _loop_clients.setdefault(loop, []).append(client)
        return client


def sdk_timeout() -> Any:
    import httpx2

    first_token = settings.CHAT_FIRST_TOKEN_TIMEOUT
    return httpx2.Timeout(connect=5.0, read=first_token, write=10.0, pool=5.0)


def sdk_http_client(vendor: Any) -> Any:
    """The SDK's HTTP client on the transport `CHAT_HTTP_TRANSPORT` names.

    `aiohttp` (the default): the SDK's own `DefaultAioHttpClient`, which reads a stream for
    about half the CPU of the default httpx transport. The timeouts carry over (connect, the
    read timeout as aiohttp's per-read `sock_read`, pool as its total connect time), and so do
    the connection limits. `httpx` keeps the SDK's default transport.
    """
    if settings.CHAT_HTTP_TRANSPORT == "httpx":
        return vendor.DefaultAsyncHttpxClient(timeout=sdk_timeout())
    return vendor.DefaultAioHttpClient(timeout=sdk_timeout())


class VendorChatModel:
    """A paid vendor reached through its SDK: one async client per event loop, no SDK retries
    (failover to the next provider is ours to decide, and only before the first token)."""

    provider = ""
    paid = True
    buffered_reads = True

    def __init__(self, *, api_key: str, model: str, base_url: str | None = None) -> None:
        self.api_key = api_key
        self.model = model
        self.base_url = base_url
        self._clients = _PerLoopClient()
        # aiohttp's reader returns everything buffered; httpx yields one HTTP chunk per read.
        self.buffered_reads = settings.CHAT_HTTP_TRANSPORT != "httpx"

    def _client(self) -> Any:
        return self._clients.get(self._make_client)

    def _make_client(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must build its SDK client")


async def aclose_clients() -> None:
    """Close the vendor clients of the running event loop (tests, shutdown)."""
    for client in _loop_clients.pop(asyncio.get_running_loop(), []):
        await client.close()


def preload_sdks() -> list[str]:
    """Import the configured vendors' SDKs now (server start-up): imported lazily by the first
    chat instead, `anthropic` alone blocks the event loop, and every stream on it, for about
    a second and a half."""
    import importlib

    modules = [
        module
        for module, key in (
            ("anthropic", settings.ANTHROPIC_API_KEY),
            ("openai", settings.OPENAI_API_KEY),
        )
        if key
    ]
    for module in modules:
        importlib.import_module(module)
    return modules
