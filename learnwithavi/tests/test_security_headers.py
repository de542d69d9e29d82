"""What browsers expect: CSP with nonces, Permissions-Policy, HSTS and the SSL redirect in
production, the same headers on every error, and `check --deploy` that sees all of it."""

import os
import re
import secrets
import subprocess
import sys

import pytest
from django.test import override_settings

from courses.tests.factories import CourseFactory, VideoFactory

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "Permissions-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "X-Request-ID",
)


def production_env(**extra: str) -> dict[str, str]:
    """The environment the README's production section describes."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="learnwithavi.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="learnwithavi.example",
        TRUSTED_PROXIES="10.0.0.0/8",
        DATABASE_URL="postgres://learnwithavi:secret@db.internal:5432/learnwithavi",
        REDIS_URL="redis://127.0.0.1:6379/6",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/7",
        ANTHROPIC_API_KEY="sk-ant-api03-production-key-placeholder",
        OPENAI_API_KEY="sk-proj-production-key-placeholder",
        ELEVENLABS_API_KEY="sk_productionkeyplaceholder00000",
        **extra,
    )
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_check_deploy_passes_on_production_settings_as_the_readme_configures_them():
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stderr
    assert "0 silenced" in result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("extra", "warning"),
    [
        ({"DJANGO_SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"DJANGO_SECURE_SSL_REDIRECT": "false"}, "security.W008"),
    ],
)
def test_check_deploy_is_not_blind_to_hsts_or_the_ssl_redirect(extra, warning):
    result = check_deploy(production_env(**extra))
    assert result.returncode != 0
    assert warning in result.stderr


def test_nothing_is_silenced(settings):
    assert not [c for c in settings.SILENCED_SYSTEM_CHECKS if c.startswith("security.")]


def _csp(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in policy.split(";")
        if part.strip()
    }


def test_the_demo_page_runs_its_script_by_nonce_and_lets_youtube_in(client):
    VideoFactory(course=CourseFactory(is_published=True))
    response = client.get("/")
    assert response.status_code == 200
    policy = _csp(response)
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts, "the page has its script"
    found = re.search(r"'nonce-([^']+)'", policy["script-src"])
    assert found
    nonce = found.group(1)
    for attributes in scripts:
        assert f'nonce="{nonce}"' in attributes or "src=" in attributes
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "https://www.youtube.com" in policy["frame-src"]
    assert "https://www.youtube.com" in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'"
    assert client.get("/")["Content-Security-Policy"] != response["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/", "/api/courses"])
def test_other_pages_get_the_strict_policy_and_no_inline_script(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = _csp(response)
    assert "youtube" not in response["Content-Security-Policy"]
    assert policy["default-src"] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["object-src"] == "'none'"
    if response["Content-Type"].startswith("text/html"):
        inline = [s for s in re.findall(r"<script([^>]*)>", response.content.decode())
                  if "src=" not in s and "application/json" not in s]  # fmt: skip
        assert inline == []
    assert "camera=()" in response["Permissions-Policy"]


def test_swagger_ui_start_up_script_is_served_as_a_file(client):
    html = client.get("/api/docs/").content.decode()
    found = re.search(r'<script src="(/api/docs/\?[^"]+)"', html)
    assert found
    response = client.get(found.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert "SwaggerUIBundle" in response.content.decode()


def _error_responses(client):
    yield client.get("/api/no-such-route")  # Django's 404, rebuilt by ApiErrorMiddleware
    yield client.put("/api/health")  # 405, rebuilt
    yield client.post("/api/chat", "{not json", content_type="application/json")  # plain view
    yield client.get("/api/courses/not-a-uuid")  # DRF's handler
    yield client.get("/no-such-page")  # HTML 404


def test_error_responses_carry_the_same_security_headers(client):
    for response in _error_responses(client):
        assert response.status_code >= 400
        missing = [h for h in SECURITY_HEADERS if h not in response]
        assert missing == [], (response.status_code, response.wsgi_request.path, missing)


@override_settings(DEBUG_PROPAGATE_EXCEPTIONS=False)
def test_an_unexpected_error_carries_them_too(client, monkeypatch):
    from learnwithavi import apis

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(apis, "health_report", broken)
    response = client.get("/api/health")
    assert response.status_code == 500
    assert [h for h in SECURITY_HEADERS if h not in response] == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_production_redirects_to_https_and_sends_hsts_through_uvicorn():
    from learnwithavi.tests.test_served import get, raw_request
    from testing.servers import uvicorn_server

    env = {
        "DJANGO_SETTINGS_MODULE": "learnwithavi.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "TRUSTED_PROXIES": "",
    }
    with uvicorn_server(env) as base_url:
        status, headers, _ = raw_request(base_url, get("/api/courses"))
        assert status == 301
        assert headers["location"] == "https://127.0.0.1/api/courses"
        # A client that claims HTTPS itself is not believed (only TRUSTED_PROXIES are).
        status, _, _ = raw_request(base_url, get("/api/courses", "X-Forwarded-Proto: https"))
        assert status == 301
        # Health checks over plain HTTP still answer.
        assert raw_request(base_url, get("/api/health"))[0] in (200, 503)
    with uvicorn_server({**env, "TRUSTED_PROXIES": "127.0.0.1"}) as base_url:
        status, headers, _ = raw_request(base_url, get("/api/courses", "X-Forwarded-Proto: https"))
        assert status == 200
        assert headers["strict-transport-security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
