"""POST /api/chat before the stream opens: bad input, who may ask, limits, visibility.

Each of these fails (or passes) as an ordinary JSON response, before the first byte.
"""

import json

import pytest
from django.test import AsyncClient

from chat.models import Conversation
from chat.tests.helpers import post, read_stream
from learnwithavi.models import AIUsage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "malformed_json"),
        ({}, "message_required"),
        ({"message": "  \x00\x07 \n "}, "message_empty"),
        ({"message": "x" * 10_001}, "message_too_long"),
        ({"message": "hi", "videoId": "not-a-uuid"}, "validation_error"),
        ({"message": "hi", "conversationHistory": "nope"}, "validation_error"),
        (
            {"message": "hi", "conversationHistory": [{"role": "user", "content": "a"}] * 21},
            "history_too_long",
        ),
        ({"message": "hi", "conversationHistory": [{"role": "system", "content": "a"}]}, None),
        ({"message": "hi", "position": -3}, "validation_error"),
    ],
)
async def test_invalid_requests_fail_as_json_errors(async_client, video, body, code):
    if isinstance(body, dict) and body.get("message") == "hi" and "videoId" not in body:
        body = {**body, "videoId": str(video.pk)}
    response = await post(async_client, body)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    payload = json.loads(response.content)
    assert set(payload) >= {"error", "code", "timestamp"}
    if code:
        assert payload["code"] == code


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"message": "\\ud800"}', "message"),
        (b'{"message": "hi \\udfff there"}', "message"),
        (b'{"message": "hi", "conversationHistory": [{"role": "user", "content": "\\ud83d"}]}',
         "conversationHistory"),
        (b'{"message": "hi", "\\ud800": 1}', "body"),
    ],
)  # fmt: skip
async def test_a_lone_surrogate_is_a_400_naming_the_field(async_client, raw, field):
    response = await post(async_client, raw, **{"Accept-Language": "en"})
    assert response.status_code == 400, response.content
    payload = json.loads(response.content)
    assert payload["code"] == "validation_error"
    assert payload["error"].startswith(f"{field}: ")


async def test_an_escaped_surrogate_pair_is_an_ordinary_character(async_client, video):
    raw = b'{"message": "what is \\ud83d\\ude00?", "videoId": "%s"}' % str(video.pk).encode()
    response = await post(async_client, raw)
    assert response.status_code == 200
    await read_stream(response)


async def test_a_message_of_exactly_10000_characters_is_accepted(async_client, video):
    response = await post(
        async_client, {"message": "regularization " * 666 + "abcdefghij", "videoId": str(video.pk)}
    )
    assert response.status_code == 200


async def test_get_is_not_allowed(async_client):
    response = await async_client.get("/api/chat")
    assert response.status_code == 405
    assert json.loads(response.content)["code"] == "method_not_allowed"


async def test_anonymous_learners_need_an_account_when_the_setting_says_so(
    async_client, video, settings
):
    settings.CHAT_ALLOW_ANONYMOUS = False
    response = await post(
        async_client, {"message": "What is overfitting?", "videoId": str(video.pk)}
    )
    assert response.status_code == 401
    assert json.loads(response.content)["code"] == "not_authenticated"


async def test_an_unknown_token_is_refused(async_client, video):
    response = await post(
        async_client,
        {"message": "What is overfitting?", "videoId": str(video.pk)},
        Authorization="Bearer not-a-real-token",
    )
    assert response.status_code == 401


async def test_session_users_need_the_csrf_token(video, student):
    client = AsyncClient(enforce_csrf_checks=True)
    await client.aforce_login(student)
    body = {"message": "What is overfitting?", "videoId": str(video.pk)}
    response = await post(client, body)
    assert response.status_code == 403
    assert json.loads(response.content)["code"] == "csrf_failed"

    page = await client.get("/")
    token = page.cookies["csrftoken"].value
    response = await post(client, body, **{"X-CSRFToken": token})
    assert response.status_code == 200
    events, _ = await read_stream(response)
    assert events[-1]["conversationId"]


async def test_token_clients_need_no_csrf_token(video, student_token):
    client = AsyncClient(enforce_csrf_checks=True)
    response = await post(
        client,
        {"message": "What is overfitting?", "videoId": str(video.pk)},
        Authorization=f"Token {student_token}",
    )
    assert response.status_code == 200
    await read_stream(response)


async def test_rate_limit_is_ten_per_minute_per_user(async_client, video, student_token):
    auth = {"Authorization": f"Bearer {student_token}"}
    body = {"message": "What is overfitting?", "videoId": str(video.pk)}
    for _ in range(10):
        response = await post(async_client, body, **auth)
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "10"
        await read_stream(response)
    response = await post(async_client, body, **auth)
    assert response.status_code == 429
    assert json.loads(response.content)["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    # Another client (anonymous, by IP) has its own window.
    response = await post(async_client, body)
    assert response.status_code == 200


async def test_daily_token_budget_answers_429_when_spent(
    async_client, video, student, student_token, settings
):
    settings.CHAT_DAILY_TOKEN_BUDGET = 1000
    await AIUsage.objects.acreate(
        provider="anthropic",
        model="m",
        endpoint="chat",
        user=student,
        input_tokens=990,
        output_tokens=20,
    )
    response = await post(
        async_client,
        {"message": "What is overfitting?", "videoId": str(video.pk)},
        Authorization=f"Bearer {student_token}",
    )
    assert response.status_code == 429
    assert json.loads(response.content)["code"] == "token_budget_exceeded"


async def test_hidden_or_unknown_video_is_not_found(async_client, video, hidden_video):
    response = await post(async_client, {"message": "What is it?", "videoId": str(hidden_video.pk)})
    assert response.status_code == 404
    assert json.loads(response.content)["code"] == "video_not_found"
    response = await post(
        async_client, {"message": "What?", "courseId": "00000000-0000-0000-0000-000000000000"}
    )
    assert response.status_code == 404


async def test_someone_elses_conversation_is_not_found(
    async_client, video, student_token, instructor
):
    other = await Conversation.objects.acreate(user=instructor, video=video, title="theirs")
    response = await post(
        async_client,
        {"message": "continue", "conversationId": str(other.pk)},
        Authorization=f"Bearer {student_token}",
    )
    assert response.status_code == 404
    assert json.loads(response.content)["code"] == "conversation_not_found"


async def test_an_unpublished_video_is_visible_to_its_owner_only_whoever_asks_first(
    async_client, hidden_video, other_instructor, student, instructor
):
    from rest_framework.authtoken.models import Token

    tokens = {}
    for user in (student, other_instructor, instructor):
        tokens[user.pk] = (await Token.objects.acreate(user=user)).key
    body = {"message": "What is the secret?", "videoId": str(hidden_video.pk)}
    # Each signed-in user shares the compiled visibility statement with the others.
    for user, status in (
        (student, 404),
        (other_instructor, 200),
        (instructor, 404),
        (other_instructor, 200),
        (student, 404),
    ):
        response = await post(async_client, body, Authorization=f"Bearer {tokens[user.pk]}")
        assert response.status_code == status, user
        if status == 200:
            await read_stream(response)
    assert (await post(async_client, body)).status_code == 404  # anonymous
