"""Receivers of other apps' signals."""

from typing import Any

from django.dispatch import receiver

from accounts.models import User
from accounts.signals import user_erased
from courses.models import UserProgress


@receiver(user_erased, sender=User, dispatch_uid="courses.erase_progress")
def erase_progress(sender: type[User], user: User, **kwargs: Any) -> None:
    """The right to be forgotten: the person's progress through every video."""
    UserProgress.objects.filter(user=user).delete()
