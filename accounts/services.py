"""Writes for accounts: API tokens, and the users Clerk tells us about."""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import Token

from accounts.clerk import ClerkSession, clerk_user_fetch, role_from_metadata
from accounts.models import ClerkWebhookEvent, Role, User
from accounts.signals import user_erased
from learnwithavi.errors import ApplicationError, NotAuthenticated, ValidationFailed
from learnwithavi.models import AIUsage

logger = logging.getLogger(__name__)


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


# --- Clerk users: first sight of a token, webhooks, erasure -----------------------------------

CLERK_PLACEHOLDER_DOMAIN = "users.clerk.invalid"
_STAFF_ROLES = (Role.INSTRUCTOR, Role.ADMIN)
_NAME_MAX = 150


@dataclass(frozen=True)
class ClerkProfile:
    """What we keep of a Clerk user object (a webhook's `data`, or the Backend API's answer)."""

    clerk_id: str
    email: str | None
    first_name: str
    last_name: str
    role: str
    updated_at: datetime | None

    @classmethod
    def from_payload(cls, data: Any) -> "ClerkProfile":
        """Raises ValidationFailed when `data` is not a Clerk user object."""
        if not isinstance(data, Mapping):
            raise ValidationFailed(_("data: a Clerk user object is required."))
        return cls(
            clerk_id=clerk_id_from_payload(data),
            email=_primary_email(data),
            first_name=_name(data.get("first_name")),
            last_name=_name(data.get("last_name")),
            # Only public metadata: a user can write their own unsafe_metadata from the browser.
            role=role_from_metadata(data.get("public_metadata")) or Role.STUDENT,
            updated_at=_clerk_time(data.get("updated_at")),
        )


def clerk_id_from_payload(data: Mapping[str, Any]) -> str:
    clerk_id = data.get("id")
    if not isinstance(clerk_id, str) or not clerk_id.startswith("user_") or len(clerk_id) > 64:
        raise ValidationFailed(_("data.id: a Clerk user id is required."))
    return clerk_id


def _primary_email(data: Mapping[str, Any]) -> str | None:
    primary = data.get("primary_email_address_id")
    addresses = data.get("email_addresses") or []
    if not isinstance(addresses, list):
        raise ValidationFailed(_("data.email_addresses must be a list."))
    for address in addresses:
        if isinstance(address, Mapping) and address.get("id") == primary:
            email = address.get("email_address")
            if not isinstance(email, str):
                return None
            email = email.strip().lower()
            try:
                validate_email(email)
            except DjangoValidationError:
                return None
            return email if len(email) <= 254 else None
    return None


def _name(value: Any) -> str:
    return value.strip()[:_NAME_MAX] if isinstance(value, str) else ""


def _clerk_time(value: Any) -> datetime | None:
    """Clerk's timestamps are epoch milliseconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**14:
        raise ValidationFailed(_("data.updated_at must be a timestamp in milliseconds."))
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def _placeholder_email(clerk_id: str) -> str:
    """A unique address that can never receive mail, until Clerk tells us the real one."""
    return f"{clerk_id}@{CLERK_PLACEHOLDER_DOMAIN}"


def _apply_role(user: User, role: str) -> None:
    user.role = role
    user.is_staff = role in _STAFF_ROLES
    user.is_superuser = role == Role.ADMIN


def _locked_clerk_user(clerk_id: str) -> User:
    """The user of `clerk_id`, locked for this transaction; created (a student) when new.

    Concurrent first requests meet on the unique clerk_id: one inserts, the others wait for it
    and then read its row, so the user is created once.
    """
    user, _created = User.objects.select_for_update().get_or_create(
        clerk_id=clerk_id,
        defaults={
            "email": _placeholder_email(clerk_id),
            "role": Role.STUDENT,
            "password": make_password(None),  # unusable: Clerk users sign in through Clerk
        },
    )
    return user


def _save_profile(user: User, profile: ClerkProfile) -> None:
    user.first_name, user.last_name = profile.first_name, profile.last_name
    _apply_role(user, profile.role)
    user.clerk_updated_at = profile.updated_at or user.clerk_updated_at
    email = profile.email
    if email and email != user.email:
        # Never merged with another account by e-mail: a taken address keeps the one we had.
        if User.objects.filter(email=email).exclude(pk=user.pk).exists():
            logger.warning(
                "Clerk user %s has an e-mail address another account uses", user.clerk_id
            )
        else:
            user.email = email
    user.save()


def clerk_user_upsert(*, profile: ClerkProfile) -> User:
    """Create or update the user of a Clerk profile (webhooks `user.created`, `user.updated`).

    A profile older than the one we hold (`updated_at`) changes nothing, nor does any profile
    of an erased user (deliveries may arrive out of order).
    """
    with transaction.atomic():
        return _upsert(profile)


def _upsert(profile: ClerkProfile) -> User:
    user = _locked_clerk_user(profile.clerk_id)
    if user.erased_at is not None:
        return user
    held = user.clerk_updated_at
    if held is not None and profile.updated_at is not None and profile.updated_at < held:
        return user
    _save_profile(user, profile)
    return user


def clerk_user_ensure(*, session: ClerkSession) -> User:
    """The user of a verified Clerk session, created on first sight (as a student).

    With CLERK_SECRET_KEY, the new user's e-mail, names and role are read from Clerk's Backend
    API; otherwise the `user.created` webhook fills them in.
    """
    data = clerk_user_fetch(clerk_id=session.clerk_id)
    profile = None
    if data is not None:
        try:
            profile = ClerkProfile.from_payload(data)
        except ApplicationError:
            logger.warning("Clerk's user %s could not be read", session.clerk_id)
    with transaction.atomic():
        user = _locked_clerk_user(session.clerk_id)
        if profile is not None and user.clerk_updated_at is None and user.erased_at is None:
            _save_profile(user, profile)
    return clerk_user_role_sync(user=user, session=session)


def clerk_role_claim_is_newer(user: User, session: ClerkSession) -> bool:
    """Whether the token's role claim differs from, and was issued after, the profile we hold."""
    if session.role is None or session.role == user.role or user.erased_at is not None:
        return False
    issued = session.claims.get("iat")
    if user.clerk_updated_at is None or not isinstance(issued, int | float):
        return True
    return datetime.fromtimestamp(issued, tz=UTC) > user.clerk_updated_at


def clerk_user_role_sync(*, user: User, session: ClerkSession) -> User:
    """Apply the token's `metadata.role` claim when it is newer than the profile we hold.

    The claim is Clerk's public metadata, signed by Clerk: nothing a client sends can set it.
    """
    if not clerk_role_claim_is_newer(user, session):
        return user
    with transaction.atomic():
        locked = _locked_clerk_user(session.clerk_id)
        if clerk_role_claim_is_newer(locked, session):
            _apply_role(locked, session.role or Role.STUDENT)
            locked.save(update_fields=["role", "is_staff", "is_superuser"])
    return locked


def clerk_user_erase(*, clerk_id: str) -> User:
    """The right to be forgotten (webhook `user.deleted`).

    The apps delete the person's rows (the `user_erased` signal, inside this transaction), usage
    records are kept without the user, our API tokens are deleted, and the account is
    deactivated and stripped of personal data. The row stays as a tombstone holding only the
    Clerk id, so that a token still in flight is refused and a late webhook revives nothing.
    """
    with transaction.atomic():
        return _erase(clerk_id)


def _erase(clerk_id: str) -> User:
    user = _locked_clerk_user(clerk_id)
    if user.erased_at is not None:
        return user
    user_erased.send(sender=User, user=user)
    AIUsage.objects.filter(user=user).update(user=None)
    Token.objects.filter(user=user).delete()
    user.groups.clear()
    user.user_permissions.clear()
    user.email = f"erased-{user.pk}@{CLERK_PLACEHOLDER_DOMAIN}"
    user.first_name = user.last_name = ""
    user.set_unusable_password()  # also ends every Django session (their auth hash changes)
    user.is_active = False
    _apply_role(user, Role.STUDENT)
    user.last_login = None
    user.erased_at = timezone.now()
    user.save()
    return user


USER_EVENTS = ("user.created", "user.updated")


@dataclass(frozen=True)
class ClerkEvent:
    """A verified webhook delivery, parsed: raises ValidationFailed when malformed."""

    svix_id: str
    type: str
    profile: ClerkProfile | None
    clerk_id: str

    @classmethod
    def from_payload(cls, *, svix_id: str, payload: Any) -> "ClerkEvent":
        if not isinstance(payload, Mapping) or not isinstance(payload.get("type"), str):
            raise ValidationFailed(_("type: a Clerk event type is required."))
        event_type = str(payload["type"])[:64]
        data = payload.get("data")
        if event_type in USER_EVENTS:
            profile = ClerkProfile.from_payload(data)
            return cls(svix_id, event_type, profile, profile.clerk_id)
        if event_type == "user.deleted":
            if not isinstance(data, Mapping):
                raise ValidationFailed(_("data: a Clerk user object is required."))
            return cls(svix_id, event_type, None, clerk_id_from_payload(data))
        return cls(svix_id, event_type, None, "")


@transaction.atomic
def clerk_webhook_process(*, event: ClerkEvent) -> bool:
    """Apply one webhook delivery once: False when its svix-id was already processed.

    The id is recorded in the transaction of the change, so a retry after a failure re-applies
    it and a retry after success (or a replay) changes nothing. Events we do not use are
    recorded and otherwise ignored.
    """
    try:
        with transaction.atomic():
            ClerkWebhookEvent.objects.create(
                svix_id=event.svix_id, event_type=event.type, clerk_id=event.clerk_id
            )
    except IntegrityError:
        return False  # a concurrent delivery of the same id waited for ours to commit
    if event.profile is not None:
        _upsert(event.profile)
    elif event.type == "user.deleted":
        _erase(event.clerk_id)
    return True
