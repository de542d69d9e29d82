"""Conversations (owner only, bounded queries), usage (admin only), the admin page, health."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from chat.models import Message
from chat.tests.factories import ConversationFactory, MessageFactory
from learnwithavi.models import AIUsage

pytestmark = pytest.mark.django_db

SOURCE = {"number": 1, "chunkId": 3, "youtubeId": "lwaTestEn01", "startTime": 20.0}


def test_conversation_list_is_the_owners_newest_first_in_bounded_queries(
    student, student_client, django_assert_max_num_queries
):
    for index in range(12):
        conversation = ConversationFactory(user=student, title=f"Q{index}")
        MessageFactory.create_batch(2, conversation=conversation)
    ConversationFactory()  # someone else's
    with django_assert_max_num_queries(3):
        response = student_client.get("/api/conversations")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 12
    assert body["results"][0]["title"] == "Q11"
    assert {r["messageCount"] for r in body["results"]} == {2}


def test_conversation_detail_has_messages_and_sources(
    student, student_client, django_assert_max_num_queries
):
    conversation = ConversationFactory(user=student)
    MessageFactory(conversation=conversation)
    MessageFactory(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        content="It is memorizing noise [1].",
        sources=[SOURCE],
        provider="anthropic",
    )
    with django_assert_max_num_queries(3):
        response = student_client.get(f"/api/conversations/{conversation.pk}")
    assert response.status_code == 200
    messages = response.json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[1]["sources"] == [SOURCE]
    assert messages[1]["provider"] == "anthropic"


def test_other_peoples_conversations_are_not_found(student_client):
    theirs = ConversationFactory()
    response = student_client.get(f"/api/conversations/{theirs.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "conversation_not_found"


def test_conversations_need_a_signed_in_user(api_client):
    response = api_client.get("/api/conversations")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def _usage(provider, endpoint, days_ago=0, **amounts):
    row = AIUsage.objects.create(provider=provider, model="m", endpoint=endpoint, **amounts)
    AIUsage.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days_ago)
    )


def test_usage_is_summed_by_day_provider_and_endpoint(admin_client_api):
    _usage("anthropic", "chat", input_tokens=100, output_tokens=10, estimated_cost=Decimal("0.5"))
    _usage(
        "anthropic", "chat", input_tokens=50, cache_read_tokens=7, estimated_cost=Decimal("0.25")
    )
    _usage("openai", "embeddings", input_tokens=30)
    _usage("anthropic", "chat", days_ago=1, input_tokens=1, success=False)
    _usage("anthropic", "chat", days_ago=90, input_tokens=1)
    response = admin_client_api.get("/api/usage")
    assert response.status_code == 200
    body = response.json()
    rows = {(r["day"], r["provider"], r["endpoint"]): r for r in body["rows"]}
    today = timezone.now().date().isoformat()
    chat_today = rows[(today, "anthropic", "chat")]
    assert chat_today["calls"] == 2
    assert chat_today["inputTokens"] == 150
    assert chat_today["cacheReadTokens"] == 7
    assert chat_today["estimatedCost"] == 0.75
    assert len(rows) == 3  # 90 days ago is outside the default 30
    assert body["totals"]["calls"] == 4
    yesterday = next(r for r in body["rows"] if r["day"] != today)
    assert yesterday["failures"] == 1

    response = admin_client_api.get("/api/usage", {"from": "2000-01-01", "to": "2000-01-31"})
    assert response.json()["rows"] == []
    response = admin_client_api.get("/api/usage", {"from": "yesterday"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"to": "0001-01-05"},
        {"from": "0001-01-01", "to": "0001-01-05"},
        {"from": "0001-01-01"},
        {"from": "1969-12-31", "to": "1970-01-05"},
    ],
)
def test_usage_dates_before_1970_are_400(admin_client_api, params):
    response = admin_client_api.get("/api/usage", params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert "1970-01-01" in response.json()["error"]


@pytest.mark.parametrize(
    "params", [{"from": "9999-12-01", "to": "9999-12-31"}, {"to": "9999-12-31"}]
)
def test_usage_dates_at_the_end_of_the_calendar_answer(admin_client_api, params):
    response = admin_client_api.get("/api/usage", params)
    assert response.status_code == 200, response.content
    assert response.json()["rows"] == []


def test_usage_is_for_admins_only(student_client, instructor_client, api_client):
    assert student_client.get("/api/usage").status_code == 403
    assert instructor_client.get("/api/usage").status_code == 403
    assert api_client.get("/api/usage").status_code == 401


def test_admin_shows_usage_summary(client, admin_user):
    _usage("anthropic", "chat", input_tokens=123, estimated_cost=Decimal("0.5"))
    client.force_login(admin_user)
    response = client.get("/admin/learnwithavi/aiusage/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="usage-summary"' in html
    assert "123" in html
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation)
    assert client.get(f"/admin/chat/conversation/{conversation.pk}/change/").status_code == 200


def test_health_names_the_chat_provider_and_its_fallback(admin_client_api, settings):
    settings.ANTHROPIC_API_KEY = "sk-ant-x"
    settings.OPENAI_API_KEY = ""
    settings.CHAT_LOCAL_FALLBACK = True
    chat = admin_client_api.get("/api/health").json()["services"]["chat"]
    assert chat == {
        "status": "ok",
        "provider": "anthropic",
        "model": settings.ANTHROPIC_MODEL,
        "fallback": ["local"],
    }


def test_demo_page_lists_visible_videos(client, django_assert_max_num_queries):
    from courses.tests.factories import CourseFactory, VideoFactory

    VideoFactory(course=CourseFactory(), title="Visible one")
    VideoFactory(course=CourseFactory(is_published=False), title="Hidden one")
    with django_assert_max_num_queries(3):
        response = client.get("/")
    html = response.content.decode()
    assert "Visible one" in html
    assert "Hidden one" not in html
    assert response.cookies["csrftoken"]


def test_the_chat_stream_is_in_the_openapi_schema(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    post = schema["paths"]["/api/chat"]["post"]
    assert "text/event-stream" in post["responses"]["200"]["content"]
    assert schema["components"]["schemas"]["ChatRequest"]["required"] == ["message"]
    assert "/api/conversations" in schema["paths"]
    assert "/api/usage" in schema["paths"]
