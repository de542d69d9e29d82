"""Privacy: erasure removes the rollup rows that point at the user (the counts have none)."""

from typing import Any

from django.dispatch import receiver

from accounts.signals import user_erased
from insights.models import MonthlyLearner


@receiver(user_erased, dispatch_uid="insights.monthly_learners_erase")
def erase_monthly_learners(sender: Any, user: Any, **kwargs: Any) -> None:
    MonthlyLearner.objects.filter(user=user).delete()
