"""Writes for accounts: API tokens."""

from django.contrib.auth import authenticate
from rest_framework.authtoken.models import Token

from accounts.models import User
from learnwithavi.errors import NotAuthenticated


def token_obtain(*, email: str, password: str) -> Token:
    """The user's API token, made on first sign-in. Raises NotAuthenticated on bad credentials."""
    user = authenticate(username=email.strip().lower(), password=password)
    if user is None or not user.is_active:
        raise NotAuthenticated(code="invalid_credentials")
    token, _ = Token.objects.get_or_create(user=user)
    return token


def token_revoke(*, user: User) -> None:
    """Sign out everywhere this token is used: it is deleted, the next sign-in makes a new one."""
    Token.objects.filter(user=user).delete()
