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


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class StreamEnd:
    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None


@dataclass(frozen=True)
class UsageUpdate:
    """Usage known mid-stream (input tokens at the start), kept in case the stream is cut."""

    usage: Usage


StreamEvent = TextDelta | UsageUpdate | StreamEnd


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

    def stream(self, prompt: ChatPrompt) -> AsyncIterator[StreamEvent]:
        """Text deltas, then one StreamEnd. Raises ProviderError."""
        ...


_RETRYABLE_STREAM_ERRORS = {"overloaded_error", "api_error", "rate_limit_error"}


async def sse_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[str, bytes]]:
    """(event name, data) of each Server-Sent Event in a byte stream; comments skipped."""
    buffer = b""
    async for chunk in chunks:
        buffer += chunk
        if b"\n\n" not in buffer and b"\r\n\r\n" not in buffer:
            continue
        if b"\r" in buffer:
            buffer = buffer.replace(b"\r\n", b"\n")
        *frames, buffer = buffer.split(b"\n\n")
        for frame in frames:
            event = ""
            data: list[bytes] = []
            for line in frame.split(b"\n"):
                if line.startswith(b"data:"):
                    data.append(line[6:] if line[5:6] == b" " else line[5:])
                elif line.startswith(b"event:"):
                    event = line[6:].strip().decode()
            if data:
                yield event, b"\n".join(data)


def _retryable_status(status: int) -> bool:
    return status in {408, 409, 429} or status >= 500


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
        return client


def _timeout() -> Any:
    import httpx2

    first_token = settings.CHAT_FIRST_TOKEN_TIMEOUT
    return httpx2.Timeout(connect=5.0, read=first_token, write=10.0, pool=5.0)


class _VendorChatModel:
    """A paid vendor reached through its SDK: one async client per event loop, no SDK retries
    (failover to the next provider is ours to decide, and only before the first token)."""

    provider = ""
    paid = True

    def __init__(self, *, api_key: str, model: str, base_url: str | None = None) -> None:
        self.api_key = api_key
        self.model = model
        self.base_url = base_url
        self._clients = _PerLoopClient()

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
            api_key=self.api_key, base_url=self.base_url, max_retries=0, timeout=_timeout()
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
        try:
            # The SDK makes the request (auth, headers, status errors); the events are read
            # raw: its typed model per token costs more CPU than the rest of the relay.
            response = await self._client().messages.create(**self.request(prompt), stream=True)
            async with response:
                async for event, data in sse_events(response.response.aiter_bytes()):
                    if event == "content_block_delta":
                        delta = json.loads(data)["delta"]
                        if delta.get("type") == "text_delta" and delta.get("text"):
                            yield TextDelta(delta["text"])
                    elif event == "message_start":
                        start = json.loads(data)["message"].get("usage") or {}
                        usage["input_tokens"] = start.get("input_tokens") or 0
                        usage["cache_read_tokens"] = start.get("cache_read_input_tokens") or 0
                        usage["cache_write_tokens"] = start.get("cache_creation_input_tokens") or 0
                        usage["output_tokens"] = start.get("output_tokens") or 0
                        yield UsageUpdate(Usage(**usage))
                    elif event == "message_delta":
                        payload = json.loads(data)
                        usage["output_tokens"] = (payload.get("usage") or {}).get(
                            "output_tokens"
                        ) or usage.get("output_tokens", 0)
                        stop_reason = (payload.get("delta") or {}).get("stop_reason")
                    elif event == "message_stop":
                        stopped = True
                    elif event == "error":
                        kind = (json.loads(data).get("error") or {}).get("type", "")
                        raise ProviderError(
                            f"anthropic stream error {kind}",
                            provider=self.provider,
                            retryable=kind in _RETRYABLE_STREAM_ERRORS,
                        )
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
            api_key=self.api_key, base_url=self.base_url, max_retries=0, timeout=_timeout()
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
        import openai

        usage = Usage()
        stop_reason: str | None = None
        try:
            response = await self._client().chat.completions.create(
                **self.request(prompt), stream=True
            )
            async with response:
                async for chunk in response:
                    for choice in chunk.choices:
                        text = choice.delta.content if choice.delta else None
                        if text:
                            yield TextDelta(text)
                        if choice.finish_reason:
                            stop_reason = choice.finish_reason
                    if chunk.usage is not None:
                        details = chunk.usage.prompt_tokens_details
                        cached = (details.cached_tokens or 0) if details else 0
                        usage = Usage(
                            input_tokens=chunk.usage.prompt_tokens - cached,
                            output_tokens=chunk.usage.completion_tokens,
                            cache_read_tokens=cached,
                        )
        except openai.APIStatusError as error:
            raise ProviderError(
                f"openai {error.status_code}",
                provider=self.provider,
                retryable=_retryable_status(error.status_code),
                status=error.status_code,
            ) from error
        except openai.APIConnectionError as error:
            raise ProviderError(
                "openai connection failed", provider=self.provider, retryable=True
            ) from error
        if stop_reason is None:
            raise ProviderError("openai stream ended early", provider=self.provider, retryable=True)
        yield StreamEnd(usage, stop_reason)


class LocalChatModel:
    """The extractive answerer: quotes the best transcript sentences, word by word."""

    provider = "local"
    model = "extractive-v1"
    paid = False

    def __init__(self, *, word_delay: float = 0.0) -> None:
        self.word_delay = word_delay

    async def stream(self, prompt: ChatPrompt) -> AsyncIterator[StreamEvent]:
        answer = compose_answer(prompt.question, prompt.sources)
        words = answer.split(" ")
        for index, word in enumerate(words):
            yield TextDelta(word if index == len(words) - 1 else word + " ")
            await asyncio.sleep(self.word_delay)
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
