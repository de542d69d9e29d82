"""POST /api/webhooks/clerk: Svix-verified, applied once per svix-id, the right to be forgotten."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.models import ClerkWebhookEvent, Role, User
from accounts.signals import user_erased
from accounts.tests.factories import UserFactory
from chat.models import Conversation, Message
from courses.models import UserProgress
from courses.tests.factories import CourseFactory, VideoFactory
from learnwithavi.models import AIUsage
from testing.fake_clerk import clerk_user, new_clerk_id, user_event, webhook_delivery

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
URL = "/api/webhooks/clerk"


@pytest.fixture(autouse=True)
def _signing_secret(settings):
    settings.CLERK_WEBHOOK_SIGNING_SECRET = SECRET


def _deliver(payload, *, secret=SECRET, msg_id=None, timestamp=None, body=None):
    signed_body, headers = webhook_delivery(secret, payload, msg_id=msg_id, timestamp=timestamp)
    return Client().post(
        URL,
        body if body is not None else signed_body,
        content_type="application/json",
        headers=headers,
    )


def _created(clerk_id, event_type="user.created", **fields):
    return user_event(event_type, clerk_user(clerk_id, **fields))


@pytest.mark.django_db
def test_user_created_makes_the_user_with_the_primary_email(django_assert_max_num_queries):
    clerk_id = new_clerk_id()
    with django_assert_max_num_queries(11):
        response = _deliver(_created(clerk_id, email="Dana@Example.com", last_name="Levi"))
    assert response.status_code == 200, response.json()
    assert response.json() == {"status": "processed"}
    user = User.objects.get(clerk_id=clerk_id)
    assert (user.email, user.first_name, user.last_name) == ("dana@example.com", "Dana", "Levi")
    assert (user.role, user.is_staff) == (Role.STUDENT, False)
    assert not user.has_usable_password()
    assert ClerkWebhookEvent.objects.filter(event_type="user.created").count() == 1


@pytest.mark.django_db
def test_the_role_comes_from_public_metadata_only():
    clerk_id = new_clerk_id()
    _deliver(_created(clerk_id, unsafe_metadata={"role": "admin"}))
    assert User.objects.get(clerk_id=clerk_id).role == Role.STUDENT
    _deliver(_created(clerk_id, "user.updated", public_metadata={"role": "instructor"}))
    user = User.objects.get(clerk_id=clerk_id)
    assert (user.role, user.is_staff, user.is_superuser) == (Role.INSTRUCTOR, True, False)


@pytest.mark.django_db
def test_a_retry_or_a_replay_changes_nothing():
    clerk_id = new_clerk_id()
    first = _created(clerk_id, first_name="Old", updated_at=1_700_000_000_000)
    assert _deliver(first, msg_id="msg_first").json() == {"status": "processed"}
    newer = _created(clerk_id, "user.updated", first_name="New", updated_at=1_700_000_100_000)
    assert _deliver(newer, msg_id="msg_second").status_code == 200
    replay = _deliver(first, msg_id="msg_first")
    assert (replay.status_code, replay.json()) == (200, {"status": "duplicate"})
    assert User.objects.get(clerk_id=clerk_id).first_name == "New"
    assert ClerkWebhookEvent.objects.count() == 2


@pytest.mark.django_db
def test_an_update_older_than_what_we_hold_is_ignored():
    clerk_id = new_clerk_id()
    _deliver(_created(clerk_id, first_name="Newer", updated_at=1_700_000_100_000))
    stale = _created(clerk_id, "user.updated", first_name="Older", updated_at=1_700_000_000_000)
    assert _deliver(stale).status_code == 200
    assert User.objects.get(clerk_id=clerk_id).first_name == "Newer"


@pytest.mark.django_db
def test_an_address_another_account_uses_is_not_merged():
    local = UserFactory(email="taken@example.com")
    clerk_id = new_clerk_id()
    assert _deliver(_created(clerk_id, email="taken@example.com")).status_code == 200
    user = User.objects.get(clerk_id=clerk_id)
    assert user.pk != local.pk
    assert user.email.endswith("@users.clerk.invalid")
    local.refresh_from_db()
    assert local.clerk_id is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"secret": "whsec_" + "b3RoZXItc2VjcmV0LW9mLXRoZS1zYW1lLWxlbg=="}, "invalid_signature"),
        ({"timestamp": datetime.now(tz=UTC) - timedelta(minutes=6)}, "invalid_signature"),
        ({"timestamp": datetime.now(tz=UTC) + timedelta(minutes=6)}, "invalid_signature"),
        ({"body": b'{"type": "user.created", "data": {}}'}, "invalid_signature"),
    ],
    ids=["other secret", "stale", "from the future", "body changed"],
)
def test_a_bad_or_stale_signature_is_a_400(change, code):
    response = _deliver(_created(new_clerk_id()), **change)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert {"error", "code", "timestamp"} <= response.json().keys()
    assert not User.objects.exists()
    assert not ClerkWebhookEvent.objects.exists()


@pytest.mark.django_db
def test_missing_signature_headers_are_a_400():
    response = Client().post(URL, b"{}", content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_signature")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"data": {}},
        {"type": "user.created"},
        {"type": "user.created", "data": {"id": 5}},
        {"type": "user.created", "data": {"id": "org_1"}},
        {"type": "user.created", "data": {"id": "user_1", "email_addresses": "x"}},
        {"type": "user.updated", "data": {"id": "user_1", "updated_at": "yesterday"}},
        {"type": "user.updated", "data": {"id": "user_1", "updated_at": 10**20}},
        {"type": "user.deleted", "data": None},
        {"type": "user.deleted", "data": {"deleted": True}},
    ],
)
def test_a_malformed_payload_is_a_400_not_a_500(payload):
    response = _deliver(payload)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert not ClerkWebhookEvent.objects.exists()


@pytest.mark.django_db
def test_a_signed_body_that_is_not_json_is_a_400():
    body = b"not json"
    _body, headers = webhook_delivery(SECRET, {}, msg_id="msg_x")
    from svix.webhooks import Webhook

    headers["svix-signature"] = Webhook(SECRET).sign(
        "msg_x", datetime.fromtimestamp(int(headers["svix-timestamp"]), tz=UTC), body.decode()
    )
    response = Client().post(URL, body, content_type="application/json", headers=headers)
    assert (response.status_code, response.json()["code"]) == (400, "malformed_json")


@pytest.mark.django_db
def test_other_events_are_acknowledged_and_ignored():
    response = _deliver({"type": "session.created", "data": {"id": "sess_1"}})
    assert response.json() == {"status": "processed"}
    assert not User.objects.exists()


@pytest.mark.django_db
def test_without_a_signing_secret_webhooks_are_a_503(settings):
    settings.CLERK_WEBHOOK_SIGNING_SECRET = ""
    response = _deliver(_created(new_clerk_id()))
    assert (response.status_code, response.json()["code"]) == (503, "webhooks_not_configured")


# --- user.deleted: the right to be forgotten ------------------------------------------------


@pytest.fixture
def learner_with_history(clerk, instructor):
    """A Clerk learner with a conversation, progress, usage rows and one of our API tokens."""
    clerk_id = new_clerk_id()
    _deliver(_created(clerk_id, email="forget.me@example.com"))
    user = User.objects.get(clerk_id=clerk_id)
    video = VideoFactory(course=CourseFactory(owner=instructor), duration=600)
    conversation = Conversation.objects.create(user=user, video=video, title="About overfitting")
    Message.objects.create(conversation=conversation, role="user", content="What is it?")
    Message.objects.create(conversation=conversation, role="assistant", content="It is...")
    UserProgress.objects.create(user=user, video=video, last_position=42)
    AIUsage.objects.create(provider="local", model="extractive", endpoint="chat", user=user)
    Token.objects.create(user=user)
    other = UserFactory()
    Conversation.objects.create(user=other, title="Someone else's")
    UserProgress.objects.create(user=other, video=video, last_position=1)
    return user


@pytest.mark.django_db
def test_user_deleted_forgets_the_person(learner_with_history, clerk):
    user = learner_with_history
    api_token = Token.objects.get(user=user).key
    assert _me_status(f"Bearer {clerk.token(user.clerk_id)}") == 200

    response = _deliver(user_event("user.deleted", {"id": user.clerk_id, "deleted": True}))
    assert response.status_code == 200, response.json()

    assert not Conversation.objects.filter(user=user).exists()
    assert not Message.objects.filter(conversation__user=user).exists()
    assert not UserProgress.objects.filter(user=user).exists()
    assert Conversation.objects.count() == UserProgress.objects.count() == 1  # others' stay
    usage = AIUsage.objects.get()
    assert usage.user is None
    user.refresh_from_db()
    assert not user.is_active
    assert user.erased_at is not None
    assert "forget.me" not in user.email
    assert (user.first_name, user.last_name, user.role, user.is_staff) == ("", "", "student", False)
    assert not user.has_usable_password()
    assert not Token.objects.filter(user=user).exists()
    # their tokens stop working at once: ours (deleted) and Clerk's (the user is inactive)
    assert _me_status(f"Bearer {api_token}") == 401
    assert _me_status(f"Bearer {clerk.token(user.clerk_id)}") == 401


def _me_status(authorization):
    return Client().get("/api/me", HTTP_AUTHORIZATION=authorization).status_code


@pytest.mark.django_db
def test_a_late_update_does_not_revive_an_erased_user(learner_with_history):
    clerk_id = learner_with_history.clerk_id
    _deliver(user_event("user.deleted", {"id": clerk_id, "deleted": True}))
    late = _created(clerk_id, "user.updated", email="back@example.com", updated_at=10**13)
    assert _deliver(late).status_code == 200
    user = User.objects.get(clerk_id=clerk_id)
    assert (user.is_active, user.first_name) == (False, "")
    assert "back@" not in user.email


@pytest.mark.django_db
def test_user_deleted_before_user_created_leaves_a_tombstone(clerk):
    clerk_id = new_clerk_id()
    assert (
        _deliver(user_event("user.deleted", {"id": clerk_id, "deleted": True})).status_code == 200
    )
    assert _deliver(_created(clerk_id)).status_code == 200  # delivered out of order
    assert not User.objects.get(clerk_id=clerk_id).is_active
    assert _me_status(f"Bearer {clerk.token(clerk_id)}") == 401


@pytest.mark.django_db
def test_user_erased_is_sent_inside_the_transaction_before_the_account_is_stripped():
    clerk_id = new_clerk_id()
    _deliver(_created(clerk_id, email="seen@example.com"))
    seen = []

    def receiver(sender, user, **kwargs):
        seen.append((sender, user.email, user.is_active, connection.in_atomic_block))

    user_erased.connect(receiver, dispatch_uid="test-user-erased")
    try:
        _deliver(user_event("user.deleted", {"id": clerk_id, "deleted": True}))
    finally:
        user_erased.disconnect(dispatch_uid="test-user-erased")
    assert seen == [(User, "seen@example.com", True, True)]


@pytest.mark.django_db
def test_a_failing_receiver_rolls_everything_back_and_the_retry_applies_it(learner_with_history):
    user = learner_with_history

    def failing(sender, user, **kwargs):
        raise RuntimeError("disk full")

    payload = user_event("user.deleted", {"id": user.clerk_id, "deleted": True})
    user_erased.connect(failing, dispatch_uid="test-failing")
    try:
        client = Client(raise_request_exception=False)
        body, headers = webhook_delivery(SECRET, payload, msg_id="msg_retry")
        response = client.post(URL, body, content_type="application/json", headers=headers)
        assert response.status_code == 500
    finally:
        user_erased.disconnect(dispatch_uid="test-failing")
    assert User.objects.get(pk=user.pk).is_active
    assert Conversation.objects.filter(user=user).exists()
    assert not ClerkWebhookEvent.objects.filter(svix_id="msg_retry").exists()
    assert _deliver(payload, msg_id="msg_retry").json() == {"status": "processed"}
    assert not User.objects.get(pk=user.pk).is_active


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_id_apply_it_once():
    import threading

    clerk_id = new_clerk_id()
    body, headers = webhook_delivery(SECRET, _created(clerk_id), msg_id="msg_concurrent")
    barrier = threading.Barrier(4)
    results: list[str] = []

    def deliver():
        try:
            barrier.wait()
            response = Client().post(URL, body, content_type="application/json", headers=headers)
            results.append(response.json()["status"])
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["duplicate", "duplicate", "duplicate", "processed"]
    assert User.objects.filter(clerk_id=clerk_id).count() == 1


@pytest.mark.django_db
def test_the_admin_shows_an_erased_users_tombstone(client, admin_user):
    clerk_id = new_clerk_id()
    _deliver(user_event("user.deleted", {"id": clerk_id, "deleted": True}))
    client.force_login(admin_user)
    user = User.objects.get(clerk_id=clerk_id)
    page = client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200
    assert clerk_id in page.content.decode()
