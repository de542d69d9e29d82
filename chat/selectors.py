"""Reads for conversations, their messages and the chat token budget."""

import uuid
from typing import Any

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from chat.models import Conversation, Message
from chat.prompts import Turn
from learnwithavi.errors import NotFound
from learnwithavi.models import AIUsage

HISTORY_MESSAGES = 40


def conversation_list(*, user: Any) -> QuerySet[Conversation]:
    """The user's conversations, newest activity first, with their message counts."""
    return (
        Conversation.objects.filter(user=user)
        .select_related("video", "course")
        .annotate(message_count=Count("messages"))
        .order_by("-updated_at")
    )


def conversation_detail(*, user: Any, conversation_id: uuid.UUID) -> Conversation:
    """One of the user's conversations with its messages. Raises NotFound for anyone else's."""
    try:
        return (
            Conversation.objects.select_related("video", "course")
            .prefetch_related(Prefetch("messages", queryset=Message.objects.order_by("created_at")))
            .get(pk=conversation_id, user=user)
        )
    except Conversation.DoesNotExist:
        raise NotFound(code="conversation_not_found") from None


async def aconversation_owned(*, user: Any, conversation_id: uuid.UUID) -> Conversation:
    """The user's conversation, for continuing it. Raises NotFound for anyone else's."""
    if user is None or not user.is_authenticated:
        raise NotFound(code="conversation_not_found")
    try:
        return await Conversation.objects.aget(pk=conversation_id, user=user)
    except Conversation.DoesNotExist:
        raise NotFound(code="conversation_not_found") from None


async def aconversation_history(*, conversation: Conversation) -> list[Turn]:
    """The conversation's last turns (failed answers left out), oldest first."""
    rows = [
        (role, content)
        async for role, content in Message.objects.filter(conversation=conversation)
        .exclude(status=Message.Status.FAILED)
        .exclude(content="")
        .order_by("-created_at")
        .values_list("role", "content")[:HISTORY_MESSAGES]
    ]
    rows.reverse()
    return [Turn(role=role, content=content) for role, content in rows]  # type: ignore[arg-type]  # role is a Role choice


async def achat_tokens_today(*, user: Any) -> int:
    """Chat tokens (in, out, cache) the user has spent since midnight UTC."""
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    totals = await AIUsage.objects.filter(
        user=user, endpoint="chat", created_at__gte=midnight
    ).aaggregate(
        tokens=Coalesce(Sum("input_tokens"), 0)
        + Coalesce(Sum("output_tokens"), 0)
        + Coalesce(Sum("cache_read_tokens"), 0)
        + Coalesce(Sum("cache_write_tokens"), 0)
    )
    return int(totals["tokens"] or 0)
