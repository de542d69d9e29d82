"""Preparing a chat: every check and database read that can fail as an ordinary JSON error.

`chat_prepare` runs before the stream's first byte: the daily token budget, the scope's
visibility, the conversation, retrieval and the prompt. The user's question is stored here
(signed-in users), so the answer can be saved against it after the stream.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy

from chat.models import Conversation, Message
from chat.prompts import ChatPrompt, Turn, build_prompt
from chat.providers import get_chat_models
from chat.providers.base import ChatModel
from chat.questions import QuestionDraft, question_draft
from chat.selectors import achat_tokens_today, aconversation_history, aconversation_owned
from courses.selectors import course_visibility_q, courses_visible_to, videos_visible_to
from learnwithavi import adb
from learnwithavi.errors import NotFound, RateLimited
from rag.types import SearchHit


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


# The visible-video statement, compiled by Django once per shape of the visibility rule
# (anonymous, signed-in, admin: `course_visibility_q` with the user's id left out): building
# and compiling the queryset was a twentieth of a chat's CPU. The shape is the key, so a rule
# that comes to depend on anything else about the user gets statements of its own.
_VIDEO_MARK = uuid.UUID("00000000-0000-4000-8000-00000000c0de")
_visible_video_statements: dict[str, tuple[str, tuple[Any, ...], int, int | None]] = {}


def _visible_video_statement(*, user: Any, video_id: uuid.UUID) -> tuple[str, list[Any]]:
    """SQL and parameters of `videos_visible_to(user).filter(pk=video_id)` → (id, course_id)."""
    user_pk = user.pk if user is not None and user.is_authenticated else None
    shape = repr(course_visibility_q(user=user, prefix="course__"))
    if user_pk is not None:
        shape = shape.replace(repr(user_pk), "<user>")
    cached = _visible_video_statements.get(shape)
    if cached is None:
        queryset = videos_visible_to(user=user).filter(pk=_VIDEO_MARK)
        sql, compiled = queryset.values_list("id", "course_id").query.sql_with_params()
        user_at = compiled.index(user_pk) if user_pk is not None and user_pk in compiled else None
        cached = (sql, tuple(compiled), compiled.index(_VIDEO_MARK), user_at)
        if len(_visible_video_statements) >= 64:  # bounded, whatever the rule comes to be
            _visible_video_statements.clear()
        _visible_video_statements[shape] = cached
    sql, template, video_at, user_at = cached
    params = list(template)
    params[video_at] = video_id
    if user_at is not None:
        params[user_at] = user_pk
    return sql, params


async def _visible_scope(
    *, user: Any, video_id: uuid.UUID | None, course_id: uuid.UUID | None
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(video id, course id) when the user may see them; courses' selectors decide.

    Neither given: (None, None), a question about everything the user may see.
    """
    if video_id is not None:
        sql, params = _visible_video_statement(user=user, video_id=video_id)
        rows = await adb.afetch_sql(sql, params, prepare=True)
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
