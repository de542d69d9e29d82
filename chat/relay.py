"""Relaying a provider with failover: the first provider that speaks answers.

Providers are tried in order; one that fails (or stays silent past the first-token
deadline) before its first token hands over to the next. After the first token there is no
failover: a failure ends the answer with an error.
"""

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy

from chat.persistence import Attempt, chat_usage_record
from chat.preparation import PreparedChat
from chat.providers import ChatModel, ProviderError, StreamEnd, TextDelta, Usage, UsageUpdate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finished:
    model: ChatModel
    usage: Usage


@dataclass(frozen=True)
class Failed:
    code: str
    message: Any


async def run_providers(
    prepared: PreparedChat, queue: asyncio.Queue[Any], attempt: Attempt
) -> None:
    """Try each provider until one speaks; fail over only before its first token."""
    unavailable = Failed(
        "provider_unavailable",
        gettext_lazy("The tutor is busy right now. Please try again in a moment."),
    )
    for model in prepared.models:
        attempt.model, attempt.started, attempt.tokens = model, time.perf_counter(), 0
        try:
            async with asyncio.timeout(settings.CHAT_FIRST_TOKEN_TIMEOUT) as first_token:
                async for event in model.stream(prepared.prompt):
                    if isinstance(event, TextDelta):
                        if attempt.tokens == 0:
                            first_token.reschedule(None)
                        attempt.tokens += 1
                        queue.put_nowait(event)
                    elif isinstance(event, StreamEnd | UsageUpdate):
                        attempt.usage = event.usage
            queue.put_nowait(Finished(model, attempt.usage or Usage()))
            return
        except Exception as error:  # ProviderError, TimeoutError, or a bug in a provider
            if not isinstance(error, ProviderError | TimeoutError):
                logger.exception("Chat provider %s raised unexpectedly", model.provider)
            retryable = isinstance(error, TimeoutError) or (
                isinstance(error, ProviderError) and error.retryable
            )
            logger.warning(
                "Chat provider %s failed (%s)%s",
                model.provider,
                error,
                "" if attempt.tokens else " before its first token",
            )
            if model.paid:
                await chat_usage_record(user=prepared.user, attempt=attempt, success=False)
            if attempt.tokens or not retryable:
                queue.put_nowait(
                    Failed(
                        "provider_error",
                        gettext_lazy("The tutor could not finish this answer. Please try again."),
                    )
                )
                return
    queue.put_nowait(unavailable)
