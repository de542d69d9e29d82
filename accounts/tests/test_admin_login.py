"""/admin/login/ is throttled per client and per account; its owner is never locked out."""

import pytest
from django.test import Client, override_settings

from accounts.admin_login import KNOWN_DEVICE_COOKIE
from accounts.tests.factories import InstructorFactory
from learnwithavi.settings.components.security import RATE_LIMITS

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories' password
LIMITS = {**RATE_LIMITS, "admin_login": "5/m", "admin_login_account": "3/h"}


def sign_in(client, email, password, *, address="192.0.2.1", language="en"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": email, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE=language,
    )


def errors(response):
    return response.context["form"].non_field_errors() if response.context else []


@override_settings(RATE_LIMITS=LIMITS)
def test_one_client_gets_a_few_tries_then_a_translated_message_in_the_form():
    client = Client()
    statuses = [sign_in(client, f"nobody{i}@example.test", "wrong").status_code for i in range(5)]
    assert statuses == [200] * 5  # the form again, "enter a correct email and password"
    response = sign_in(client, "nobody9@example.test", "wrong")
    assert response.status_code == 429
    assert "Too many sign-in attempts. Try again in 1 minute." in errors(response)
    assert "Too many sign-in attempts" in response.content.decode()
    hebrew = sign_in(client, "nobody9@example.test", "wrong", language="he")
    assert "יותר מדי ניסיונות כניסה" in hebrew.content.decode()
    # Another client is not affected.
    other = sign_in(Client(), "nobody0@example.test", "wrong", address="192.0.2.2")
    assert other.status_code == 200


@override_settings(RATE_LIMITS=LIMITS)
def test_even_the_right_password_waits_while_the_client_is_throttled():
    instructor = InstructorFactory()
    client = Client()
    for i in range(5):
        sign_in(client, f"nobody{i}@example.test", "wrong")
    response = sign_in(client, instructor.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@override_settings(RATE_LIMITS=LIMITS)
def test_one_account_attacked_from_many_addresses_is_throttled():
    instructor = InstructorFactory()
    statuses = [
        sign_in(Client(), instructor.email, "wrong", address=f"198.51.100.{i}").status_code
        for i in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    # A new browser with the right password waits too (one window at most) ...
    response = sign_in(Client(), instructor.email.upper(), PASSWORD, address="203.0.113.5")
    assert response.status_code == 429


@override_settings(RATE_LIMITS=LIMITS)
def test_the_instructors_own_browser_still_signs_in_during_the_attack():
    instructor = InstructorFactory()
    own = Client()
    assert sign_in(own, instructor.email, PASSWORD, address="203.0.113.5").status_code == 302
    device = own.cookies[KNOWN_DEVICE_COOKIE]
    own.logout()  # the test client's logout forgets every cookie: a browser's keeps this one
    own.cookies[KNOWN_DEVICE_COOKIE] = device
    for i in range(10):
        sign_in(Client(), instructor.email, "wrong", address=f"198.51.100.{i}")
    response = sign_in(own, instructor.email, PASSWORD, address="203.0.113.5")
    assert response.status_code == 302
    assert own.session["_auth_user_id"] == str(instructor.pk)


@override_settings(RATE_LIMITS=LIMITS)
def test_a_forged_or_other_accounts_device_cookie_does_not_help():
    instructor = InstructorFactory()
    other = InstructorFactory()
    attacker = Client()
    assert sign_in(attacker, other.email, PASSWORD, address="203.0.113.7").status_code == 302
    device = attacker.cookies[KNOWN_DEVICE_COOKIE]
    attacker.logout()
    attacker.cookies[KNOWN_DEVICE_COOKIE] = device  # signed, but for the other account
    statuses = [
        sign_in(attacker, instructor.email, "wrong", address=f"198.51.100.{i}").status_code
        for i in range(4)
    ]
    assert statuses[-1] == 429


@override_settings(RATE_LIMITS=LIMITS)
def test_a_forged_device_cookie_does_not_help():
    instructor = InstructorFactory()
    attacker = Client()
    attacker.cookies[KNOWN_DEVICE_COOKIE] = "forged"
    statuses = [
        sign_in(attacker, instructor.email, "wrong", address=f"198.51.100.{i}").status_code
        for i in range(4)
    ]
    assert statuses[-1] == 429
