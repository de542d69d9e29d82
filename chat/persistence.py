"""Persistence of an answer: the assistant's message and the usage row of each paid call.

Written after the stream (the learner already has `done`) on the async pool: the answer in
one transaction, the usage rows and the question's record in a group commit with other
chats' (learnwithavi.group_commit). A failure to write is logged, never shown to the
learner, whose answer has already arrived.
"""

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from django.db.models import Model
from django.utils import timezone

from chat.models import Conversation, Message, QuestionRecord
from chat.providers.base import ChatModel, Usage
from chat.relay import Attempt
from learnwithavi import adb, group_commit
from learnwithavi.models import AIUsage
from learnwithavi.usage import estimate_cost

logger = logging.getLogger(__name__)


def _usage_row(*, user: Any, attempt: Attempt) -> AIUsage:
    """One AIUsage row for a paid provider's attempt (output counted if it was cut short)."""
    model = attempt.model
    usage = attempt.usage or Usage()
    if usage.output_tokens < attempt.tokens:  # interrupted before the final count arrived
        usage = replace(usage, output_tokens=attempt.tokens)
    amounts = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
    }
    finished = attempt.finished if attempt.finished is not None else time.perf_counter()
    return AIUsage(
        provider=model.provider,
        model=model.model,
        endpoint="chat",
        user=user if user is not None and user.is_authenticated else None,
        latency_ms=int((finished - attempt.started) * 1000),
        success=attempt.success,  # AIUsage.success: False only when the provider failed
        estimated_cost=estimate_cost(provider=model.provider, model=model.model, **amounts),
        **amounts,
    )


async def chat_answer_record(
    *,
    user: Any,
    conversation: Conversation | None,
    text: str,
    sources: list[dict[str, Any]],
    status: str,
    model: ChatModel | None,
    attempts: Sequence[Attempt],
    saved: Message | None = None,
    question: QuestionRecord | None = None,
) -> None:
    """Save what a chat leaves behind, after its stream. Never raises: a failed write is logged.

    A signed-in learner's conversation gets the answer (unless `saved` already holds it) and
    its new `updated_at`, in one transaction. The usage row of each paid provider tried and
    the question's record join the other chats' in the next group commit.
    """
    if conversation is not None:
        rows = (
            []
            if saved is not None
            else [
                answer_message(
                    conversation=conversation,
                    text=text,
                    sources=sources,
                    status=status,
                    model=model,
                )
            ]
        )
        table = Conversation._meta.db_table
        touch = (
            f"UPDATE {table} SET updated_at = %s WHERE id = %s",  # noqa: S608  our own table
            [timezone.now(), conversation.pk],
        )
        try:
            await adb.ainsert(*rows, then=[touch])
        except Exception:
            logger.exception("Could not save the chat answer")
    records: list[Model] = [
        _usage_row(user=user, attempt=attempt) for attempt in attempts if attempt.model.paid
    ]
    if question is not None:
        records.append(question)
    try:
        await group_commit.ainsert(*records)
    except Exception:
        logger.exception("Could not save the chat's usage and question record")


def answer_message(
    *,
    conversation: Conversation,
    text: str,
    sources: list[dict[str, Any]],
    status: str,
    model: ChatModel | None,
) -> Message:
    """The assistant's message, not yet saved."""
    return Message(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        content=text,
        sources=sources,
        status=status,
        provider=model.provider if model else "",
        model=model.model if model else "",
    )


async def answer_message_save(message: Message) -> Message | None:
    """INSERT a complete answer before `done`, so `done` can name it (its feedback needs the
    id). Returns None, logged, if it cannot be written."""
    try:
        await adb.ainsert_returning_pk(message)
    except Exception:
        logger.exception("Could not save the chat answer")
        return None
    return message
