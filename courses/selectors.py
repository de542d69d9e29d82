"""Reads for courses, videos and progress. Other apps call the `*_visible_to` selectors."""

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from accounts.permissions import AnyUser, is_platform_admin, is_signed_in
from courses.models import Course, Video
from learnwithavi.errors import NotFound


def _as_uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def course_visibility_q(*, user: AnyUser | None, prefix: str = "") -> Q:
    """The courses `user` may see: published ones, plus their own, plus everything for admins."""
    if is_platform_admin(user):
        return Q()
    visible = Q(**{f"{prefix}is_published": True})
    if is_signed_in(user):
        visible |= Q(**{f"{prefix}owner_id": user.pk})
    return visible


def courses_visible_to(*, user: AnyUser | None) -> QuerySet[Course]:
    """Every course `user` may read."""
    return Course.objects.filter(course_visibility_q(user=user)).select_related("owner")


def videos_visible_to(*, user: AnyUser | None) -> QuerySet[Video]:
    """Every video `user` may read (its course is visible to them), with its course loaded."""
    return Video.objects.filter(course_visibility_q(user=user, prefix="course__")).select_related(
        "course"
    )


def course_visible_to(*, user: AnyUser | None, course_id: uuid.UUID | str) -> Course:
    """The course, if `user` may see it. Raises NotFound when it is missing or hidden."""
    pk = _as_uuid(course_id)
    if pk is None:
        raise NotFound(code="course_not_found")
    try:
        return courses_visible_to(user=user).get(pk=pk)
    except Course.DoesNotExist:
        raise NotFound(code="course_not_found") from None


def video_visible_to(*, user: AnyUser | None, video_id: uuid.UUID | str) -> Video:
    """The video (course loaded), if `user` may see it. Raises NotFound when missing or hidden."""
    pk = _as_uuid(video_id)
    if pk is None:
        raise NotFound(code="video_not_found")
    try:
        return videos_visible_to(user=user).get(pk=pk)
    except Video.DoesNotExist:
        raise NotFound(code="video_not_found") from None


async def acourse_visible_to(*, user: AnyUser | None, course_id: uuid.UUID | str) -> Course:
    """`course_visible_to` for async views (native async ORM)."""
    pk = _as_uuid(course_id)
    if pk is None:
        raise NotFound(code="course_not_found")
    try:
        return await courses_visible_to(user=user).aget(pk=pk)
    except Course.DoesNotExist:
        raise NotFound(code="course_not_found") from None


async def avideo_visible_to(*, user: AnyUser | None, video_id: uuid.UUID | str) -> Video:
    """`video_visible_to` for async views (native async ORM)."""
    pk = _as_uuid(video_id)
    if pk is None:
        raise NotFound(code="video_not_found")
    try:
        return await videos_visible_to(user=user).aget(pk=pk)
    except Video.DoesNotExist:
        raise NotFound(code="video_not_found") from None
