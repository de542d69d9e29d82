"""The chat stream with a Clerk session token: end to end, and still no thread hop when warm."""

import json

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient

from accounts.models import User
from chat.models import Conversation
from chat.tests.helpers import parse_events, read_stream
from learnwithavi.asgi_handler import ASGIHandler
from testing.fake_clerk import new_clerk_id

pytestmark = pytest.mark.django_db(transaction=True)


async def _chat(video, authorization):
    return await AsyncClient().post(
        "/api/chat",
        json.dumps({"message": "What is overfitting?", "videoId": str(video.pk)}),
        content_type="application/json",
        headers={"Authorization": authorization},
    )


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
async def test_a_clerk_learner_chats_and_the_conversation_is_theirs(clerk, video, scheme):
    clerk_id = new_clerk_id()
    response = await _chat(video, f"{scheme} {clerk.token(clerk_id)}")
    assert response.status_code == 200
    events, _ = await read_stream(response)
    done = events[-1]
    assert done["type"] == "done"
    user = await User.objects.aget(clerk_id=clerk_id)  # created on first sight
    conversation = await Conversation.objects.aget(pk=done["conversationId"])
    assert conversation.user_id == user.pk
    # the same learner again: the same account
    again, _ = await read_stream(await _chat(video, f"Bearer {clerk.token(clerk_id)}"))
    assert again[-1]["type"] == "done"
    assert await User.objects.filter(clerk_id=clerk_id).acount() == 1


async def test_lower_case_bearer_with_our_api_token_is_not_anonymous(video, student_token):
    response = await _chat(video, f"bearer {student_token}")
    events, _ = await read_stream(response)
    assert events[-1]["type"] == "done"
    assert await Conversation.objects.filter(pk=events[-1]["conversationId"]).aexists()


async def _asgi_post(application, path, body, authorization):
    """One request through the ASGI application: (status, body)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"authorization", authorization.encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent = []

    async def receive():
        import asyncio

        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()

    async def send(message):
        sent.append(message)

    await application(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


async def test_a_warm_clerk_chat_makes_no_thread_hop(clerk, video, hops):
    """CLERK_JWT_KEY set: the token is verified on the event loop, the user read on the pool."""
    application = ASGIHandler()
    clerk_id = new_clerk_id()
    body = json.dumps({"message": "What is overfitting?", "videoId": str(video.pk)}).encode()
    # the first request creates the user (a thread hop) and warms the pool and caches
    status, _ = await _asgi_post(application, "/api/chat", body, f"Bearer {clerk.token(clerk_id)}")
    assert status == 200
    token = clerk.token(clerk_id)
    hops.clear()
    status, answer = await _asgi_post(application, "/api/chat", body, f"Bearer {token}")
    assert status == 200
    events, _ = parse_events(answer)
    assert events[-1]["type"] == "done"
    assert hops == []
    conversation = await sync_to_async(Conversation.objects.get)(pk=events[-1]["conversationId"])
    assert (await sync_to_async(lambda: conversation.user.clerk_id)()) == clerk_id
