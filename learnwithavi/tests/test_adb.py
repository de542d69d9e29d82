"""The async pool's statements sent together (pipeline mode): each its own rows, in order."""

import psycopg
import pytest

from learnwithavi import adb

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _clean_up(close_async_pool):
    return


async def test_statements_sent_together_return_their_own_rows_in_order():
    rows = await adb.afetch_together(
        [
            ("SELECT %(n)s::int * 2", {"n": 21}, False),
            ("SELECT generate_series(1, %s)", [3], True),
            ("SELECT 'none' WHERE false", [], False),
        ]
    )
    assert rows == [[(42,)], [(1,), (2,), (3,)], []]


async def test_a_failing_statement_raises_and_the_pool_still_serves():
    with pytest.raises(psycopg.errors.DivisionByZero):
        await adb.afetch_together([("SELECT 1", [], False), ("SELECT 1 / 0", [], False)])
    assert await adb.afetch_sql("SELECT 7", []) == [(7,)]
