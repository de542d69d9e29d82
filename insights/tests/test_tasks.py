"""The retention purge: question text goes after INSIGHTS_RETENTION_DAYS, the counts stay."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from chat.models import AnswerFeedback, QuestionRecord
from insights.tasks import question_text_purge_task
from insights.tests.conftest import ask
from testing.waiting import wait_for
from testing.workers import start_worker, worker_env

pytestmark = pytest.mark.django_db


def test_old_question_text_and_comments_are_emptied_and_the_counts_kept(
    course, video, student, instructor_client, settings
):
    settings.INSIGHTS_RETENTION_DAYS = 30
    ask(video, 10, "Old question", user=student, days_ago=45, rating="down", comment="Old comment")
    ask(video, 20, "Recent question", user=student, days_ago=2, rating="up", comment="Recent")
    # A comment's own age counts (it was written when it was written).
    AnswerFeedback.objects.filter(comment="Old comment").update(
        created_at=timezone.now() - timedelta(days=44)
    )
    assert question_text_purge_task.delay().get() == (1, 1)
    assert set(QuestionRecord.objects.values_list("text", flat=True)) == {"", "Recent question"}
    assert set(AnswerFeedback.objects.values_list("comment", "rating")) == {
        ("", "down"),
        ("Recent", "up"),
    }
    body = instructor_client.get(
        f"/api/courses/{course.pk}/insights", {"from": "2000-01-01"}
    ).json()
    assert body["questions"] == 2  # the count stays
    assert body["videos"][0]["feedback"]["down"] == 1
    assert [c["comment"] for c in body["videos"][0]["feedback"]["comments"]] == ["Recent"]
    assert question_text_purge_task.delay().get() == (0, 0)  # nothing left to purge


def test_retention_zero_keeps_everything(video, settings):
    settings.INSIGHTS_RETENTION_DAYS = 0
    ask(video, 10, "Ancient question", days_ago=4000)
    assert question_text_purge_task.delay().get() == (0, 0)
    assert QuestionRecord.objects.get().text == "Ancient question"


def test_the_purge_is_on_the_beat_schedule():
    entries = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("purge_task")
    ]
    assert entries == [{"task": "insights.tasks.question_text_purge_task", "schedule": 24 * 3600.0}]
    from learnwithavi.celery import app

    app.loader.import_default_modules()
    assert "insights.tasks.question_text_purge_task" in app.tasks


@pytest.mark.broker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_celery_beat_runs_the_purge_on_a_real_worker(video, tmp_path):
    """A worker with its embedded beat, through the Redis broker, empties old text."""
    ask(video, 10, "Old question", days_ago=400)
    ask(video, 20, "Recent question", days_ago=1)
    queue = f"insights-test-{uuid.uuid4().hex[:8]}"
    env = worker_env(queue, INSIGHTS_RETENTION_DAYS="365", INSIGHTS_PURGE_EVERY_SECONDS="1")
    options = ["--beat", "--schedule", str(tmp_path / "beat-schedule")]
    worker = start_worker(env, queue=queue, options=options)
    try:
        purged = wait_for(
            lambda: not QuestionRecord.objects.filter(text="Old question").exists(), seconds=60
        )
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    assert purged
    assert set(QuestionRecord.objects.values_list("text", flat=True)) == {"", "Recent question"}
