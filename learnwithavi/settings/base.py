"""Settings shared by every environment; everything that differs comes from the environment.

Each concern reads its own variables in a module of `components/`; this module composes them
and joins the pieces that several of them contribute to (Celery beat's schedule).
"""

import django_stubs_ext

from learnwithavi.settings.components.ai import *  # noqa: F403
from learnwithavi.settings.components.api import *  # noqa: F403
from learnwithavi.settings.components.cache_celery import *  # noqa: F403
from learnwithavi.settings.components.chat import *  # noqa: F403
from learnwithavi.settings.components.clerk_cors import *  # noqa: F403
from learnwithavi.settings.components.database import *  # noqa: F403
from learnwithavi.settings.components.demo import *  # noqa: F403
from learnwithavi.settings.components.django import *  # noqa: F403
from learnwithavi.settings.components.environment import BASE_DIR as BASE_DIR
from learnwithavi.settings.components.insights import *  # noqa: F403
from learnwithavi.settings.components.insights import INSIGHTS_PURGE_EVERY_SECONDS
from learnwithavi.settings.components.rag import *  # noqa: F403
from learnwithavi.settings.components.rag import RAG_INGEST_SWEEP_INTERVAL
from learnwithavi.settings.components.security import *  # noqa: F403
from learnwithavi.settings.components.voice import *  # noqa: F403

# Lets classes such as ModelAdmin[User] be subscripted at run time, as the type stubs write them.
django_stubs_ext.monkeypatch()

CELERY_BEAT_SCHEDULE = {
    # The sweep that re-queues (or fails) transcript jobs stuck past a bound.
    "rag-requeue-stuck-transcripts": {
        "task": "rag.tasks.requeue_stuck_transcripts",
        "schedule": RAG_INGEST_SWEEP_INTERVAL,
    },
    "insights-purge-question-text": {
        "task": "insights.tasks.question_text_purge_task",
        "schedule": INSIGHTS_PURGE_EVERY_SECONDS,
    },
    # Months that are over go into the insights' monthly rollup (a no-op on most days).
    "insights-roll-up-months": {
        "task": "insights.tasks.question_months_roll_up_task",
        "schedule": 3600.0,
    },
}
