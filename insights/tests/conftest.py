from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Message
from chat.tests.factories import (
    AnswerFeedbackFactory,
    ConversationFactory,
    MessageFactory,
    QuestionRecordFactory,
)
from courses.tests.factories import CourseFactory, VideoFactory


@pytest.fixture
def course(instructor):
    return CourseFactory(owner=instructor, slug="insights-course", title="Deep learning")


@pytest.fixture
def video(course):
    return VideoFactory(
        course=course, youtube_id="lwaInsight1", title="Overfitting", duration=600, order_index=0
    )


@pytest.fixture
def second_video(course):
    return VideoFactory(
        course=course, youtube_id="lwaInsight2", title="ירידה בגרדיאנט", duration=300, order_index=1
    )


def ask(video, position, text, *, user=None, answered=True, days_ago=1, rating=None, comment=""):
    """A question record (and, for a signed-in learner, an answer with optional feedback)."""
    answer = None
    if user is not None:
        conversation = ConversationFactory(user=user, video=video, course=video.course)
        answer = MessageFactory(
            conversation=conversation, role=Message.Role.ASSISTANT, content="An answer [1]."
        )
    record = QuestionRecordFactory(
        course=video.course,
        video=video,
        user=user,
        answer=answer,
        text=text,
        position=position,
        answered=answered,
        asked_at=timezone.now() - timedelta(days=days_ago),
    )
    if rating is not None:
        AnswerFeedbackFactory(message=answer, rating=rating, comment=comment)
    return record
