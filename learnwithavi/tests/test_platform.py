"""Request ids, system checks, the OpenAPI schema and docs served offline."""

import logging
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from learnwithavi.logging import RequestIdFilter

pytestmark = pytest.mark.django_db


def test_every_response_has_a_request_id(client):
    first = client.get("/api/health")["X-Request-ID"]
    second = client.get("/api/health")["X-Request-ID"]
    assert len(first) == 36
    assert first != second


def test_a_well_formed_incoming_request_id_is_kept(client):
    response = client.get("/api/health", HTTP_X_REQUEST_ID="trace-abc-12345")
    assert response["X-Request-ID"] == "trace-abc-12345"
    response = client.get("/api/health", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"


def test_log_lines_carry_the_request_id(client, caplog):
    records = []

    class Capture(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Capture()
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        response = client.get("/api/no-such-thing")
    finally:
        logger.removeHandler(handler)
    assert records, "Django logs a warning for a 404"
    assert {r.request_id for r in records} == {response["X-Request-ID"]}


@override_settings(
    IS_PRODUCTION=True,
    DEBUG=True,
    SECRET_KEY="django-insecure-learnwithavi-local-development-only",
    ALLOWED_HOSTS=[],
)
def test_production_checks_refuse_unsafe_settings():
    with pytest.raises(SystemCheckError) as excinfo:
        call_command("check")
    for check_id in ("learnwithavi.E001", "learnwithavi.E002", "learnwithavi.E003"):
        assert check_id in str(excinfo.value)


@override_settings(
    IS_PRODUCTION=True, DEBUG=False, SECRET_KEY="x" * 50, ALLOWED_HOSTS=["learnwithavi.example"]
)
def test_production_checks_pass_when_configured():
    call_command("check")


@override_settings(ANTHROPIC_API_KEY="", OPENAI_API_KEY="")
def test_missing_ai_keys_warn_naming_the_local_fallback(capsys):
    call_command("check")
    output = capsys.readouterr()
    assert "learnwithavi.W001" in output.err
    assert "local extractive answerer" in output.err
    assert "System check identified" in output.err


def test_asgi_app_refuses_to_start_with_production_debug():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "learnwithavi.settings.production",
        "DJANGO_DEBUG": "true",
        "DJANGO_SECRET_KEY": "short",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import learnwithavi.asgi"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "learnwithavi.E001" in result.stderr
    assert "Refusing to start" in result.stderr


def test_openapi_schema_is_served(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/health" in schema["paths"]


def test_swagger_ui_uses_bundled_assets_not_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html


def test_security_headers_come_from_our_async_middleware(client):
    """The deploy checks that look for Django's own middleware paths are silenced: prove why."""
    response = client.get("/api/health")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
