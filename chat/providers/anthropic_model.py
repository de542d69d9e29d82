"""Claude through the `anthropic` SDK, its Messages stream read as raw SSE events."""

import json
from collections.abc import AsyncIterator
from typing import Any

from chat.prompts import ChatPrompt
from chat.providers.base import (
    KeepAlive,
    ProviderError,
    StreamEnd,
    StreamEvent,
    TextDelta,
    Usage,
    UsageUpdate,
)
from chat.providers.sse import SSEParser
from chat.providers.vendor import VendorChatModel, retryable_status, sdk_http_client, sdk_timeout

_RETRYABLE_STREAM_ERRORS = {"overloaded_error", "api_error", "rate_limit_error"}


class AnthropicChatModel(VendorChatModel):
    """Claude through the `anthropic` SDK; the system prompt and the sources are cached blocks."""

    provider = "anthropic"

    def _make_client(self) -> Any:
        import anthropic

        return anthropic.AsyncAnthropic(
            api_key=self.api_key,
            base_url=self.base_url,
            max_retries=0,
            timeout=sdk_timeout(),
            http_client=sdk_http_client(anthropic),
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
                retryable=retryable_status(error.status_code),
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
