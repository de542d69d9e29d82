"""Privacy: a user's erasure removes the question records and feedback that point at them."""

from typing import Any

from django.dispatch import receiver

from accounts.signals import user_erased
from chat.questions import question_records_erase


@receiver(user_erased, dispatch_uid="chat.question_records_erase")
def erase_question_records(sender: Any, user: Any, **kwargs: Any) -> None:
    question_records_erase(user=user)
