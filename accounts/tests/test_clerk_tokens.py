"""Clerk session tokens: who they are, what is refused, on the DRF views and the streams."""

import base64
import hashlib
import hmac
import json
import threading
import time

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import AsyncClient, Client
from rest_framework.authtoken.models import Token

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from testing.fake_clerk import ClerkInstance, clerk_user, new_clerk_id


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict, claims: dict, key: bytes | None = None) -> str:
    """A token signed with HS256 by `key`, or with alg none (no key)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if key is None:
        return f"{signing_input}."
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _me(token: str, scheme: str = "Bearer"):
    return Client().get("/api/me", HTTP_AUTHORIZATION=f"{scheme} {token}")


async def _achat(token: str, scheme: str = "Bearer"):
    return await AsyncClient().post(
        "/api/chat",
        json.dumps({"message": "hello"}),
        content_type="application/json",
        headers={"Authorization": f"{scheme} {token}"},
    )


async def _atts(token: str):
    return await AsyncClient().post(
        "/api/voice/tts",
        json.dumps({"text": "hello"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


# The streams run on the async pool: it is closed with each test's event loop.
streams = pytest.mark.usefixtures("close_async_pool", "close_async_test_connections")


@pytest.mark.django_db
def test_a_valid_token_creates_a_student_once_and_me_answers(clerk):
    clerk_id = new_clerk_id()
    response = _me(clerk.token(clerk_id))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["clerkId"], body["role"]) == (clerk_id, "student")
    user = User.objects.get(clerk_id=clerk_id)
    assert str(user.pk) == body["id"]
    assert not user.is_staff
    assert not user.has_usable_password()
    # no Backend API key: a placeholder address until the webhook tells us the real one
    assert user.email.endswith("@users.clerk.invalid")
    assert _me(clerk.token(clerk_id)).json()["id"] == body["id"]
    assert User.objects.filter(clerk_id=clerk_id).count() == 1


@pytest.mark.django_db
def test_the_user_is_found_by_clerk_id_never_by_email(clerk):
    local = UserFactory(email="learner@example.com")
    clerk_id = new_clerk_id()
    response = _me(clerk.token(clerk_id, email="learner@example.com"))
    assert response.status_code == 200
    assert response.json()["id"] != str(local.pk)


@pytest.mark.django_db
def test_a_known_user_costs_one_query(clerk, django_assert_max_num_queries):
    clerk_id = new_clerk_id()
    assert _me(clerk.token(clerk_id)).status_code == 200
    token = clerk.token(clerk_id)
    with django_assert_max_num_queries(1):
        assert _me(token).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer", "token"])
def test_the_bearer_scheme_is_case_insensitive(clerk, student, scheme):
    assert _me(clerk.token(new_clerk_id()), scheme).status_code == 200
    api_token = Token.objects.create(user=student).key
    assert _me(api_token, scheme).json()["id"] == str(student.pk)


@pytest.mark.django_db
def test_the_pem_key_is_accepted_with_literal_newline_escapes(clerk, settings):
    settings.CLERK_JWT_KEY = clerk.public_pem.strip().replace("\n", "\\n")
    assert _me(clerk.token(new_clerk_id())).status_code == 200


@pytest.mark.django_db
def test_a_token_expired_within_the_clock_skew_is_accepted(clerk):
    now = int(time.time())
    assert _me(clerk.token(new_clerk_id(), exp=now - 2, iat=now - 62)).status_code == 200


def _refusals(clerk: ClerkInstance) -> dict[str, str]:
    now = int(time.time())
    sub = new_clerk_id()
    claims = clerk.claims(sub)
    header = {"kid": clerk.kid, "typ": "JWT"}
    return {
        "expired beyond the skew": clerk.token(sub, exp=now - 10, iat=now - 70, nbf=now - 80),
        "nbf in the future": clerk.token(sub, nbf=now + 30),
        "iat in the future": clerk.token(sub, iat=now + 30),
        "no exp": clerk.token(sub, exp=None),
        "foreign azp": clerk.token(sub, azp="https://evil.example"),
        "no azp": clerk.token(sub, azp=None),
        "wrong iss": clerk.token(sub, iss="https://other.clerk.accounts.dev"),
        "pending session": clerk.token(sub, sts="pending"),
        "not a user": clerk.token("org_2abc"),
        "HS256 with the public key": _unsigned(
            {**header, "alg": "HS256"}, claims, clerk.public_pem.encode()
        ),
        "alg none": _unsigned({**header, "alg": "none"}, claims),
        "unknown kid, other key": ClerkInstance(kid="ins_unknown").token(sub),
        "tampered payload": ".".join(
            [
                clerk.token(sub).split(".")[0],
                _b64(json.dumps({**claims, "sub": new_clerk_id()}).encode()),
                clerk.token(sub).split(".")[2],
            ]
        ),
        "machine token mt_": "mt_" + "a" * 32,
        "machine token m2m_": "m2m_" + "a" * 32,
        "oauth token oat_": "oat_" + "a" * 32,
        "api key ak_": "ak_" + "a" * 32,
        "garbage": "not-a-token",
        "unknown API token": "0" * 40,
    }


REFUSALS = list(_refusals(ClerkInstance()).keys())


def _assert_refused(response):
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["code"] == "authentication_failed"
    assert {"error", "code", "timestamp"} <= body.keys()


@pytest.mark.django_db
@pytest.mark.parametrize("case", REFUSALS)
def test_refusal_matrix_on_the_api(clerk, case):
    _assert_refused(_me(_refusals(clerk)[case]))
    assert not User.objects.exists()


@streams
@pytest.mark.django_db(transaction=True)
async def test_refusal_matrix_on_the_streams(clerk, settings):
    settings.CHAT_ALLOW_ANONYMOUS = True  # a bad token is refused, never served as anonymous
    for case, token in _refusals(clerk).items():
        for response in (
            await _achat(token),
            await _achat(token, "bearer"),
            await _atts(token),
        ):
            assert response.status_code == 401, (case, response.content)
            _assert_refused(response)
    assert not await User.objects.aexists()


@streams
@pytest.mark.django_db(transaction=True)
async def test_machine_tokens_never_reach_clerk(fake_clerk):
    for prefix in ("mt_", "m2m_", "oat_", "ak_"):
        _assert_refused(await sync_to_async(_me)(prefix + "b" * 40))
        _assert_refused(await _achat(prefix + "b" * 40))
    assert fake_clerk.requests == []


@pytest.mark.django_db
def test_the_issuer_is_not_checked_when_unset(clerk, settings):
    settings.CLERK_ISSUER = ""
    token = clerk.token(new_clerk_id(), iss="https://other.clerk.accounts.dev")
    assert _me(token).status_code == 200


@pytest.mark.django_db
def test_authorized_parties_default_to_the_cors_origins(clerk, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    _assert_refused(_me(clerk.token(new_clerk_id())))  # azp http://localhost:3000
    assert _me(clerk.token(new_clerk_id(), azp="https://app.example.com")).status_code == 200
    settings.CLERK_AUTHORIZED_PARTIES = ["https://admin.example.com"]
    _assert_refused(_me(clerk.token(new_clerk_id(), azp="https://app.example.com")))


@pytest.mark.django_db
def test_without_clerk_configured_a_jwt_is_refused(clerk, settings):
    settings.CLERK_JWT_KEY = ""
    _assert_refused(_me(clerk.token(new_clerk_id())))


@pytest.mark.django_db
def test_a_deactivated_users_token_is_refused(clerk):
    clerk_id = new_clerk_id()
    assert _me(clerk.token(clerk_id)).status_code == 200
    User.objects.filter(clerk_id=clerk_id).update(is_active=False)
    _assert_refused(_me(clerk.token(clerk_id)))


# --- Roles ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_metadata_role_claim_makes_an_instructor_staff(clerk):
    clerk_id = new_clerk_id()
    body = _me(clerk.token(clerk_id, metadata={"role": "instructor"})).json()
    assert body["role"] == "instructor"
    user = User.objects.get(clerk_id=clerk_id)
    assert (user.is_staff, user.is_superuser) == (True, False)
    _me(clerk.token(clerk_id, metadata={"role": "admin"}))
    user.refresh_from_db()
    assert (user.role, user.is_staff, user.is_superuser) == ("admin", True, True)
    _me(clerk.token(clerk_id, metadata={}))  # no role in the claim: nothing changes
    user.refresh_from_db()
    assert user.role == "admin"
    _me(clerk.token(clerk_id, metadata={"role": "student"}))
    user.refresh_from_db()
    assert (user.role, user.is_staff, user.is_superuser) == ("student", False, False)


@pytest.mark.django_db
def test_a_role_claim_older_than_the_profile_we_hold_changes_nothing(clerk):
    clerk_id = new_clerk_id()
    _me(clerk.token(clerk_id))
    User.objects.filter(clerk_id=clerk_id).update(
        role=Role.INSTRUCTOR, clerk_updated_at="2099-01-01T00:00:00Z"
    )
    _me(clerk.token(clerk_id, metadata={"role": "student"}))
    assert User.objects.get(clerk_id=clerk_id).role == Role.INSTRUCTOR


@pytest.mark.django_db
@pytest.mark.parametrize("claim", [{"role": "superuser"}, "admin", {"role": ["admin"]}])
def test_an_invalid_role_claim_is_ignored(clerk, claim):
    clerk_id = new_clerk_id()
    assert _me(clerk.token(clerk_id, metadata=claim)).json()["role"] == "student"


# --- JWKS from the Backend API (only CLERK_SECRET_KEY set) -----------------------------------


@pytest.mark.django_db
def test_with_a_secret_key_the_jwks_and_the_profile_come_from_the_backend_api(fake_clerk, settings):
    clerk = fake_clerk.instances[0]
    clerk_id = new_clerk_id()
    fake_clerk.users[clerk_id] = clerk_user(
        clerk_id,
        email="Dana@Example.com",
        public_metadata={"role": "instructor"},
        unsafe_metadata={"role": "admin"},
    )
    response = _me(clerk.token(clerk_id))
    assert response.status_code == 200, response.json()
    assert response.json()["email"] == "dana@example.com"  # the primary address
    assert (response.json()["firstName"], response.json()["role"]) == ("Dana", "instructor")
    assert fake_clerk.paths() == ["/v1/jwks", f"/v1/users/{clerk_id}"]
    assert (
        fake_clerk.requests[0].headers["Authorization"] == "Bearer sk_test_fake000000000000000000"
    )
    # cached: no more requests
    assert _me(clerk.token(clerk_id)).status_code == 200
    assert _me(clerk.token(new_clerk_id()) + "x").status_code == 401
    assert len(fake_clerk.requests) == 2


@pytest.mark.django_db
def test_an_unknown_kid_refetches_the_jwks_once(fake_clerk):
    clerk = fake_clerk.instances[0]
    assert _me(clerk.token(new_clerk_id())).status_code == 200
    assert fake_clerk.paths().count("/v1/jwks") == 1
    rotated = ClerkInstance()
    fake_clerk.instances.append(rotated)  # Clerk rotated its keys
    assert _me(rotated.token(new_clerk_id())).status_code == 200
    assert fake_clerk.paths().count("/v1/jwks") == 2
    # forged kids do not make us fetch again (at most once per interval)
    for _ in range(3):
        _assert_refused(_me(ClerkInstance(kid=f"ins_forged{_}").token(new_clerk_id())))
    assert fake_clerk.paths().count("/v1/jwks") == 2


@pytest.mark.django_db
def test_the_backend_api_down_with_no_cached_keys_is_a_503(fake_clerk, settings):
    settings.CLERK_API_URL = "http://127.0.0.1:9"  # nothing listens there
    response = _me(fake_clerk.instances[0].token(new_clerk_id()))
    assert response.status_code == 503
    assert response.json()["code"] == "clerk_unavailable"


@pytest.mark.django_db
def test_an_unknown_user_at_the_backend_api_is_still_created(fake_clerk):
    clerk_id = new_clerk_id()
    response = _me(fake_clerk.instances[0].token(clerk_id))
    assert response.status_code == 200
    assert response.json()["email"].endswith("@users.clerk.invalid")


# --- Concurrent first requests ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_requests_create_the_user_once(clerk):
    clerk_id = new_clerk_id()
    tokens = [clerk.token(clerk_id) for _ in range(6)]
    barrier = threading.Barrier(len(tokens))
    statuses: list[int] = []

    def first_request(token):
        try:
            barrier.wait()
            statuses.append(_me(token).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_request, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * len(tokens)
    assert User.objects.filter(clerk_id=clerk_id).count() == 1


# --- Why the checks on top of the SDK exist: what clerk-backend-api 7.0.0 accepts alone ------


@pytest.mark.parametrize(
    ("case", "overrides"),
    [
        ("no exp", {"exp": None}),
        ("wrong iss", {"iss": "https://other.clerk.accounts.dev"}),
        ("pending session", {"sts": "pending"}),
    ],
)
def test_the_sdk_alone_signs_these_in(clerk_instance, case, overrides):
    """If an SDK upgrade starts refusing these, our own checks may be simplified."""
    from clerk_backend_api.security import AuthenticateRequestOptions, authenticate_request

    token = clerk_instance.token(new_clerk_id(), **overrides)
    state = authenticate_request(
        type("Req", (), {"headers": {"Authorization": f"Bearer {token}"}})(),
        AuthenticateRequestOptions(jwt_key=clerk_instance.public_pem),
    )
    assert state.is_signed_in, (case, state.reason)


def test_the_sdk_reads_only_a_capitalised_bearer(clerk_instance):
    from clerk_backend_api.security import AuthenticateRequestOptions, authenticate_request

    token = clerk_instance.token(new_clerk_id())
    state = authenticate_request(
        type("Req", (), {"headers": {"Authorization": f"bearer {token}"}})(),
        AuthenticateRequestOptions(jwt_key=clerk_instance.public_pem),
    )
    assert not state.is_signed_in  # hence accounts.authentication parses the header itself
