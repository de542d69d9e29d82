"""Database access for async hot paths (the chat, its retrieval): psycopg's async pool.

Django's async ORM runs every query in a thread (one per request under ASGI), and under load
each hop waits for the GIL. The few queries a chat makes on every request go through a
psycopg AsyncConnectionPool instead. Django still writes the SQL: querysets (built by the
owning app's selectors) and model instances are compiled by Django and only executed here,
so visibility rules and field conversions stay in one place; `afetch_sql` runs an app's own
statement (rag's search), parameters bound by the server.

Apps that need session settings on every connection register them
(`register_session_statement`); the pool applies them when it opens a connection.
"""

import asyncio
import weakref
from collections.abc import Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.sql import InsertQuery

_pools: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]" = weakref.WeakKeyDictionary()
_session_statements: list[str] = []
_CONNINFO_KEYS = ("dbname", "user", "password", "host", "port", "sslmode", "options")


def _conninfo() -> str:
    from psycopg.conninfo import make_conninfo

    params = connections["default"].get_connection_params()
    return make_conninfo(**{k: str(v) for k, v in params.items() if k in _CONNINFO_KEYS and v})


def register_session_statement(sql: str) -> None:
    """Run `sql` (a SET) on every connection the pool opens (apps call this in ready())."""
    if sql not in _session_statements:
        _session_statements.append(sql)


async def _configure(connection: Any) -> None:
    for sql in _session_statements:
        await connection.execute(sql)


async def _pool() -> Any:
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        from psycopg_pool import AsyncConnectionPool

        # The embedded server may have to start first: that is sync work, done once.
        conninfo = await sync_to_async(_conninfo, thread_sensitive=False)()
        pool = _pools.get(loop)
        if pool is None:
            pool = AsyncConnectionPool(
                conninfo,
                min_size=1,
                max_size=settings.CHAT_DB_POOL_SIZE,
                # psycopg prepares a statement run five times (its default), unless turned off.
                kwargs={
                    "autocommit": True,
                    "prepare_threshold": 5 if settings.DATABASE_PREPARED_STATEMENTS else None,
                },
                configure=_configure,
                open=False,
            )
            _pools[loop] = pool
            await pool.open()
    return pool


async def aclose_pool() -> None:
    """Close this event loop's pool (tests, shutdown)."""
    pool = _pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await pool.close()


async def afetch(queryset: QuerySet[Any, Any]) -> list[tuple[Any, ...]]:
    """The rows of a `values_list` queryset, executed on the async pool."""
    sql, params = queryset.query.sql_with_params()
    pool = await _pool()
    async with pool.connection() as connection:
        cursor = await connection.execute(sql, params)
        return list(await cursor.fetchall())


async def afetch_sql(
    sql: str, params: dict[str, Any] | Sequence[Any], *, prepare: bool = False
) -> list[tuple[Any, ...]]:
    """The rows of one statement of our own (`%(name)s` placeholders), on the async pool.

    Prepared only when the caller asks (`prepare`): psycopg would otherwise prepare a statement
    run five times, and PostgreSQL may then settle on a generic plan, one that ignores the
    parameters' values. For rag's hybrid search at 100,000 chunks, that plan (forced, to
    measure it) took 240 ms instead of 3.
    """
    pool = await _pool()
    async with pool.connection() as connection:
        cursor = await connection.execute(sql, params, prepare=prepare)
        return list(await cursor.fetchall())


def _insert_sql(instance: Model) -> tuple[str, Sequence[Any]]:
    opts = instance._meta
    fields = [
        field
        for field in opts.local_concrete_fields
        if not getattr(field, "generated", False)
        and not (field.primary_key and getattr(field, "db_returning", False))
    ]
    query = InsertQuery(type(instance))
    query.insert_values(fields, [instance])
    [(sql, params)] = query.get_compiler(using="default").as_sql()
    return sql, params


async def ainsert(*instances: Model, then: Sequence[tuple[str, Sequence[Any]]] = ()) -> None:
    """INSERT the instances (auto_now fields filled by Django) in one transaction, followed
    by `then`'s statements (sql, params) in the same transaction."""
    statements = [_insert_sql(instance) for instance in instances]
    statements.extend(then)
    pool = await _pool()
    async with pool.connection() as connection:
        if len(statements) == 1:  # autocommit: no BEGIN and COMMIT round trips
            await connection.execute(*statements[0])
            return
        async with connection.transaction():
            for sql, params in statements:
                await connection.execute(sql, params)


async def aexecute(sql: str, params: Sequence[Any]) -> None:
    pool = await _pool()
    async with pool.connection() as connection:
        await connection.execute(sql, params)
