"""Real sockets: uvicorn serves the app; the learner leaves mid-answer."""

import json
from typing import Any

import httpx
import pytest

from chat.models import Message
from learnwithavi.models import AIUsage
from testing.fake_anthropic import FakeAnthropic
from testing.servers import uvicorn_server
from testing.waiting import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

LONG_ANSWER = " ".join(f"word{n}" for n in range(300)) + " [1]."


def leave_after_five_words(base_url: str, video: Any, token: str) -> str:
    """Ask over a real socket, read the answer's first five words, then close the tab."""
    received = ""
    with httpx.stream(
        "POST",
        f"{base_url}/api/chat",
        json={"message": "What is overfitting?", "videoId": str(video.pk)},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        assert response.headers["x-accel-buffering"] == "no"
        for line in response.iter_lines():
            if line.startswith("data: "):
                event = json.loads(line[6:])
                assert event["type"] == "content"
                received += event["content"]
                if len(received.split()) >= 5:
                    break  # the learner closes the tab
    return received


def assert_upstream_cut_and_answer_kept(fake: Any) -> None:
    """The vendor saw its stream abandoned before the end, and the partial answer was saved."""
    assert wait_for(lambda: fake.streams and fake.streams[0].abandoned)
    assert not fake.streams[0].completed
    assert fake.streams[0].events_sent < len(LONG_ANSWER.split())
    assert wait_for(
        lambda: Message.objects.filter(role="assistant", status=Message.Status.INTERRUPTED).exists()
    )


def test_leaving_mid_answer_cancels_the_upstream_stream_and_keeps_what_was_said(
    video, student_token
):
    with FakeAnthropic(answer=lambda body: LONG_ANSWER, token_interval=0.02) as fake:
        env = {
            "ANTHROPIC_API_KEY": "sk-ant-test-key-000000",
            "ANTHROPIC_BASE_URL": fake.base_url,
            "ANTHROPIC_MODEL": "claude-haiku-4-5",
            "CHAT_LOCAL_FALLBACK": "false",
        }
        with uvicorn_server(env) as base_url:
            received = leave_after_five_words(base_url, video, student_token)
            assert_upstream_cut_and_answer_kept(fake)
    saved = Message.objects.get(role="assistant")
    assert saved.content.startswith(received.strip())
    assert len(saved.content.split()) < 300
    usage = AIUsage.objects.get()
    assert usage.provider == "anthropic"
    assert usage.success is True  # the learner left: no failure of the provider's
    assert usage.input_tokens + usage.cache_write_tokens > 0
    assert 5 <= usage.output_tokens < 300


def test_a_whole_answer_over_real_sockets(video):
    with uvicorn_server({"CHAT_LOCAL_WORD_DELAY": "0"}) as base_url:
        response = httpx.post(
            f"{base_url}/api/chat",
            json={"message": "What is dropout?", "videoId": str(video.pk)},
            timeout=30,
        )
    assert response.status_code == 200
    frames = [f for f in response.text.split("\n\n") if f]
    done = json.loads(frames[-1][6:])
    assert done["type"] == "done"
    assert done["provider"] == "local"
    assert "Dropout randomly switches off neurons" in done["fullContent"]


def test_leaving_mid_answer_cancels_the_openai_fallback_stream(video, student_token):
    from testing.fake_anthropic import overloaded
    from testing.fake_openai_chat import FakeOpenAIChat

    with (
        FakeAnthropic() as claude,
        FakeOpenAIChat(answer=lambda body: LONG_ANSWER, token_interval=0.02) as fake,
    ):
        claude.fail_next(overloaded())
        env = {
            "ANTHROPIC_API_KEY": "sk-ant-test-key-000000",
            "ANTHROPIC_BASE_URL": claude.base_url,
            "OPENAI_API_KEY": "sk-test-openai-0000000000000000",
            "OPENAI_BASE_URL": fake.base_url + "/v1",
            "CHAT_LOCAL_FALLBACK": "false",
        }
        with uvicorn_server(env) as base_url:
            received = leave_after_five_words(base_url, video, student_token)
            assert_upstream_cut_and_answer_kept(fake)
    saved = Message.objects.get(role="assistant")
    assert saved.provider == "openai"
    assert saved.content.startswith(received.strip())
    usage = {row.provider: row for row in AIUsage.objects.all()}
    assert usage["anthropic"].success is False
    assert usage["openai"].success is True  # abandoned by the learner, not failed
    assert 5 <= usage["openai"].output_tokens < 300
