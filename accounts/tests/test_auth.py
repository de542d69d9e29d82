"""Sign-in for API clients (DRF tokens as Bearer), sign-out, /api/me, and session auth."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.tests.factories import InstructorFactory, UserFactory

PASSWORD = "correct-horse-battery"  # the factories' password


def _sign_in(email, password=PASSWORD):
    return APIClient().post(
        "/api/auth/token", {"email": email, "password": password}, format="json"
    )


@pytest.mark.django_db
def test_token_sign_in_me_and_sign_out():
    user = InstructorFactory(email="teacher@example.test", first_name="Avi")
    response = _sign_in("  Teacher@Example.test ")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["user"]["email"] == "teacher@example.test"
    assert body["user"]["role"] == "instructor"
    token = body["token"]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    me = client.get("/api/me")
    assert me.status_code == 200
    assert (me.json()["id"], me.json()["firstName"]) == (str(user.id), "Avi")

    assert client.delete("/api/auth/token").status_code == 204
    after = client.get("/api/me")
    assert after.status_code == 401
    assert after.json()["code"] == "authentication_failed"
    # signing in again gives a new token
    assert _sign_in("teacher@example.test").json()["token"] != token


@pytest.mark.django_db
def test_drf_token_scheme_is_accepted_too():
    InstructorFactory(email="teacher@example.test")
    token = _sign_in("teacher@example.test").json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/me").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "password"),
    [("student@example.test", "wrong"), ("nobody@example.test", PASSWORD)],
)
def test_bad_credentials_are_401(email, password):
    UserFactory(email="student@example.test")
    response = _sign_in(email, password)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert "token" not in response.json()


@pytest.mark.django_db
def test_inactive_user_cannot_sign_in():
    UserFactory(email="gone@example.test", is_active=False)
    assert _sign_in("gone@example.test").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [{}, {"email": "not-an-email", "password": "x"}, {"email": "a@b.test", "password": "x" * 129}],
)
def test_malformed_sign_in_is_400(body):
    response = APIClient().post("/api/auth/token", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


@pytest.mark.django_db
def test_anonymous_me_and_sign_out_are_401(api_client):
    for response in (api_client.get("/api/me"), api_client.delete("/api/auth/token")):
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_unknown_bearer_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer " + "0" * 40)
    response = api_client.get("/api/courses")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.django_db
def test_session_authentication_reaches_the_api(student):
    user = student
    client = Client()
    client.force_login(user)
    response = client.get("/api/me")
    assert response.status_code == 200
    assert response.json()["email"] == user.email


@pytest.mark.django_db
def test_session_writes_need_csrf(instructor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(instructor)
    response = client.post("/api/courses", {"title": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
