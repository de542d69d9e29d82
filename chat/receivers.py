"""Receivers of other apps' signals."""

from typing import Any

from django.dispatch import receiver

from accounts.models import User
from accounts.signals import user_erased
from chat.models import Conversation, Message
from chat.questions import question_records_erase


@receiver(user_erased, sender=User, dispatch_uid="chat.erase_conversations")
def erase_conversations(sender: type[User], user: User, **kwargs: Any) -> None:
    """The right to be forgotten: the person's conversations and every message in them."""
    Message.objects.filter(conversation__user=user).delete()
    Conversation.objects.filter(user=user).delete()


@receiver(user_erased, dispatch_uid="chat.question_records_erase")
def erase_question_records(sender: Any, user: Any, **kwargs: Any) -> None:
    """The person's question records and their feedback on answers."""
    question_records_erase(user=user)
