"""Receivers of other apps' signals."""

from typing import Any

from django.dispatch import receiver

from accounts.models import User
from accounts.signals import user_erased
from chat.models import Conversation, Message


@receiver(user_erased, sender=User, dispatch_uid="chat.erase_conversations")
def erase_conversations(sender: type[User], user: User, **kwargs: Any) -> None:
    """The right to be forgotten: the person's conversations and every message in them."""
    Message.objects.filter(conversation__user=user).delete()
    Conversation.objects.filter(user=user).delete()
