"""POST /api/chat's providers: failover before the first token, failures after it, the
relay's shape (coalescing, both transports) and the usage rows written after the stream."""

import json

import pytest

from chat.models import Message
from chat.tests.helpers import post, read_stream
from learnwithavi.models import AIUsage
from testing.fake_anthropic import overloaded, rate_limited, server_error

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("failure", [overloaded, rate_limited, server_error])
async def test_fails_over_to_openai_before_the_first_token(
    async_client, video, fake_anthropic, fake_openai_chat, failure
):
    fake_anthropic.fail_next(failure())
    events, _ = await read_stream(
        await post(async_client, {"message": "What is overfitting?", "videoId": str(video.pk)})
    )
    done = events[-1]
    assert done["type"] == "done"
    assert done["provider"] == "openai"
    assert "(OpenAI)" in done["fullContent"]
    assert len(fake_anthropic.message_requests()) == 1  # no SDK retries: straight to the fallback
    sent = fake_openai_chat.chat_requests()[0]
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    failed = await AIUsage.objects.aget(provider="anthropic")
    assert failed.success is False
    assert await AIUsage.objects.filter(provider="openai", success=True).aexists()


async def test_when_every_paid_provider_fails_the_local_answerer_takes_over(
    async_client, video, fake_anthropic, settings
):
    settings.CHAT_LOCAL_FALLBACK = True
    fake_anthropic.fail_next(overloaded())
    events, _ = await read_stream(
        await post(async_client, {"message": "What is overfitting?", "videoId": str(video.pk)})
    )
    assert events[-1]["provider"] == "local"


async def test_without_fallback_an_outage_is_a_sanitized_error_event(
    async_client, video, fake_anthropic
):
    fake_anthropic.fail_next(overloaded())
    events, _ = await read_stream(
        await post(async_client, {"message": "What is overfitting?", "videoId": str(video.pk)})
    )
    assert events == [
        {
            "type": "error",
            "error": events[0]["error"],
            "code": "provider_unavailable",
        }
    ]
    assert "529" not in events[0]["error"]
    assert "127.0.0.1" not in events[0]["error"]


async def test_a_provider_silent_past_the_first_token_timeout_is_skipped(
    async_client, video, fake_anthropic, fake_openai_chat, settings
):
    from testing.fake_http import Reply

    # The deadline holds for each provider: generous enough for OpenAI on a loaded machine.
    settings.CHAT_FIRST_TOKEN_TIMEOUT = 1.0
    fake_anthropic.fail_next(Reply(delay=3.0, body=b"{}"))
    events, _ = await read_stream(
        await post(async_client, {"message": "What is overfitting?", "videoId": str(video.pk)})
    )
    assert events[-1]["type"] == "done"
    assert events[-1]["provider"] == "openai"


async def test_no_failover_after_the_first_token(
    async_client, video, fake_anthropic, fake_openai_chat, student_token
):
    fake_anthropic.script_stream(
        "Overfitting is when a model [1] memorizes noise", cut_after_tokens=3
    )
    events, _ = await read_stream(
        await post(
            async_client,
            {"message": "What is overfitting?", "videoId": str(video.pk)},
            Authorization=f"Bearer {student_token}",
        )
    )
    assert events[0]["type"] == "content"
    assert events[-1]["type"] == "error"
    assert events[-1]["code"] == "provider_error"
    assert fake_openai_chat.chat_requests() == []
    saved = await Message.objects.aget(role="assistant")
    assert saved.status == Message.Status.FAILED
    assert saved.content.startswith("Overfitting is")


async def test_a_mid_stream_error_event_ends_with_an_error(async_client, video, fake_anthropic):
    fake_anthropic.script_stream("one two three four five", error_after_tokens=2)
    events, _ = await read_stream(
        await post(async_client, {"message": "What is overfitting?", "videoId": str(video.pk)})
    )
    assert "".join(e.get("content", "") for e in events) == "one two "
    assert events[-1]["type"] == "error"


async def test_an_openai_error_event_mid_stream_ends_with_an_error(
    async_client, video, fake_anthropic, fake_openai_chat
):
    from testing.fake_http import Reply, sse

    fake_anthropic.fail_next(overloaded())
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    broken = Reply(
        headers={"Content-Type": "text/event-stream"},
        chunks=sse(
            [
                (None, {**chunk, "choices": [{"index": 0, "delta": {"content": "Half "}}]}),
                (None, {"error": {"type": "server_error", "message": "boom"}}),
            ]
        ),
    )
    serve = fake_openai_chat.handle
    # Only the chat completion breaks (retrieval may ask this fake for embeddings first).
    fake_openai_chat.handle = lambda request: (
        broken if request.path.endswith("/chat/completions") else serve(request)
    )
    events, _ = await read_stream(
        await post(async_client, {"message": "What is overfitting?", "videoId": str(video.pk)})
    )
    assert "".join(e.get("content", "") for e in events) == "Half "
    assert events[-1]["type"] == "error"
    assert events[-1]["code"] == "provider_error"


async def test_tokens_arriving_within_the_window_leave_as_one_event(
    async_client, video, fake_anthropic, settings
):
    settings.CHAT_COALESCE_SECONDS = 0.15
    fake_anthropic.token_interval = 0.01
    words = [f"w{n} " for n in range(40)]
    fake_anthropic.answer = lambda body: "".join(words) + "[1]."
    events, _ = await read_stream(
        await post(async_client, {"message": "What is overfitting?", "videoId": str(video.pk)})
    )
    contents = [e["content"] for e in events if e["type"] == "content"]
    assert "".join(contents) == events[-1]["fullContent"] == "".join(words) + "[1]."
    # 41 tokens over about half a second: a handful of events, not one per token.
    assert len(contents) <= 12


async def test_without_a_window_each_read_leaves_at_once(
    async_client, video, fake_anthropic, settings
):
    settings.CHAT_COALESCE_SECONDS = 0
    fake_anthropic.token_interval = 0.03
    fake_anthropic.answer = lambda body: "one two three four five six [1]."
    events, _ = await read_stream(
        await post(async_client, {"message": "What is overfitting?", "videoId": str(video.pk)})
    )
    contents = [e["content"] for e in events if e["type"] == "content"]
    assert len(contents) >= 5
    assert "".join(contents) == "one two three four five six [1]."


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_both_transports_relay_claude_and_openai(
    async_client, video, fake_anthropic, fake_openai_chat, settings, transport
):
    from chat.providers import _chat_models

    settings.CHAT_HTTP_TRANSPORT = transport
    _chat_models.cache_clear()  # the clients are built per model; new models, new clients
    events, _ = await read_stream(
        await post(async_client, {"message": "What is overfitting?", "videoId": str(video.pk)})
    )
    assert events[-1]["provider"] == "anthropic"
    fake_anthropic.fail_next(overloaded())
    events, _ = await read_stream(
        await post(async_client, {"message": "What is overfitting?", "videoId": str(video.pk)})
    )
    assert events[-1]["provider"] == "openai"
    assert "(OpenAI)" in events[-1]["fullContent"]


async def test_usage_is_written_after_done_and_the_answer_just_before_it(
    async_client, video, fake_anthropic, student_token
):
    # The answer is saved before done, which names it (messageId, for feedback); the usage
    # row waits until the stream is over.
    response = await post(
        async_client,
        {"message": "What is overfitting?", "videoId": str(video.pk)},
        Authorization=f"Bearer {student_token}",
    )
    body = b""
    written_when_done_arrived = None
    async for chunk in response.streaming_content:
        body += chunk
        if b'"type":"done"' in chunk:
            written_when_done_arrived = (
                await AIUsage.objects.acount(),
                await Message.objects.filter(role="assistant").acount(),
            )
    assert written_when_done_arrived == (0, 1)
    assert await AIUsage.objects.filter(provider="anthropic", success=True).acount() == 1
    saved = await Message.objects.aget(role="assistant")
    assert saved.status == Message.Status.COMPLETE
    done = json.loads(body.rsplit(b"data: ", 1)[1])
    assert done["messageId"] == saved.pk
    assert body.endswith(b"}\n\n")


async def test_a_learner_who_leaves_mid_answer_is_no_failure_of_the_provider(
    video, fake_anthropic, student
):
    from chat.services import ChatInput, chat_prepare, chat_stream

    fake_anthropic.answer = lambda body: " ".join(f"word{n}" for n in range(200)) + " [1]."
    fake_anthropic.token_interval = 0.01
    prepared = await chat_prepare(
        user=student, data=ChatInput(message="What is overfitting?", video_id=video.pk)
    )
    stream = chat_stream(prepared)
    async for chunk in stream:
        if b"word3" in chunk:
            break
    await stream.aclose()  # what the server does when the learner leaves
    usage = await AIUsage.objects.aget(provider="anthropic")
    assert usage.success is True  # AIUsage.success: the provider failed in nothing
    assert 0 < usage.output_tokens < 200
    saved = await Message.objects.aget(role="assistant")
    assert saved.status == Message.Status.INTERRUPTED
