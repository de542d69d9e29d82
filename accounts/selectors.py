"""Reads for accounts: who a credential belongs to (sync for DRF views, async for streams)."""

from django.db.models import QuerySet

from accounts.models import User
from learnwithavi import adb

# Every column of a user, so the async path builds the same instance the ORM would.
_USER_FIELDS = [f.attname for f in User._meta.concrete_fields]


def user_by_clerk_id(*, clerk_id: str) -> User | None:
    """The local user of a Clerk user id (never matched by e-mail)."""
    return User.objects.filter(clerk_id=clerk_id).first()


def user_by_api_token(*, key: str) -> User | None:
    """The owner of one of our API tokens."""
    return User.objects.filter(auth_token__key=key).first()


async def _afirst(queryset: QuerySet[User]) -> User | None:
    rows = await adb.afetch(queryset.values_list(*_USER_FIELDS)[:1])
    return User.from_db("default", _USER_FIELDS, rows[0]) if rows else None


async def auser_by_clerk_id(*, clerk_id: str) -> User | None:
    """user_by_clerk_id on the async pool: one query, no thread hop."""
    return await _afirst(User.objects.filter(clerk_id=clerk_id))


async def auser_by_api_token(*, key: str) -> User | None:
    """user_by_api_token on the async pool: one query, no thread hop."""
    return await _afirst(User.objects.filter(auth_token__key=key))
