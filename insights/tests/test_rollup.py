"""The monthly rollup: the same insights, read from far fewer rows."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.signals import user_erased
from accounts.tests.factories import UserFactory
from chat.models import QuestionRecord
from insights.models import MonthlyLearner, MonthlyQuestionBin, RolledUpMonth
from insights.services import question_months_roll_up
from insights.tasks import question_months_roll_up_task
from insights.tests.conftest import ask
from insights.tests.test_apis import QUERIES

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def at(record, moment):
    QuestionRecord.objects.filter(pk=record.pk).update(asked_at=moment)


@pytest.fixture
def history(video, second_video, student):
    other = UserFactory()
    moments = [
        datetime(2026, 2, 28, 23, 59, tzinfo=UTC),  # the last minute of February
        datetime(2026, 3, 1, 0, 0, tzinfo=UTC),  # the first of March
        datetime(2026, 3, 20, 8, 0, tzinfo=UTC),
        datetime(2026, 4, 10, 8, 0, tzinfo=UTC),
        datetime(2026, 5, 31, 23, 0, tzinfo=UTC),
        datetime(2026, 6, 2, 9, 0, tzinfo=UTC),  # the current month: never rolled up
    ]
    for i, moment in enumerate(moments):
        for j in range(3):
            target = video if j else second_video
            record = ask(
                target,
                95 + 40 * j + i,
                f"q{i}-{j}",
                user=(student, other, None)[j],
                answered=j != 2,
                rating="down" if j == 0 else None,
                comment=f"c{i}" if j == 0 else "",
            )
            at(record, moment)
        at(ask(video, None, f"no position {i}"), moment)
    return {"student": student, "other": other}


def insights(client, course, **params):
    response = client.get(f"/api/courses/{course.pk}/insights", params)
    assert response.status_code == 200, response.content
    return response.json()


PERIODS = [
    {"from": "2000-01-01", "to": "2026-06-15"},  # everything
    {"from": "2026-03-01", "to": "2026-04-30"},  # exactly March and April
    {"from": "2026-03-01T00:00:01Z", "to": "2026-05-31"},  # March read from the records
    {"from": "2026-02-15", "to": "2026-03-31"},  # half of February, all of March
    {"from": "2026-04-01", "to": "2026-04-30"},  # April alone
]


def test_the_rollup_answers_exactly_as_the_records_do(instructor_client, course, history):
    before = [insights(instructor_client, course, **p) for p in PERIODS]
    assert question_months_roll_up(now=NOW) == [
        date(2026, 2, 1),
        date(2026, 3, 1),
        date(2026, 4, 1),
        date(2026, 5, 1),
    ]
    assert MonthlyQuestionBin.objects.exists()
    after = [insights(instructor_client, course, **p) for p in PERIODS]
    assert after == before
    assert [b["questions"] for b in after] == [24, 12, 12, 12, 4]
    assert [b["learners"] for b in after] == [2, 2, 2, 2, 2]
    assert question_months_roll_up(now=NOW) == []  # nothing left to do


def test_statements_stay_bounded_with_rolled_up_months(
    instructor_client, course, history, django_assert_max_num_queries
):
    question_months_roll_up(now=NOW)
    with django_assert_max_num_queries(QUERIES):
        insights(instructor_client, course, **PERIODS[2])


def test_erasure_removes_the_learner_rows_but_the_anonymous_counts_stay(
    instructor_client, course, history
):
    question_months_roll_up(now=NOW)
    student = history["student"]
    assert MonthlyLearner.objects.filter(user=student).exists()
    user_erased.send(sender=User, user=student)
    assert not MonthlyLearner.objects.filter(user=student).exists()
    body = insights(instructor_client, course, **PERIODS[1])
    assert (body["questions"], body["learners"]) == (12, 1)
    history["other"].delete()  # account deletion
    assert insights(instructor_client, course, **PERIODS[1])["learners"] == 0


def test_the_task_rolls_up_the_months_that_are_over(course, video):
    at(ask(video, 10, "last month"), timezone.now() - timedelta(days=40))
    ask(video, 10, "today")
    assert question_months_roll_up_task.delay().get() >= 1
    current = timezone.now().date().replace(day=1)
    assert not RolledUpMonth.objects.filter(month=current).exists()
    assert RolledUpMonth.objects.filter(month__lt=current).exists()
