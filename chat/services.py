"""The tutor: prepare an answer (before the stream opens), then stream it as SSE events.

`chat_prepare` does every check and database read that can fail as an ordinary JSON error:
scope visibility, the conversation, retrieval, the prompt. `chat_stream` then runs the
provider chain in a task, relays its tokens (coalesced when several arrive together) through
the citation filter, keeps idle connections alive, and saves the answer and its usage at the
end, including when the learner leaves mid-answer.
"""

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from chat.citations import CitationFilter
from chat.models import Conversation, Message
from chat.prompts import ChatPrompt, Turn, build_prompt
from chat.providers import (
    ChatModel,
    ProviderError,
    StreamEnd,
    TextDelta,
    Usage,
    UsageUpdate,
    elapsed_ms,
    get_chat_models,
)
from chat.questions import QuestionDraft, aquestion_record, question_draft
from chat.selectors import achat_tokens_today, aconversation_history, aconversation_owned
from courses.selectors import courses_visible_to, videos_visible_to
from learnwithavi import adb
from learnwithavi.errors import NotFound, RateLimited
from learnwithavi.models import AIUsage
from learnwithavi.sanitizer import sanitize
from learnwithavi.usage import estimate_cost
from rag.types import SearchHit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatInput:
    """A validated request body."""

    message: str
    video_id: uuid.UUID | None = None
    course_id: uuid.UUID | None = None
    conversation_id: uuid.UUID | None = None
    history: Sequence[Turn] = ()
    chunk_ids: Sequence[int] = ()
    position: float | None = None


@dataclass
class PreparedChat:
    """Everything the stream needs, loaded before its first byte."""

    user: Any
    prompt: ChatPrompt
    conversation: Conversation | None
    language: str
    models: Sequence[ChatModel] = field(default_factory=tuple)
    # The question's record, stored once the stream is over (chat.questions).
    question: QuestionDraft | None = None


def source_payload(number: int, hit: SearchHit) -> dict[str, Any]:
    return {
        "number": number,
        "chunkId": hit.chunk_id,
        "videoId": str(hit.video_id),
        "youtubeId": hit.youtube_id,
        "title": hit.video_title,
        "startTime": hit.start_time,
        "endTime": hit.end_time,
        "url": hit.url,
        "text": hit.text,
        "score": round(hit.score, 4),
    }


def sse_event(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


HEARTBEAT = b": ping\n\n"


async def achat_budget_check(*, user: Any) -> None:
    """Raises RateLimited (429) when the user's daily chat token budget is spent."""
    budget = settings.CHAT_DAILY_TOKEN_BUDGET
    if not budget or user is None or not user.is_authenticated:
        return
    if await achat_tokens_today(user=user) >= budget:
        raise RateLimited(
            gettext_lazy("You have used today's tutor budget. It renews at midnight UTC."),
            code="token_budget_exceeded",
        )


async def _retrieve(
    *,
    data: ChatInput,
    video_id: uuid.UUID | None,
    course_id: uuid.UUID | None,
    visible_video_ids: Sequence[uuid.UUID] | None,
    chunk_video_ids: Sequence[uuid.UUID],
) -> list[SearchHit]:
    """The sources: the client's chunk ids (text reloaded, visible scope only), then search."""
    from rag import selectors as rag_selectors

    k = settings.CHAT_SOURCES_K
    hits: list[SearchHit] = []
    if data.chunk_ids:
        # Only the ids are trusted: the text comes from the database, in the visible scope.
        hits.extend(
            await rag_selectors.achunks_by_ids(
                ids=list(data.chunk_ids)[:k], video_ids=list(chunk_video_ids)
            )
        )
    if len(hits) < k:
        result = await rag_selectors.ahybrid_search(
            query=data.message,
            video_id=video_id,
            course_id=None if video_id is not None else course_id,
            video_ids=visible_video_ids,
            k=k,
            position=data.position if video_id is not None else None,
        )
        seen = {hit.chunk_id for hit in hits}
        hits.extend(hit for hit in result.hits if hit.chunk_id not in seen)
    return hits[:k]


async def _visible_scope(
    *, user: Any, video_id: uuid.UUID | None, course_id: uuid.UUID | None
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(video id, course id) when the user may see them; courses' selectors decide.

    Neither given: (None, None), a question about everything the user may see.
    """
    if video_id is not None:
        rows = await adb.afetch(
            videos_visible_to(user=user).filter(pk=video_id).values_list("id", "course_id")
        )
        if not rows:
            raise NotFound(code="video_not_found")
        return rows[0][0], rows[0][1]
    if course_id is not None:
        rows = await adb.afetch(
            courses_visible_to(user=user).filter(pk=course_id).values_list("id")
        )
        if not rows:
            raise NotFound(code="course_not_found")
        return None, rows[0][0]
    return None, None


async def _visible_video_ids(*, user: Any, course_id: uuid.UUID | None) -> list[uuid.UUID]:
    """The ids of the videos `user` may see (of one course, when given)."""
    videos = videos_visible_to(user=user)
    if course_id is not None:
        videos = videos.filter(course_id=course_id)
    return [row[0] for row in await adb.afetch(videos.order_by().values_list("id"))]


async def chat_prepare(*, user: Any, data: ChatInput) -> PreparedChat:
    """Check the scope and the conversation, retrieve the sources, build the prompt.

    Without a video or a course, the question is about every video the user may see. Raises
    NotFound for a video, course or conversation the user may not see, RateLimited when the
    daily token budget is spent.
    """
    await achat_budget_check(user=user)
    conversation: Conversation | None = None
    history: Sequence[Turn] = data.history
    video_id, course_id = data.video_id, data.course_id
    if data.conversation_id is not None:
        conversation = await aconversation_owned(user=user, conversation_id=data.conversation_id)
        video_id = video_id or conversation.video_id
        course_id = course_id or conversation.course_id
        history = await aconversation_history(conversation=conversation)
    video_id, course_id = await _visible_scope(user=user, video_id=video_id, course_id=course_id)
    # Without a video or a course, the search covers every video the user may see.
    visible_video_ids = (
        await _visible_video_ids(user=user, course_id=None)
        if video_id is None and course_id is None
        else None
    )
    chunk_video_ids: Sequence[uuid.UUID] = []
    if video_id is not None:
        chunk_video_ids = [video_id]
    elif data.chunk_ids:
        chunk_video_ids = (
            visible_video_ids
            if visible_video_ids is not None
            else await _visible_video_ids(user=user, course_id=course_id)
        )
    hits = await _retrieve(
        data=data,
        video_id=video_id,
        course_id=course_id,
        visible_video_ids=visible_video_ids,
        chunk_video_ids=chunk_video_ids,
    )
    prompt = build_prompt(
        question=data.message,
        sources=hits,
        history=history,
        history_token_budget=settings.CHAT_HISTORY_TOKEN_BUDGET,
    )
    if user is not None and user.is_authenticated:
        rows: list[Conversation | Message] = []
        if conversation is None:
            conversation = Conversation(
                user=user,
                video_id=video_id,
                course_id=course_id,
                title=data.message[:200],
            )
            rows.append(conversation)
        rows.append(
            Message(conversation=conversation, role=Message.Role.USER, content=data.message)
        )
        await adb.ainsert(*rows)
    return PreparedChat(
        user=user,
        prompt=prompt,
        conversation=conversation,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        models=get_chat_models(),
        question=question_draft(
            user=user,
            text=data.message,
            course_id=course_id,
            video_id=video_id,
            position=data.position,
            hits=hits,
        ),
    )


# --- the stream --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Finished:
    model: ChatModel
    usage: Usage


@dataclass(frozen=True)
class _Failed:
    code: str
    message: Any


class _Attempt:
    """Which provider is speaking, what it has cost so far, for usage rows."""

    def __init__(self) -> None:
        self.model: ChatModel | None = None
        self.started = time.perf_counter()
        self.tokens = 0
        self.usage: Usage | None = None


async def _run_providers(
    prepared: PreparedChat, queue: asyncio.Queue[Any], attempt: _Attempt
) -> None:
    """Try each provider until one speaks; fail over only before its first token."""
    unavailable = _Failed(
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
            queue.put_nowait(_Finished(model, attempt.usage or Usage()))
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
                await _record_usage(prepared, attempt, success=False)
            if attempt.tokens or not retryable:
                queue.put_nowait(
                    _Failed(
                        "provider_error",
                        gettext_lazy("The tutor could not finish this answer. Please try again."),
                    )
                )
                return
    queue.put_nowait(unavailable)


async def _record_usage(prepared: PreparedChat, attempt: _Attempt, *, success: bool) -> None:
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
    user = prepared.user if prepared.user is not None and prepared.user.is_authenticated else None
    row = AIUsage(
        provider=model.provider,
        model=model.model,
        endpoint="chat",
        user=user,
        latency_ms=elapsed_ms(attempt.started),
        success=success,
        estimated_cost=estimate_cost(provider=model.provider, model=model.model, **amounts),
        **amounts,
    )
    try:
        await adb.ainsert(row)
    except Exception:
        logger.exception("Could not record chat usage")


async def _save_answer(
    prepared: PreparedChat,
    *,
    text: str,
    sources: list[dict[str, Any]],
    status: str,
    model: ChatModel | None,
) -> Message | None:
    conversation = prepared.conversation
    if conversation is None:
        return None
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
        await adb.ainsert_returning_pk(message)
        await adb.aexecute(
            f"UPDATE {table} SET updated_at = %s WHERE id = %s",  # noqa: S608  our own table name
            [timezone.now(), conversation.pk],
        )
    except Exception:
        logger.exception("Could not save the chat answer")
        return None
    return message


async def chat_stream(prepared: PreparedChat) -> AsyncIterator[bytes]:
    """The SSE body: content events, then done or error; heartbeats while the model is silent."""
    queue: asyncio.Queue[Any] = asyncio.Queue()
    attempt = _Attempt()
    producer = asyncio.create_task(_run_providers(prepared, queue, attempt))
    citations = CitationFilter(len(prepared.prompt.sources))
    said: list[str] = []
    outcome = Message.Status.INTERRUPTED
    answer: Message | None = None
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
            if isinstance(item, _Finished):
                outcome = Message.Status.COMPLETE
                answer = await _save_answer(
                    prepared, text=full, sources=sources, status=outcome, model=item.model
                )
                await _record_usage(prepared, attempt, success=True)
                yield sse_event(
                    {
                        "type": "done",
                        "sources": sources,
                        "fullContent": full,
                        "provider": item.model.provider,
                        "conversationId": str(prepared.conversation.pk)
                        if prepared.conversation
                        else None,
                        "messageId": answer.pk if answer else None,
                    }
                )
            else:
                outcome = Message.Status.FAILED
                answer = await _save_answer(
                    prepared, text=full, sources=sources, status=outcome, model=attempt.model
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
            answer = await _save_answer(
                prepared, text=full, sources=sources, status=outcome, model=attempt.model
            )
            await _record_usage(prepared, attempt, success=True)
        # After the last byte: the record costs the learner no wait.
        await aquestion_record(prepared.question, answer=answer, answer_text="".join(said))
