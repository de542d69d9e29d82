"""OpenAI Chat Completions through the `openai` SDK (the fallback), its chunks read raw."""

import json
from collections.abc import AsyncIterator
from typing import Any

from chat.prompts import ChatPrompt
from chat.providers.base import ProviderError, StreamEnd, StreamEvent, TextDelta, Usage
from chat.providers.sse import SSEParser
from chat.providers.vendor import VendorChatModel, retryable_status, sdk_http_client, sdk_timeout


class OpenAIChatModel(VendorChatModel):
    """OpenAI Chat Completions through the `openai` SDK (the fallback)."""

    provider = "openai"

    def _make_client(self) -> Any:
        import openai

        return openai.AsyncOpenAI(
            api_key=self.api_key,
            base_url=self.base_url,
            max_retries=0,
            timeout=sdk_timeout(),
            http_client=sdk_http_client(openai),
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
                retryable=retryable_status(error.status_code),
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
