import pytest
from django.db import OperationalError, connection
from django.test import override_settings

pytestmark = pytest.mark.django_db

FAKE_KEY = "sk-ant-api03-healthcheckmustnotleakthis000"


def test_health_reports_database_and_pgvector(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] in {"healthy", "degraded"}
    database = body["services"]["database"]
    assert database["status"] == "ok"
    assert database["pgvectorVersion"].count(".") == 2
    assert database["latency"] >= 0
    assert body["services"]["cache"]["status"] == "ok"
    assert {"size", "hitRate"} <= set(body["cache"])
    assert body["providers"]["active"]["embeddings"] == "local"


@override_settings(ANTHROPIC_API_KEY=FAKE_KEY)
def test_health_names_providers_but_no_secrets_hosts_or_paths(client, settings, admin_user):
    client.force_login(admin_user)
    body = client.get("/api/health").content.decode()
    assert FAKE_KEY not in body
    assert '"chat":"anthropic"' in body.replace(" ", "")
    host = str(connection.settings_dict["HOST"])
    assert host not in body
    assert str(settings.BASE_DIR) not in body


def test_health_is_unhealthy_503_when_database_is_down(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unhealthy"
    assert response.json()["services"]["database"]["status"] == "down"


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_unreachable_broker_degrades(client):
    body = client.get("/api/health").json()
    assert body["services"]["broker"]["status"] == "down"
    assert body["status"] == "degraded"
    assert "127.0.0.1" not in str(body)


@override_settings(WHISPER_MODEL_DIR="/nonexistent/whisper", OPENAI_API_KEY="")
def test_active_providers_are_what_the_apps_probes_find(client, admin_user):
    client.force_login(admin_user)
    body = client.get("/api/health").json()
    assert body["providers"]["active"]["stt"] == body["services"]["stt"]["provider"] == "none"
    assert body["providers"]["active"]["chat"] == body["services"]["chat"]["provider"]


def test_anonymous_health_has_statuses_and_latencies_but_no_details(client, settings):
    settings.ANTHROPIC_API_KEY = FAKE_KEY
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "timestamp", "services"}
    services = body["services"]
    assert services["database"] == {"status": "ok", "latency": services["database"]["latency"]}
    assert services["database"]["latency"] >= 0
    assert set(services["cache"]) == {"status", "latency"}
    assert services["chat"] == {"status": "ok"}
    text = response.content.decode()
    for detail in ("Version", "anthropic", "claude", "provider", "model", "local"):
        assert detail not in text, detail


def test_students_see_no_details_and_staff_with_a_token_do(client, student, instructor):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=student)
    body = client.get("/api/health", HTTP_AUTHORIZATION=f"Bearer {token.key}").json()
    assert "pgvectorVersion" not in body["services"]["database"]
    token = Token.objects.create(user=instructor)
    body = client.get("/api/health", HTTP_AUTHORIZATION=f"Bearer {token.key}").json()
    assert body["services"]["database"]["pgvectorVersion"]
    assert "providers" in body
