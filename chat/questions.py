"""The record of every question to the tutor, and feedback on answers.

The chat calls `question_draft` while it prepares an answer (no I/O: it only notes what is
known then) and `question_record` once the stream is over; chat.persistence saves the record
with the chat's usage rows, so recording costs the learner nothing before the first token.
The insights app reads the records through `question_records_between` and
`answer_feedback_between`.
"""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from chat.extractive import PHRASES
from chat.models import AnswerFeedback, Message, QuestionRecord
from chat.prompts import detect_language
from learnwithavi.errors import NotFound
from rag.types import SearchHit

MAX_FEEDBACK_COMMENT_CHARS = 2000

# How a tutor says that the videos do not cover a question (the local answerer's own words,
# and the usual phrasings of the models, in both languages). Only the answer's opening is read.
_NOT_COVERED = re.compile(
    "|".join(
        [re.escape(phrases["not_found"][:30]) for phrases in PHRASES.values()]
        + [
            r"\b(?:do|does|did)(?: not|n't) (?:cover|contain|mention|discuss|address|explain)",
            r"\b(?:is|are|was|were)(?: not|n't) (?:covered|mentioned|discussed|addressed)",
            r"\bnot (?:covered|mentioned|discussed) in\b",
            r"\bcould(?: not|n't) find\b",
            r"\bno information (?:about|on)\b",
            r"לא מצאתי",
            r"(?:לא|אינו|אינה|אינם|אינן) (?:מכוס|מוזכר|מופיע|עוס|מכיל|מתייחס|מסביר|דן)",
            r"אין (?:בסרטון|בתמלול|במקורות|מידע)",
        ]
    ),
    re.IGNORECASE,
)
_OPENING_CHARS = 300


@dataclass(frozen=True)
class QuestionDraft:
    """What is known of a question before its answer streams."""

    text: str
    user_id: Any
    course_id: uuid.UUID | None
    video_id: uuid.UUID | None
    position: float | None
    language: str
    best_score: float | None


def question_draft(
    *,
    user: Any,
    text: str,
    course_id: uuid.UUID | None,
    video_id: uuid.UUID | None,
    position: float | None,
    hits: Sequence[SearchHit],
) -> QuestionDraft:
    """The record-to-be of a question: its scope, the learner's position, the best score."""
    signed_in = user is not None and user.is_authenticated
    return QuestionDraft(
        text=text,
        user_id=user.pk if signed_in else None,
        course_id=course_id,
        video_id=video_id,
        # A position means something only on the video being watched.
        position=position if video_id is not None else None,
        language=detect_language(text),
        best_score=max((hit.score for hit in hits), default=None),
    )


def answer_says_not_covered(text: str) -> bool:
    """Whether the answer's opening says the videos do not cover the question."""
    return _NOT_COVERED.search(text[:_OPENING_CHARS]) is not None


def question_answered(*, best_score: float | None, answer_text: str) -> bool:
    """Grounded: a source above the relevance threshold, and an answer that does not say
    the videos do not cover it."""
    if best_score is None or best_score < settings.INSIGHTS_RELEVANCE_THRESHOLD:
        return False
    return not answer_says_not_covered(answer_text)


def question_record(
    draft: QuestionDraft | None, *, answer: Message | None, answer_text: str
) -> QuestionRecord | None:
    """The question's record, not yet saved (None: nothing to record); `answer` when saved."""
    if draft is None:
        return None
    return QuestionRecord(
        course_id=draft.course_id,
        video_id=draft.video_id,
        user_id=draft.user_id,
        answer=answer if answer is not None and answer.pk is not None else None,
        text=draft.text,
        position=draft.position,
        language=draft.language,
        best_score=draft.best_score,
        answered=question_answered(best_score=draft.best_score, answer_text=answer_text),
    )


# --- feedback ----------------------------------------------------------------------------------


@transaction.atomic
def answer_feedback_set(
    *, user: Any, message_id: int, rating: str, comment: str = ""
) -> tuple[AnswerFeedback, bool]:
    """Rate one of the user's own answers; a second rating replaces the first.

    Returns (feedback, created). Raises NotFound for a message that is not the user's own
    answer (someone else's, a question, or none at all).
    """
    try:
        message = Message.objects.select_for_update().get(
            pk=message_id, role=Message.Role.ASSISTANT, conversation__user=user
        )
    except Message.DoesNotExist:
        raise NotFound(code="message_not_found") from None
    feedback, created = AnswerFeedback.objects.update_or_create(
        message=message, defaults={"rating": rating, "comment": comment}
    )
    return feedback, created


# --- reads for the insights --------------------------------------------------------------------


def question_records_between(
    *, course_id: uuid.UUID | None, since: datetime, until: datetime
) -> QuerySet[QuestionRecord]:
    """The course's question records asked in [since, until) (every course's: None)."""
    records = QuestionRecord.objects.filter(asked_at__gte=since, asked_at__lt=until)
    if course_id is not None:
        records = records.filter(course_id=course_id)
    return records.order_by()


def question_records_in(
    *, course_id: uuid.UUID, periods: Sequence[tuple[datetime, datetime]]
) -> QuerySet[QuestionRecord]:
    """The course's question records asked in any of the [since, until) periods."""
    when = Q(pk__in=[])
    for since, until in periods:
        when |= Q(asked_at__gte=since, asked_at__lt=until)
    return QuestionRecord.objects.filter(when, course_id=course_id).order_by()


def question_records_first_asked() -> datetime | None:
    """When the oldest record was asked (None: no records)."""
    first: datetime | None = QuestionRecord.objects.aggregate(first=Min("asked_at"))["first"]
    return first


def answer_feedback_between(
    *, course_id: uuid.UUID, since: datetime, until: datetime
) -> QuerySet[AnswerFeedback]:
    """Feedback on the answers to the course's questions asked in [since, until)."""
    return AnswerFeedback.objects.filter(
        message__question_record__course_id=course_id,
        message__question_record__asked_at__gte=since,
        message__question_record__asked_at__lt=until,
    ).order_by()


def question_examples(
    *,
    windows: Sequence[tuple[uuid.UUID, float, float]],
    since: datetime,
    until: datetime,
    limit: int,
) -> dict[int, list[str]]:
    """The latest `limit` question texts asked in each (video, start, end) stretch of the
    timeline, by the stretch's index. One statement, whatever the number of stretches."""
    if not windows:
        return {}
    sql = f"""
SELECT w.idx, q.text
FROM unnest(%(videos)s::uuid[], %(starts)s::float8[], %(ends)s::float8[])
     WITH ORDINALITY AS w(video_id, start_at, end_at, idx)
CROSS JOIN LATERAL (
    SELECT r.text FROM {QuestionRecord._meta.db_table} r
    WHERE r.video_id = w.video_id AND r.position >= w.start_at AND r.position < w.end_at
      AND r.asked_at >= %(since)s AND r.asked_at < %(until)s AND r.text <> ''
    ORDER BY r.asked_at DESC, r.id DESC
    LIMIT %(limit)s
) q
ORDER BY w.idx"""  # noqa: S608  only our own table name is interpolated
    params: dict[str, Any] = {
        "videos": [w[0] for w in windows],
        "starts": [float(w[1]) for w in windows],
        "ends": [float(w[2]) for w in windows],
        "since": since,
        "until": until,
        "limit": limit,
    }
    examples: dict[int, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for idx, text in cursor.fetchall():
            examples.setdefault(int(idx) - 1, []).append(text)
    return examples


def unanswered_questions_latest(
    *, video_ids: Sequence[uuid.UUID], since: datetime, until: datetime, limit: int
) -> dict[uuid.UUID, list[tuple[str, float | None, datetime]]]:
    """Each video's latest `limit` unanswered questions as (text, position, asked at).
    One statement, whatever the number of videos."""
    if not video_ids:
        return {}
    sql = f"""
SELECT v.id, q.text, q.position, q.asked_at
FROM unnest(%(videos)s::uuid[]) AS v(id)
CROSS JOIN LATERAL (
    SELECT r.text, r.position, r.asked_at FROM {QuestionRecord._meta.db_table} r
    WHERE r.video_id = v.id AND NOT r.answered
      AND r.asked_at >= %(since)s AND r.asked_at < %(until)s AND r.text <> ''
    ORDER BY r.asked_at DESC, r.id DESC
    LIMIT %(limit)s
) q"""  # noqa: S608  only our own table name is interpolated
    params: dict[str, Any] = {
        "videos": list(video_ids),
        "since": since,
        "until": until,
        "limit": limit,
    }
    latest: dict[uuid.UUID, list[tuple[str, float | None, datetime]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for video_id, text, position, asked_at in cursor.fetchall():
            latest.setdefault(video_id, []).append((text, position, asked_at))
    return latest


# --- privacy -----------------------------------------------------------------------------------


def question_records_erase(*, user: Any) -> int:
    """Delete the user's question records and feedback (erasure). Returns the records deleted."""
    AnswerFeedback.objects.filter(message__conversation__user=user).delete()
    deleted, _by_model = QuestionRecord.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def question_text_purge(*, days: int, now: datetime | None = None) -> tuple[int, int]:
    """Empty the text of questions (and feedback comments) older than `days`; rows and
    ratings stay, so the counts do. Returns (questions, comments) emptied."""
    before = (now or timezone.now()) - timedelta(days=days)
    questions = QuestionRecord.objects.filter(asked_at__lt=before).exclude(text="").update(text="")
    comments = (
        AnswerFeedback.objects.filter(created_at__lt=before).exclude(comment="").update(comment="")
    )
    return questions, comments
