"""Chat models: one Protocol, one class per vendor, and the fallback chain picked from settings.

`base` holds the protocol and our own events; `anthropic_model`, `openai_model` and
`local_model` one vendor each; `vendor` what the paid ones share (their SDK clients); `sse` the
raw event reader. Vendor SDKs are imported inside their class, and what they return is turned
into our `TextDelta` / `StreamEnd` events and `ProviderError`s there, so no SDK type leaves this
package. SDK retries are off: a failing provider hands over to the next one at once (before the
first token only; `chat.services` enforces that).
"""

from collections.abc import Sequence
from functools import cache

from django.conf import settings

from chat.providers.anthropic_model import AnthropicChatModel
from chat.providers.base import ChatModel
from chat.providers.local_model import LocalChatModel
from chat.providers.openai_model import OpenAIChatModel


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
