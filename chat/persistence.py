"""Persistence of an answer: the assistant's message and the usage row of each paid call.

Both are written after the stream (the learner already has `done`); a failure to write is
logged, never shown to the learner, whose answer has already arrived.
"""

import logging
import time
from dataclasses import replace
from typing import Any

from django.utils import timezone

from chat.models import Conversation, Message
from chat.providers import ChatModel, Usage, elapsed_ms
from learnwithavi import adb
from learnwithavi.models import AIUsage
from learnwithavi.usage import estimate_cost

logger = logging.getLogger(__name__)


class Attempt:
    """Which provider is speaking, what it has cost so far, for usage rows."""

    def __init__(self) -> None:
        self.model: ChatModel | None = None
        self.started = time.perf_counter()
        self.tokens = 0
        self.usage: Usage | None = None


async def chat_usage_record(*, user: Any, attempt: Attempt, success: bool) -> None:
    """One AIUsage row for a paid provider's attempt (output counted if it was cut short)."""
    model = attempt.model
    if model is None or not model.paid:
        return
    usage = attempt.usage or Usage()
    if usage.output_tokens < attempt.tokens:  # interrupted before the final count arrived
        usage = replace(usage, output_tokens=attempt.tokens)
    amounts = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
    }
    row = AIUsage(
        provider=model.provider,
        model=model.model,
        endpoint="chat",
        user=user if user is not None and user.is_authenticated else None,
        latency_ms=elapsed_ms(attempt.started),
        success=success,
        estimated_cost=estimate_cost(provider=model.provider, model=model.model, **amounts),
        **amounts,
    )
    try:
        await adb.ainsert(row)
    except Exception:
        logger.exception("Could not record chat usage")


async def chat_answer_save(
    *,
    conversation: Conversation | None,
    text: str,
    sources: list[dict[str, Any]],
    status: str,
    model: ChatModel | None,
) -> None:
    """The assistant's message in the conversation (signed-in users only)."""
    if conversation is None:
        return
    message = Message(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        content=text,
        sources=sources,
        status=status,
        provider=model.provider if model else "",
        model=model.model if model else "",
    )
    table = Conversation._meta.db_table
    try:
        await adb.ainsert(message)
        await adb.aexecute(
            f"UPDATE {table} SET updated_at = %s WHERE id = %s",  # noqa: S608  our own table name
            [timezone.now(), conversation.pk],
        )
    except Exception:
        logger.exception("Could not save the chat answer")
