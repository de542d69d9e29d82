"""Group commit: rows of callers that arrive together leave as one statement per table.

PostgreSQL tells which rows one transaction wrote: they share `xmin`, the id of the
transaction that inserted them. So the tests read the grouping from the database itself.
"""

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from chat.models import QuestionRecord
from learnwithavi import group_commit
from learnwithavi.models import AIUsage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _clean_up(close_async_pool, close_async_test_connections):
    return


def usage(number: int) -> AIUsage:
    return AIUsage(provider="anthropic", model=f"claude-{number}", endpoint="chat", latency_ms=1)


def record(video_id: uuid.UUID | None = None) -> QuestionRecord:
    return QuestionRecord(text="What is dropout?", language="en", video_id=video_id, answered=False)


@sync_to_async
def usage_models() -> list[str]:
    return sorted(AIUsage.objects.values_list("model", flat=True))


@sync_to_async
def transactions_of(table: str) -> list[tuple[str, int]]:
    """(xmin, rows) for each transaction that wrote rows of `table`."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xmin::text, count(*) FROM {table} GROUP BY 1")  # noqa: S608
        return [(xmin, count) for xmin, count in cursor.fetchall()]


async def test_callers_within_the_window_share_one_transaction_and_all_rows_arrive(settings):
    settings.DATABASE_GROUP_COMMIT_SECONDS = 0.05
    await asyncio.gather(*(group_commit.ainsert(usage(n), record()) for n in range(40)))

    usage_groups = await transactions_of(AIUsage._meta.db_table)
    record_groups = await transactions_of(QuestionRecord._meta.db_table)
    assert [count for _, count in usage_groups] == [40]
    assert [count for _, count in record_groups] == [40]
    assert usage_groups[0][0] == record_groups[0][0]  # both tables, one transaction
    assert await usage_models() == sorted(f"claude-{n}" for n in range(40))


async def test_a_caller_returns_only_once_its_rows_are_committed(settings):
    settings.DATABASE_GROUP_COMMIT_SECONDS = 0.05
    await group_commit.ainsert(usage(1))
    assert await AIUsage.objects.acount() == 1


async def test_callers_in_different_windows_write_separately(settings):
    settings.DATABASE_GROUP_COMMIT_SECONDS = 0.01
    await group_commit.ainsert(usage(1))
    await group_commit.ainsert(usage(2))
    assert len(await transactions_of(AIUsage._meta.db_table)) == 2


async def test_a_full_group_leaves_without_waiting_for_its_window(settings):
    settings.DATABASE_GROUP_COMMIT_SECONDS = 30  # a test that waited for it would time out
    rows = [usage(n) for n in range(group_commit.MAX_GROUP_ROWS)]
    await asyncio.wait_for(group_commit.ainsert(*rows), timeout=10)
    assert await AIUsage.objects.acount() == group_commit.MAX_GROUP_ROWS


async def test_a_bad_row_fails_its_caller_and_loses_no_other_row(settings):
    settings.DATABASE_GROUP_COMMIT_SECONDS = 0.05
    missing_video = uuid.uuid4()  # the foreign key fails: the video is gone

    results = await asyncio.gather(
        group_commit.ainsert(usage(1), record()),
        group_commit.ainsert(usage(2), record(video_id=missing_video)),
        group_commit.ainsert(usage(3)),
        return_exceptions=True,
    )

    assert results[0] is None
    assert results[2] is None
    assert isinstance(results[1], Exception)
    assert await usage_models() == ["claude-1", "claude-2", "claude-3"]  # its usage row stays
    assert await QuestionRecord.objects.acount() == 1


async def test_a_caller_cancelled_while_it_waits_does_not_lose_the_groups_rows(settings):
    settings.DATABASE_GROUP_COMMIT_SECONDS = 0.05
    leaving = asyncio.ensure_future(group_commit.ainsert(usage(1)))
    staying = asyncio.ensure_future(group_commit.ainsert(usage(2)))
    await asyncio.sleep(0.01)
    leaving.cancel()

    await staying
    await asyncio.sleep(0.05)  # the group was written after `leaving` stopped waiting
    assert await AIUsage.objects.acount() == 2
