"""Speech for the demo page's user: a signed-in session with a valid CSRF token is served."""

import pytest
from django.test import AsyncClient

from voice.tests.helpers import read_stream

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/voice/tts"


async def _session_client(user):
    client = AsyncClient(enforce_csrf_checks=True)
    await client.aforce_login(user)
    page = await client.get("/admin/login/")  # any page that renders the CSRF token
    return client, page.cookies["csrftoken"].value


async def test_a_session_with_a_csrf_token_gets_speech_not_415(student, no_voice_vendors):
    client, csrf_token = await _session_client(student)
    response = await client.post(
        URL,
        {"text": "Welcome to the lesson.", "language": "en"},
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token},
    )
    assert response.status_code == 200, response.content
    assert response["X-TTS-Provider"] == "espeak-ng"
    assert (await read_stream(response))[:4] == b"RIFF"


async def test_a_session_without_the_csrf_token_is_refused(student, no_voice_vendors):
    client, _ = await _session_client(student)
    response = await client.post(
        URL, {"text": "Welcome to the lesson."}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


async def test_a_session_with_a_wrong_content_type_is_still_a_415(student, no_voice_vendors):
    client, csrf_token = await _session_client(student)
    response = await client.post(
        URL, "text=hello", content_type="text/plain", headers={"X-CSRFToken": csrf_token}
    )
    assert response.status_code == 415
