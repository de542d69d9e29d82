"""Chat models: one Protocol, one class per vendor, and the fallback chain picked from settings.

Vendor SDKs are imported inside their class; what they return is turned into our own
`TextDelta` / `StreamEnd` events and `ProviderError`s here, so no SDK type leaves this module.
SDK retries are off: a failing provider hands over to the next one at once (before the first
token only; `chat.services` enforces that).
"""

import asyncio
import json
import time
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from django.conf import settings

from chat.extractive import compose_answer
from chat.prompts import ChatPrompt


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + self.cache_write_tokens
        )


@dataclass(frozen=True, slots=True)
class TextDelta:
    """Text that arrived in one read from the vendor: `tokens` deltas joined."""

    text: str
    tokens: int = 1


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """The vendor's own keep-alive (Anthropic's `ping`): the stream is alive but silent."""


@dataclass(frozen=True)
class StreamEnd:
    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None


@dataclass(frozen=True)
class UsageUpdate:
    """Usage known mid-stream (input tokens at the start), kept in case the stream is cut."""

    usage: Usage


StreamEvent = TextDelta | KeepAlive | UsageUpdate | StreamEnd


class ProviderError(Exception):
    """A provider failed. `retryable`: overloaded, rate-limited, 5xx, timeout, connection."""

    def __init__(self, message: str, *, provider: str, retryable: bool, status: int | None = None):
        super().__init__(message)
        self.provider = provider
        self.retryable = retryable
        self.status = status


class ChatModel(Protocol):
    provider: str  # "anthropic", "openai", "local": what `done` and usage rows name
    model: str
    paid: bool  # paid calls write an AIUsage row
    # A read returns all the text that has arrived (so pausing between reads coalesces it);
    # False when each read is one upstream chunk, i.e. one token (httpx's chunked decoding).
    buffered_reads: bool

    def stream(self, prompt: ChatPrompt) -> AsyncIterator[StreamEvent]:
        """Text deltas (one per read from the vendor), then one StreamEnd. Raises ProviderError."""
        ...


_RETRYABLE_STREAM_ERRORS = {"overloaded_error", "api_error", "rate_limit_error"}


class SSEParser:
    """The Server-Sent Events of a byte stream, fed one read at a time; comments skipped."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[tuple[str, bytes]]:
        """(event name, data) of each event the bytes so far complete."""
        buffer = self._buffer + chunk
        if b"\n\n" not in buffer and b"\r\n\r\n" not in buffer:
            self._buffer = buffer
            return []
        if b"\r" in buffer:
            buffer = buffer.replace(b"\r\n", b"\n")
        *frames, self._buffer = buffer.split(b"\n\n")
        events: list[tuple[str, bytes]] = []
        for frame in frames:
            event = ""
            data: list[bytes] = []
            for line in frame.split(b"\n"):
                if line.startswith(b"data:"):
                    data.append(line[6:] if line[5:6] == b" " else line[5:])
                elif line.startswith(b"event:"):
                    event = line[6:].strip().decode()
            if data:
                events.append((event, b"\n".join(data)))
        return events


async def sse_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[str, bytes]]:
    """(event name, data) of each Server-Sent Event in a byte stream; comments skipped."""
    parser = SSEParser()
    async for chunk in chunks:
        for event in parser.feed(chunk):
            yield event


def _retryable_status(status: int) -> bool:
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


def _timeout() -> Any:
    import httpx2

    first_token = settings.CHAT_FIRST_TOKEN_TIMEOUT
    return httpx2.Timeout(connect=5.0, read=first_token, write=10.0, pool=5.0)


def _http_client(vendor: Any) -> Any:
    """The SDK's HTTP client on the transport `CHAT_HTTP_TRANSPORT` names.

    `aiohttp` (the default): the SDK's own `DefaultAioHttpClient`, which reads a stream for
    about half the CPU of the default httpx transport. The timeouts carry over (connect, the
    read timeout as aiohttp's per-read `sock_read`, pool as its total connect time), and so do
    the connection limits. `httpx` keeps the SDK's default transport.
    """
    if settings.CHAT_HTTP_TRANSPORT == "httpx":
        return vendor.DefaultAsyncHttpxClient(timeout=_timeout())
    return vendor.DefaultAioHttpClient(timeout=_timeout())


class _VendorChatModel:
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


class AnthropicChatModel(_VendorChatModel):
    """Claude through the `anthropic` SDK; the system prompt and the sources are cached blocks."""

    provider = "anthropic"

    def _make_client(self) -> Any:
        import anthropic

        return anthropic.AsyncAnthropic(
            api_key=self.api_key,
            base_url=self.base_url,
            max_retries=0,
            timeout=_timeout(),
            http_client=_http_client(anthropic),
        )

    def request(self, prompt: ChatPrompt) -> dict[str, Any]:
        """The Messages API parameters (public so tests can read what would be sent)."""
        ephemeral = {"type": "ephemeral"}
        messages: list[dict[str, Any]] = [
            {"role": turn.role, "content": turn.content} for turn in prompt.history
        ]
        messages.append({"role": "user", "content": prompt.question_text()})
        return {
            "model": self.model,
            "max_tokens": prompt.max_tokens,
            "system": [
                {"type": "text", "text": prompt.system, "cache_control": ephemeral},
                {"type": "text", "text": prompt.context, "cache_control": ephemeral},
            ],
            "messages": messages,
        }

    async def stream(self, prompt: ChatPrompt) -> AsyncIterator[StreamEvent]:
        import anthropic
        import httpx2

        usage: dict[str, int] = {}
        stop_reason: str | None = None
        stopped = False
        loads = json.loads
        parser = SSEParser()
        try:
            # The SDK makes the request (auth, headers, status errors); the events are read
            # raw: its typed model per token costs more CPU than the rest of the relay.
            response = await self._client().messages.create(**self.request(prompt), stream=True)
            async with response:
                async for chunk in response.response.aiter_bytes():
                    texts: list[str] = []
                    for event, data in parser.feed(chunk):
                        if event == "content_block_delta":
                            delta = loads(data)["delta"]
                            if delta.get("type") == "text_delta" and delta.get("text"):
                                texts.append(delta["text"])
                        elif event == "ping":
                            yield KeepAlive()
                        elif event == "message_start":
                            start = loads(data)["message"].get("usage") or {}
                            usage["input_tokens"] = start.get("input_tokens") or 0
                            usage["cache_read_tokens"] = start.get("cache_read_input_tokens") or 0
                            usage["cache_write_tokens"] = (
                                start.get("cache_creation_input_tokens") or 0
                            )
                            usage["output_tokens"] = start.get("output_tokens") or 0
                            yield UsageUpdate(Usage(**usage))
                        elif event == "message_delta":
                            payload = loads(data)
                            usage["output_tokens"] = (payload.get("usage") or {}).get(
                                "output_tokens"
                            ) or usage.get("output_tokens", 0)
                            stop_reason = (payload.get("delta") or {}).get("stop_reason")
                        elif event == "message_stop":
                            stopped = True
                        elif event == "error":
                            if texts:  # what arrived before the error is still said
                                yield TextDelta("".join(texts), len(texts))
                                texts = []
                            kind = (loads(data).get("error") or {}).get("type", "")
                            raise ProviderError(
                                f"anthropic stream error {kind}",
                                provider=self.provider,
                                retryable=kind in _RETRYABLE_STREAM_ERRORS,
                            )
                    if texts:
                        yield TextDelta(texts[0] if len(texts) == 1 else "".join(texts), len(texts))
        except anthropic.APIStatusError as error:
            raise ProviderError(
                f"anthropic {error.status_code}",
                provider=self.provider,
                retryable=_retryable_status(error.status_code),
                status=error.status_code,
            ) from error
        except (anthropic.APIConnectionError, httpx2.TransportError) as error:  # timeouts too
            raise ProviderError(
                "anthropic connection failed", provider=self.provider, retryable=True
            ) from error
        except (ValueError, KeyError, TypeError) as error:
            raise ProviderError(
                "anthropic sent an unreadable event", provider=self.provider, retryable=False
            ) from error
        if not stopped:
            # The connection ended without message_stop: the answer is cut short.
            raise ProviderError(
                "anthropic stream ended early", provider=self.provider, retryable=True
            )
        yield StreamEnd(Usage(**usage), stop_reason)


class OpenAIChatModel(_VendorChatModel):
    """OpenAI Chat Completions through the `openai` SDK (the fallback)."""

    provider = "openai"

    def _make_client(self) -> Any:
        import openai

        return openai.AsyncOpenAI(
            api_key=self.api_key,
            base_url=self.base_url,
            max_retries=0,
            timeout=_timeout(),
            http_client=_http_client(openai),
        )

    def request(self, prompt: ChatPrompt) -> dict[str, Any]:
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": f"{prompt.system}\n\n{prompt.context}"}
        ]
        messages.extend({"role": t.role, "content": t.content} for t in prompt.history)
        messages.append({"role": "user", "content": prompt.question_text()})
        return {
            "model": self.model,
            "max_tokens": prompt.max_tokens,
            "messages": messages,
            "stream_options": {"include_usage": True},
        }

    async def stream(self, prompt: ChatPrompt) -> AsyncIterator[StreamEvent]:
        import httpx2
        import openai

        usage = Usage()
        stop_reason: str | None = None
        loads = json.loads
        parser = SSEParser()
        finished = False
        try:
            # As for Anthropic: the SDK makes the request, the chunks are read raw (its typed
            # ChatCompletionChunk per token costs more than the relay).
            response = await self._client().chat.completions.create(
                **self.request(prompt), stream=True
            )
            async with response:
                async for raw in response.response.aiter_bytes():
                    texts: list[str] = []
                    for _event, data in parser.feed(raw):
                        if finished or data.startswith(b"[DONE]"):
                            finished = True
                            continue
                        chunk = loads(data)
                        if chunk.get("error"):
                            if texts:  # what arrived before the error is still said
                                yield TextDelta("".join(texts), len(texts))
                                texts = []
                            kind = str((chunk["error"] or {}).get("type") or "")
                            raise ProviderError(
                                f"openai stream error {kind}",
                                provider=self.provider,
                                retryable=kind in {"server_error", "rate_limit_exceeded"},
                            )
                        for choice in chunk.get("choices") or ():
                            text = (choice.get("delta") or {}).get("content")
                            if text:
                                texts.append(text)
                            if choice.get("finish_reason"):
                                stop_reason = choice["finish_reason"]
                        if chunk.get("usage"):
                            counts = chunk["usage"]
                            details = counts.get("prompt_tokens_details") or {}
                            cached = details.get("cached_tokens") or 0
                            usage = Usage(
                                input_tokens=(counts.get("prompt_tokens") or 0) - cached,
                                output_tokens=counts.get("completion_tokens") or 0,
                                cache_read_tokens=cached,
                            )
                    if texts:
                        yield TextDelta(texts[0] if len(texts) == 1 else "".join(texts), len(texts))
        except openai.APIStatusError as error:
            raise ProviderError(
                f"openai {error.status_code}",
                provider=self.provider,
                retryable=_retryable_status(error.status_code),
                status=error.status_code,
            ) from error
        except (openai.APIConnectionError, httpx2.TransportError) as error:  # timeouts too
            raise ProviderError(
                "openai connection failed", provider=self.provider, retryable=True
            ) from error
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ProviderError(
                "openai sent an unreadable chunk", provider=self.provider, retryable=False
            ) from error
        if stop_reason is None:
            raise ProviderError("openai stream ended early", provider=self.provider, retryable=True)
        yield StreamEnd(usage, stop_reason)


class LocalChatModel:
    """The extractive answerer: quotes the best transcript sentences, word by word."""

    provider = "local"
    model = "extractive-v1"
    paid = False
    buffered_reads = True

    def __init__(self, *, word_delay: float = 0.0) -> None:
        self.word_delay = word_delay

    async def stream(self, prompt: ChatPrompt) -> AsyncIterator[StreamEvent]:
        answer = compose_answer(prompt.question, prompt.sources)
        words = [word + " " for word in answer.split(" ")]
        words[-1] = words[-1][:-1]
        delay = self.word_delay
        if not delay:
            for word in words:
                yield TextDelta(word)
                await asyncio.sleep(0)
        else:
            # Word n is due n delays after the start; a reader that comes back later (the
            # relay pauses between reads to coalesce) gets every word due by then at once.
            loop = asyncio.get_running_loop()
            started = loop.time()
            sent = 0
            while sent < len(words):
                due = min(len(words), int((loop.time() - started) / delay) + 1)
                if due <= sent:
                    await asyncio.sleep(started + sent * delay - loop.time())
                    continue
                yield TextDelta("".join(words[sent:due]), due - sent)
                sent = due
        yield StreamEnd(Usage(output_tokens=len(words)), "end_turn")


@cache
def _chat_models(
    anthropic_key: str,
    anthropic_model: str,
    anthropic_url: str | None,
    openai_key: str,
    openai_model: str,
    openai_url: str | None,
    local_fallback: bool,
    word_delay: float,
) -> tuple[ChatModel, ...]:
    models: list[ChatModel] = []
    if anthropic_key:
        models.append(
            AnthropicChatModel(api_key=anthropic_key, model=anthropic_model, base_url=anthropic_url)
        )
    if openai_key:
        models.append(OpenAIChatModel(api_key=openai_key, model=openai_model, base_url=openai_url))
    if not models or local_fallback:
        models.append(LocalChatModel(word_delay=word_delay))
    return tuple(models)


def get_chat_models() -> Sequence[ChatModel]:
    """The providers to try in order: Claude, then OpenAI, then (or only) the local answerer."""
    return _chat_models(
        settings.ANTHROPIC_API_KEY,
        settings.ANTHROPIC_MODEL,
        settings.ANTHROPIC_BASE_URL,
        settings.OPENAI_API_KEY,
        settings.OPENAI_CHAT_MODEL,
        settings.OPENAI_BASE_URL,
        settings.CHAT_LOCAL_FALLBACK,
        settings.CHAT_LOCAL_WORD_DELAY,
    )


async def aclose_clients() -> None:
    """Close the vendor clients of the running event loop (tests, shutdown)."""
    for client in _loop_clients.pop(asyncio.get_running_loop(), []):
        await client.close()


def elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


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
