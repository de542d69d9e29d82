"""Who someone is, role-wise, and the DRF permission classes built on it."""

from typing import Any, TypeGuard

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts.models import User

AnyUser = AbstractBaseUser | AnonymousUser


def is_signed_in(user: AnyUser | None) -> TypeGuard[User]:
    """A real, active account (not AnonymousUser)."""
    return isinstance(user, User) and user.is_active


def is_platform_admin(user: AnyUser | None) -> bool:
    return is_signed_in(user) and user.is_platform_admin


def can_author_courses(user: AnyUser | None) -> bool:
    """Instructors and admins may create courses."""
    return is_signed_in(user) and (user.is_instructor or user.is_platform_admin)


class IsSignedInForWrites(BasePermission):
    """Reads are open to anyone; every other method needs a signed-in user (else 401)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or is_signed_in(request.user)


class IsInstructorOrAdminForWrites(BasePermission):
    """Reads are open; writes need an instructor or an admin (401 anonymous, 403 others)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can_author_courses(request.user)
