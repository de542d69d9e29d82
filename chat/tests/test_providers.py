"""The vendor classes, driven through the real SDKs against fake servers on 127.0.0.1."""

import uuid

import pytest

from chat.prompts import Turn, build_prompt
from chat.providers import get_chat_models
from chat.providers.anthropic_model import AnthropicChatModel
from chat.providers.base import ProviderError, StreamEnd, TextDelta
from chat.providers.local_model import LocalChatModel
from chat.providers.openai_model import OpenAIChatModel
from rag.types import SearchHit
from testing.fake_anthropic import FakeAnthropic, error_body
from testing.fake_http import Reply
from testing.fake_openai_chat import FakeOpenAIChat
from testing.fake_openai_chat import rate_limited as openai_rate_limited
from testing.servers import free_port

HITS = [
    SearchHit(
        7,
        uuid.uuid4(),
        "lwaTestEn01",
        "Overfitting",
        20.0,
        45.0,
        "Overfitting is memorizing noise.",
        0.9,
    )
]


def prompt(question="What is overfitting?", history=()):
    return build_prompt(
        question=question, sources=HITS, history=list(history), history_token_budget=500
    )


async def collect(model, chat_prompt):
    return [event async for event in model.stream(chat_prompt)]


async def test_anthropic_request_usage_and_cache_reads():
    with FakeAnthropic() as fake:
        model = AnthropicChatModel(
            api_key="sk-ant-test", model="claude-haiku-4-5", base_url=fake.base_url
        )
        history = [Turn("user", "Hi"), Turn("assistant", "Hello [1]")]
        first = await collect(model, prompt(history=history))
        second = await collect(model, prompt("And dropout?", history=history))
    text = "".join(e.text for e in first if isinstance(e, TextDelta))
    assert text.startswith("According to the video")
    end = first[-1]
    assert isinstance(end, StreamEnd)
    assert end.stop_reason == "end_turn"
    assert end.usage.cache_write_tokens > 0
    assert end.usage.output_tokens == len(text.split())
    assert second[-1].usage.cache_read_tokens == end.usage.cache_write_tokens
    sent = fake.message_requests()[0]
    assert sent["model"] == "claude-haiku-4-5"
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert sent["messages"][-1]["content"].endswith("(Answer in English, citing sources as [n].)")


async def test_anthropic_errors_say_whether_to_fail_over():
    with FakeAnthropic() as fake:
        model = AnthropicChatModel(api_key="k", model="m", base_url=fake.base_url)
        fake.fail_next(Reply.json(error_body("invalid_request_error", "bad"), status=400))
        with pytest.raises(ProviderError) as bad_request:
            await collect(model, prompt())
        fake.fail_next(Reply.json(error_body("overloaded_error", "Overloaded"), status=529))
        with pytest.raises(ProviderError) as overloaded:
            await collect(model, prompt())
    assert bad_request.value.retryable is False
    assert overloaded.value.retryable is True
    assert overloaded.value.status == 529


async def test_a_refused_connection_is_retryable():
    model = AnthropicChatModel(api_key="k", model="m", base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ProviderError) as error:
        await collect(model, prompt())
    assert error.value.retryable is True


async def test_openai_stream_with_usage():
    with FakeOpenAIChat() as fake:
        model = OpenAIChatModel(
            api_key="sk-test", model="gpt-4o-mini", base_url=fake.base_url + "/v1"
        )
        events = await collect(model, prompt("מה זה overfitting?"))
        fake.fail_next(openai_rate_limited())
        with pytest.raises(ProviderError) as limited:
            await collect(model, prompt())
    assert "".join(e.text for e in events if isinstance(e, TextDelta)).startswith("לפי הסרטון")
    assert events[-1].usage.output_tokens > 0
    assert events[-1].usage.input_tokens > 0
    sent = fake.chat_requests()[0]
    assert sent["messages"][0]["role"] == "system"
    assert "<sources>" in sent["messages"][0]["content"]
    assert 400 <= sent["max_tokens"] <= 800
    assert limited.value.retryable is True


async def test_local_model_streams_word_by_word():
    events = await collect(LocalChatModel(), prompt())
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 5
    assert all(" " not in d.text.strip() for d in deltas)
    assert "[1]" in "".join(d.text for d in deltas)


def test_provider_chain_follows_the_keys(settings):
    settings.ANTHROPIC_API_KEY = settings.OPENAI_API_KEY = ""
    assert [m.provider for m in get_chat_models()] == ["local"]
    settings.ANTHROPIC_API_KEY = "a"
    settings.OPENAI_API_KEY = "o"
    settings.CHAT_LOCAL_FALLBACK = False
    assert [m.provider for m in get_chat_models()] == ["anthropic", "openai"]
    settings.CHAT_LOCAL_FALLBACK = True
    assert [m.provider for m in get_chat_models()] == ["anthropic", "openai", "local"]


def test_preload_sdks_imports_only_the_configured_vendors(settings):
    import sys

    from chat.providers.vendor import preload_sdks

    settings.ANTHROPIC_API_KEY = "sk-ant-test-key-000000"
    settings.OPENAI_API_KEY = ""
    assert preload_sdks() == ["anthropic"]
    assert "anthropic" in sys.modules
    settings.ANTHROPIC_API_KEY = ""
    assert preload_sdks() == []
