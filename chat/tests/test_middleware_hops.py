"""The async-native middleware (learnwithavi/middleware.py): no thread hops, same behaviour."""

import json
import re

import pytest
from django.test import AsyncClient

from chat.tests.helpers import read_stream

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_chat_request_makes_no_middleware_thread_hops(video, hops):
    response = await AsyncClient().post(
        "/api/chat",
        json.dumps({"message": "What is overfitting?", "videoId": str(video.pk)}),
        content_type="application/json",
    )
    events, _ = await read_stream(response)
    assert events[-1]["type"] == "done"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Language"]
    middleware_hops = [
        h for h in hops if re.search(r"middleware|process_(request|response|view)", h)
    ]
    assert middleware_hops == []


async def test_admin_sign_in_still_saves_the_session_and_checks_csrf(admin_user):
    client = AsyncClient(enforce_csrf_checks=True)
    page = await client.get("/admin/login/")
    token = page.cookies["csrftoken"].value
    refused = await client.post(
        "/admin/login/", {"username": admin_user.email, "password": "correct-horse-battery"}
    )
    assert refused.status_code == 403
    response = await client.post(
        "/admin/login/?next=/admin/",
        {
            "username": admin_user.email,
            "password": "correct-horse-battery",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    assert "sessionid" in response.cookies
    assert (await client.get("/admin/")).status_code == 200
