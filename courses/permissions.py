"""Who may see and who may manage a course. Used by the API, the admin and other apps."""

from accounts.permissions import AnyUser, is_platform_admin, is_signed_in
from courses.models import Course


def can_manage_course(*, user: AnyUser | None, course: Course) -> bool:
    """The owner (an instructor) and admins may change a course and its videos."""
    if is_platform_admin(user):
        return True
    return is_signed_in(user) and user.is_instructor and course.owner_id == user.pk


def can_see_course(*, user: AnyUser | None, course: Course) -> bool:
    """Published courses are public; unpublished ones only their owner and admins see."""
    if course.is_published or is_platform_admin(user):
        return True
    return is_signed_in(user) and course.owner_id == user.pk
