"""The tutor: prepare an answer (before the stream opens), then stream it as SSE events.

This module composes the chat's four parts, one job each: `chat.preparation` (checks,
retrieval and the prompt, before the first byte), `chat.relay` (the providers, with
failover before the first token), `chat.wire` (the SSE encoding) and `chat.persistence`
(the saved answer and the usage rows). `chat_stream` relays the tokens through the citation
filter, keeps idle connections alive, and saves the answer and its usage at the end,
including when the learner leaves mid-answer.
"""

from collections.abc import AsyncIterator
from typing import Any

from django.conf import settings
from django.utils import translation

from chat.citations import CitationFilter
from chat.models import Message
from chat.persistence import answer_message, answer_message_save, chat_answer_record
from chat.preparation import ChatInput, PreparedChat, achat_budget_check, chat_prepare
from chat.questions import question_record
from chat.relay import IDLE, Failed, Finished, ProviderRelay
from chat.wire import HEARTBEAT, AnswerEvents, source_payload, sse_event
from learnwithavi.sanitizer import sanitize

__all__ = ["ChatInput", "PreparedChat", "achat_budget_check", "chat_prepare", "chat_stream"]


def _cited_sources(prepared: PreparedChat, citations: CitationFilter) -> list[dict[str, Any]]:
    return [source_payload(n, prepared.prompt.sources[n - 1]) for n in citations.cited]


async def chat_stream(prepared: PreparedChat) -> AsyncIterator[bytes]:
    """The SSE body: content events, then done or error; heartbeats while the model is silent.

    The answer and the usage rows are written after `done` (or the error) has been sent, and
    also when the learner leaves mid-answer (the relay then closes the upstream stream).
    """
    relay = ProviderRelay(
        models=prepared.models,
        prompt=prepared.prompt,
        first_token_timeout=settings.CHAT_FIRST_TOKEN_TIMEOUT,
        heartbeat=settings.CHAT_HEARTBEAT_SECONDS,
        coalesce=settings.CHAT_COALESCE_SECONDS,
    )
    citations = CitationFilter(len(prepared.prompt.sources))
    answer = AnswerEvents()
    outcome = Message.Status.INTERRUPTED
    saved: Message | None = None
    items = relay.items()
    try:
        async for item in items:
            if isinstance(item, str):
                text = citations.feed(item)
                if text:
                    yield answer.content(text)
                continue
            if item is IDLE:
                yield HEARTBEAT
                continue
            tail = citations.flush()
            if tail:
                yield answer.content(tail)
            if isinstance(item, Finished):
                outcome = Message.Status.COMPLETE
                conversation = prepared.conversation
                sources = _cited_sources(prepared, citations)
                if conversation is not None:
                    # Saved before `done` (one INSERT, signed-in learners only): feedback on
                    # the answer needs its id. The usage rows still wait for after the stream.
                    saved = await answer_message_save(
                        answer_message(
                            conversation=conversation,
                            text=answer.text,
                            sources=sources,
                            status=outcome,
                            model=item.model,
                        )
                    )
                yield answer.done(
                    sources=sources,
                    provider=item.model.provider,
                    conversation_id=str(conversation.pk) if conversation else None,
                    message_id=saved.pk if saved else None,
                )
            elif isinstance(item, Failed):
                outcome = Message.Status.FAILED
                with translation.override(prepared.language):
                    message = sanitize(str(item.message))
                yield sse_event({"type": "error", "error": message, "code": item.code})
            break
    finally:
        # The learner left (or the server is stopping): stop paying for tokens at once.
        await items.aclose()
        if outcome == Message.Status.INTERRUPTED:
            answer.add(citations.flush())
        current = relay.current
        # After the last byte: the records cost the learner no wait.
        await chat_answer_record(
            user=prepared.user,
            conversation=prepared.conversation,
            text=answer.text,
            sources=_cited_sources(prepared, citations),
            status=outcome,
            model=current.model if current else None,
            attempts=relay.attempts,
            saved=saved,
            question=question_record(prepared.question, answer=saved, answer_text=answer.text),
        )
