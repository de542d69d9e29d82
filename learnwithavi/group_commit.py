"""Rows written after a response, committed together (group commit) on the async pool.

Every chat ends with rows that nothing reads at once: its usage row and its question record.
Written one INSERT each, they were the largest part of a chat's database CPU (two statements
per chat, each a pool checkout, a send and a wakeup). Here, the rows of every caller that
arrives within `DATABASE_GROUP_COMMIT_SECONDS` of the first leave as one multi-row INSERT per
table, in one transaction; under a burst of a hundred chats that is a handful of statements
instead of two hundred.

Each caller still waits until its own rows are committed (or have failed), so nothing is
acknowledged that is not stored, and a test may read the rows once the response is over. The
wait costs the learner nothing: callers write after the response's last event. When a group
fails (a row that breaks a constraint, say a question about a video deleted meanwhile), each
row is written again on its own, so that one bad row loses nothing else (its caller hears of
the failure).

Only INSERTs of rows whose primary key nobody needs afterwards belong here: the statement
returns nothing.
"""

import asyncio
import weakref
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import Model

from learnwithavi import adb
from learnwithavi.outages import is_database_outage

# A group is written at once when it reaches this many rows (PostgreSQL takes at most 65,535
# parameters per statement; our widest row has under 20 columns).
MAX_GROUP_ROWS = 500


def _insert_statements(rows: Sequence[Model]) -> list[tuple[str, Sequence[Any]]]:
    """One INSERT per model, with a VALUES row for each of its instances (in order)."""
    by_model: dict[type[Model], list[Model]] = {}
    for row in rows:
        by_model.setdefault(type(row), []).append(row)
    return [adb.insert_statement(model, instances) for model, instances in by_model.items()]


class _Group:
    """The rows of the callers that arrived within one window, and their waiters."""

    __slots__ = ("callers", "rows")

    def __init__(self) -> None:
        self.callers: list[tuple[tuple[Model, ...], asyncio.Future[None]]] = []
        self.rows = 0


async def _write(rows: Sequence[Model]) -> None:
    await adb.aexecute_all(_insert_statements(rows))


class GroupCommit:
    """The groups of one event loop (the pool's connections belong to it too)."""

    def __init__(self) -> None:
        self._open: _Group | None = None
        self._flushing: set[asyncio.Task[None]] = set()

    async def insert(self, *rows: Model) -> None:
        """INSERT `rows` with those of the callers around; returns once they are committed.
        Raises what writing them raised."""
        if not rows:
            return
        loop = asyncio.get_running_loop()
        group = self._open
        if group is None:
            group = self._open = _Group()
            loop.call_later(settings.DATABASE_GROUP_COMMIT_SECONDS, self._close, group)
        done: asyncio.Future[None] = loop.create_future()
        # Read by the caller, or here when the caller stopped waiting (no "never retrieved").
        done.add_done_callback(_retrieve)
        group.callers.append((rows, done))
        group.rows += len(rows)
        if group.rows >= MAX_GROUP_ROWS:
            self._close(group)
        # Shielded: a caller cancelled while it waits (its client left) must not cancel the
        # write, which carries other callers' rows too.
        await asyncio.shield(done)

    def _close(self, group: _Group) -> None:
        if self._open is not group:
            return  # closed already, when it filled up
        self._open = None
        task = asyncio.get_running_loop().create_task(self._flush(group))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _flush(self, group: _Group) -> None:
        try:
            await _write([row for rows, _ in group.callers for row in rows])
        except Exception as error:
            if is_database_outage(error) or group.rows == 1:
                for _, done in group.callers:
                    _fail(done, error)
                return
            # One bad row must not lose the others: each caller's rows alone, concurrently.
            await asyncio.gather(*(_write_alone(rows, done) for rows, done in group.callers))
            return
        for _, done in group.callers:
            if not done.done():
                done.set_result(None)


async def _write_alone(rows: Sequence[Model], done: asyncio.Future[None]) -> None:
    """Each row on its own: the caller learns of the first row that failed, the others stay."""
    failure: Exception | None = None
    for row in rows:
        try:
            await _write([row])
        except Exception as error:
            failure = failure or error
    if failure is not None:
        _fail(done, failure)
    elif not done.done():
        done.set_result(None)


def _retrieve(done: asyncio.Future[None]) -> None:
    if not done.cancelled():
        done.exception()


def _fail(done: asyncio.Future[None], error: Exception) -> None:
    if not done.done():
        done.set_exception(error)


_groups: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GroupCommit]" = (
    weakref.WeakKeyDictionary()
)


async def ainsert(*rows: Model) -> None:
    """INSERT `rows` in this event loop's next group commit; returns once they are committed."""
    loop = asyncio.get_running_loop()
    group_commit = _groups.get(loop)
    if group_commit is None:
        group_commit = _groups[loop] = GroupCommit()
    await group_commit.insert(*rows)
