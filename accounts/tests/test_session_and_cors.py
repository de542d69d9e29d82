"""POST /api/auth/session (the admin from a Clerk token), CORS, and the schema of the new routes."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.models import User
from testing.fake_clerk import FRONTEND, new_clerk_id

ALLOWED = FRONTEND


@pytest.mark.django_db
def test_an_instructor_opens_the_admin_with_a_clerk_token(clerk):
    client = Client()
    token = clerk.token(new_clerk_id(), metadata={"role": "instructor"})
    assert client.get("/admin/").status_code == 302  # to the login page
    response = client.post("/api/auth/session", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.json()
    assert response.json()["role"] == "instructor"
    assert "sessionid" in response.cookies
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_student_gets_a_session_but_not_the_admin(clerk):
    client = Client()
    response = client.post(
        "/api/auth/session", HTTP_AUTHORIZATION=f"Bearer {clerk.token(new_clerk_id())}"
    )
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_our_api_tokens_and_no_token_cannot_start_a_session(clerk, instructor):
    key = Token.objects.create(user=instructor).key
    refused = Client().post("/api/auth/session", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert (refused.status_code, refused.json()["code"]) == (403, "clerk_token_required")
    anonymous = Client().post("/api/auth/session")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")


@pytest.mark.django_db
def test_an_erased_users_session_ends(clerk):
    clerk_id = new_clerk_id()
    client = Client()
    token = clerk.token(clerk_id, metadata={"role": "instructor"})
    client.post("/api/auth/session", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/admin/").status_code == 200
    from accounts.services import clerk_user_erase

    clerk_user_erase(clerk_id=clerk_id)
    assert client.get("/admin/").status_code == 302
    assert not User.objects.get(clerk_id=clerk_id).is_active


# --- CORS -------------------------------------------------------------------------------------


def _preflight(path, origin, method="POST"):
    return Client().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/chat", "/api/courses", "/api/voice/tts", "/api/me", "/api/no-such-route"]
)
def test_preflights_are_answered_before_the_view(settings, path):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]
    response = _preflight(path, ALLOWED)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    allowed_headers = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed_headers
    assert "POST" in response["Access-Control-Allow-Methods"]


@pytest.mark.django_db
def test_other_origins_get_no_cors_headers(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]
    for origin in ("https://evil.example", "http://localhost:3001", "null"):
        preflight = _preflight("/api/chat", origin)
        assert "Access-Control-Allow-Origin" not in preflight
        response = Client().get("/api/courses", HTTP_ORIGIN=origin)
        assert response.status_code == 200
        assert "Access-Control-Allow-Origin" not in response


@pytest.mark.django_db
def test_responses_expose_the_headers_scripts_need_errors_included(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]
    for response in (
        Client().get("/api/courses", HTTP_ORIGIN=ALLOWED),
        Client().get("/api/me", HTTP_ORIGIN=ALLOWED, HTTP_AUTHORIZATION="Bearer nope"),
    ):
        assert response["Access-Control-Allow-Origin"] == ALLOWED
        exposed = {h.strip() for h in response["Access-Control-Expose-Headers"].split(",")}
        assert exposed >= {
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
            "Retry-After",
            "X-Request-ID",
            "X-TTS-Provider",
        }
        assert "origin" in response["Vary"].lower()


@pytest.mark.django_db
def test_pages_outside_the_api_get_no_cors_headers(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]
    response = Client().get("/admin/login/", HTTP_ORIGIN=ALLOWED)
    assert "Access-Control-Allow-Origin" not in response


def test_local_settings_allow_the_frontend_dev_origins_and_production_none():
    import importlib
    import os

    from learnwithavi.settings import local, production

    assert "CORS_ALLOWED_ORIGINS" not in os.environ
    assert importlib.reload(local).CORS_ALLOWED_ORIGINS == [
        "http://localhost:3000",
        "http://127.0.0.1:3000",
    ]
    assert importlib.reload(production).CORS_ALLOWED_ORIGINS == []


# --- OpenAPI ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_new_endpoints_are_in_the_schema(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = response.json()
    webhook = schema["paths"]["/api/webhooks/clerk"]["post"]
    assert webhook["summary"]
    assert {"200", "400", "503"} <= set(webhook["responses"])
    assert {p["name"] for p in webhook["parameters"]} >= {"svix-id", "svix-signature"}
    session = schema["paths"]["/api/auth/session"]["post"]
    assert {"200", "401", "403"} <= set(session["responses"])
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


# --- System checks ----------------------------------------------------------------------------


def _check_ids(settings):
    from accounts.checks import clerk_settings_check

    return [message.id for message in clerk_settings_check(None)]


def test_a_clerk_configuration_that_can_accept_no_token_is_reported(settings, clerk_instance):
    settings.CLERK_JWT_KEY = ""
    settings.CLERK_SECRET_KEY = ""
    assert _check_ids(settings) == []  # Clerk off: nothing to say
    settings.CLERK_JWT_KEY = clerk_instance.public_pem.replace("\n", "\\n")
    settings.CORS_ALLOWED_ORIGINS = []
    settings.CLERK_AUTHORIZED_PARTIES = None
    settings.CLERK_WEBHOOK_SIGNING_SECRET = ""
    assert _check_ids(settings) == ["accounts.W001", "accounts.W002"]
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]
    settings.CLERK_WEBHOOK_SIGNING_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    assert _check_ids(settings) == []
    settings.CLERK_JWT_KEY = "-----BEGIN PUBLIC KEY-----\\nnot a key\\n-----END PUBLIC KEY-----"
    assert _check_ids(settings) == ["accounts.E001"]
