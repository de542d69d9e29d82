"""Every API error, from any layer, has the one shape, the right status, and no 500s."""

import datetime as dt
import logging

import pytest
from django.http import HttpRequest
from django.test import override_settings
from django.urls import path

from learnwithavi.errors import ApplicationError

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) <= {"error", "code", "details", "timestamp"}
    assert body["code"] == code
    assert isinstance(body["error"], str)
    assert body["error"]
    dt.datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
    return body


def test_unknown_api_route_is_json_404(client):
    assert_error_shape(client.get("/api/no-such-thing"), 404, "not_found")


@override_settings(DEBUG=True)
def test_unknown_api_route_is_json_404_in_debug_too(client):
    assert_error_shape(client.get("/api/no-such-thing"), 404, "not_found")


def test_unknown_page_outside_api_stays_html(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_malformed_json_is_400(client):
    response = client.post("/api/auth/token", data='{"email": ', content_type="application/json")
    assert_error_shape(response, 400, "malformed_json")


def test_wrong_content_type_is_415(client):
    response = client.post("/api/auth/token", data="email=x", content_type="text/plain")
    assert_error_shape(response, 415, "unsupported_media_type")


def test_validation_error_names_the_field(client):
    response = client.post(
        "/api/auth/token", data={"password": "x"}, content_type="application/json"
    )
    body = assert_error_shape(response, 400, "validation_error")
    assert body["error"].startswith("email:")
    assert "details" not in body  # details only in DEBUG


@override_settings(DEBUG=True)
def test_details_are_given_in_debug(client):
    response = client.post(
        "/api/auth/token", data={"password": "x"}, content_type="application/json"
    )
    body = assert_error_shape(response, 400, "validation_error")
    assert "email" in body["details"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_oversized_body_is_413(client):
    payload = '{"email": "a@b.test", "password": "' + "x" * 5000 + '"}'
    response = client.post("/api/auth/token", data=payload, content_type="application/json")
    assert_error_shape(response, 413, "payload_too_large")


def test_method_not_allowed_is_405_with_allow(client):
    response = client.post("/api/health")
    assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_unauthenticated_is_401(client):
    assert_error_shape(client.get("/api/me"), 401, "not_authenticated")


def test_errors_are_translated_to_hebrew(client):
    response = client.get("/api/no-such-thing", HTTP_ACCEPT_LANGUAGE="he")
    assert assert_error_shape(response, 404, "not_found")["error"] == "לא נמצא."


def test_errors_are_in_english_when_asked(client):
    response = client.get("/api/no-such-thing", HTTP_ACCEPT_LANGUAGE="en")
    assert assert_error_shape(response, 404, "not_found")["error"] == "Not found."


SECRET = "sk-ant-api03-SECRETSECRETSECRET0123456789"


def crashing_view(request: HttpRequest):
    raise RuntimeError(
        f"upstream refused key {SECRET} at postgres://admin:hunter2@db.internal/prod"
    )


def domain_error_view(request: HttpRequest):
    raise ApplicationError("Quota spent.", code="quota_spent", status_code=429)


urlpatterns = [path("api/crash", crashing_view), path("api/domain", domain_error_view)]


@pytest.mark.urls(__name__)
def test_unexpected_exception_is_a_sanitized_500(client, caplog):
    with caplog.at_level(logging.ERROR, logger="learnwithavi.errors"):
        response = client.get("/api/crash")
    body = assert_error_shape(response, 500, "server_error")
    assert SECRET not in response.content.decode()
    assert "hunter2" not in response.content.decode()
    assert "details" not in body
    assert any(record.exc_info for record in caplog.records)


@pytest.mark.urls(__name__)
@override_settings(DEBUG=True)
def test_500_details_in_debug_are_sanitized(client):
    response = client.get("/api/crash")
    body = assert_error_shape(response, 500, "server_error")
    assert body["details"]["exception"] == "RuntimeError"
    assert SECRET not in response.content.decode()
    assert "hunter2" not in response.content.decode()


@pytest.mark.urls(__name__)
def test_application_error_from_a_plain_view(client):
    assert_error_shape(client.get("/api/domain"), 429, "quota_spent")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/auth/token", '{"email": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("/api/chat", '{"message": "hi", "context": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ],
)
def test_deeply_nested_json_is_malformed_not_a_500(client, path, body):
    response = client.post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"
