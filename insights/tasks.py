"""Celery beat: the daily retention purge of question text."""

import logging

from celery import shared_task
from django.conf import settings

from chat.questions import question_text_purge

logger = logging.getLogger(__name__)


@shared_task
def question_text_purge_task() -> tuple[int, int]:
    """Empty question text and feedback comments older than INSIGHTS_RETENTION_DAYS."""
    days = settings.INSIGHTS_RETENTION_DAYS
    if days <= 0:
        return 0, 0
    questions, comments = question_text_purge(days=days)
    logger.info("Retention: emptied %d question texts and %d comments", questions, comments)
    return questions, comments


@shared_task
def question_months_roll_up_task() -> int:
    """Roll up the months that are over into the insights' monthly tables."""
    from insights.services import question_months_roll_up

    return len(question_months_roll_up())
