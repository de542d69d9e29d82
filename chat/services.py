"""The tutor: prepare an answer (before the stream opens), then stream it as SSE events.

This module composes the chat's four parts, one job each: `chat.preparation` (checks,
retrieval and the prompt, before the first byte), `chat.relay` (the providers, with
failover before the first token), `chat.wire` (the SSE encoding) and `chat.persistence`
(the saved answer and the usage rows). `chat_stream` relays the tokens through the citation
filter, keeps idle connections alive, and saves the answer and its usage at the end,
including when the learner leaves mid-answer.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from django.conf import settings
from django.utils import translation

from chat.citations import CitationFilter
from chat.models import Message
from chat.persistence import Attempt, chat_answer_save, chat_usage_record
from chat.preparation import ChatInput, PreparedChat, achat_budget_check, chat_prepare
from chat.providers import TextDelta
from chat.relay import Finished, run_providers
from chat.wire import HEARTBEAT, source_payload, sse_event
from learnwithavi.sanitizer import sanitize

__all__ = ["ChatInput", "PreparedChat", "achat_budget_check", "chat_prepare", "chat_stream"]

logger = logging.getLogger(__name__)


async def chat_stream(prepared: PreparedChat) -> AsyncIterator[bytes]:
    """The SSE body: content events, then done or error; heartbeats while the model is silent."""
    queue: asyncio.Queue[Any] = asyncio.Queue()
    attempt = Attempt()
    producer = asyncio.create_task(run_providers(prepared, queue, attempt))
    citations = CitationFilter(len(prepared.prompt.sources))
    said: list[str] = []
    outcome = Message.Status.INTERRUPTED
    heartbeat = settings.CHAT_HEARTBEAT_SECONDS
    try:
        while True:
            try:
                async with asyncio.timeout(heartbeat):
                    item = await queue.get()
            except TimeoutError:
                yield HEARTBEAT
                continue
            # Tokens that arrived together leave together, as one event.
            pieces: list[str] = []
            while isinstance(item, TextDelta):
                pieces.append(item.text)
                if queue.empty():
                    item = None
                    break
                item = queue.get_nowait()
            if pieces:
                text = citations.feed("".join(pieces))
                if text:
                    said.append(text)
                    yield sse_event({"type": "content", "content": text})
            if item is None:
                continue
            tail = citations.flush()
            if tail:
                said.append(tail)
                yield sse_event({"type": "content", "content": tail})
            full = "".join(said)
            sources = [source_payload(n, prepared.prompt.sources[n - 1]) for n in citations.cited]
            if isinstance(item, Finished):
                outcome = Message.Status.COMPLETE
                await chat_answer_save(
                    conversation=prepared.conversation,
                    text=full,
                    sources=sources,
                    status=outcome,
                    model=item.model,
                )
                await chat_usage_record(user=prepared.user, attempt=attempt, success=True)
                yield sse_event(
                    {
                        "type": "done",
                        "sources": sources,
                        "fullContent": full,
                        "provider": item.model.provider,
                        "conversationId": str(prepared.conversation.pk)
                        if prepared.conversation
                        else None,
                    }
                )
            else:
                outcome = Message.Status.FAILED
                await chat_answer_save(
                    conversation=prepared.conversation,
                    text=full,
                    sources=sources,
                    status=outcome,
                    model=attempt.model,
                )
                with translation.override(prepared.language):
                    message = sanitize(str(item.message))
                yield sse_event({"type": "error", "error": message, "code": item.code})
            return
    finally:
        if not producer.done():
            # The learner left (or the server is stopping): stop paying for tokens at once.
            producer.cancel()
            try:
                await producer
            except asyncio.CancelledError:
                pass
            except Exception:
                logger.exception("Chat provider task failed while being cancelled")
        if outcome == Message.Status.INTERRUPTED:
            full = "".join(said) + citations.flush()
            sources = [source_payload(n, prepared.prompt.sources[n - 1]) for n in citations.cited]
            await chat_answer_save(
                conversation=prepared.conversation,
                text=full,
                sources=sources,
                status=outcome,
                model=attempt.model,
            )
            await chat_usage_record(user=prepared.user, attempt=attempt, success=True)
