"""Database access for async hot paths (the chat, its retrieval): psycopg's async pool.

Django's async ORM runs every query in a thread (one per request under ASGI), and under load
each hop waits for the GIL. The few queries a chat makes on every request go through a
psycopg AsyncConnectionPool instead. Django still writes the SQL: querysets (built by the
owning app's selectors) and model instances are compiled by Django and only executed here,
so visibility rules and field conversions stay in one place; `afetch_sql` runs an app's own
statement (rag's search), parameters bound by the server.

Apps that need session settings on every connection register them
(`register_session_statement`); the pool applies them when it opens a connection.

When the database goes away, the pool's connections are dead and a new one would make every
caller wait for the pool's timeout. So a failed connection retires the whole pool; the next
query opens a new one after connecting once directly, which fails at once while the server is
down (a 503, learnwithavi.errors) and starts a stopped embedded server again. A read that met a
dead connection is retried once, so no request fails after the database is back.
"""

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.sql import InsertQuery

from learnwithavi.outages import is_database_outage

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

_pools: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]" = weakref.WeakKeyDictionary()
_session_statements: list[str] = []
_retiring: set["asyncio.Task[None]"] = set()  # pools being closed in the background
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


def _revive_server() -> bool:
    """Start the embedded server again if it stopped (False for any other database)."""
    revive = getattr(connections["default"], "revive_server", None)
    return bool(revive is not None and revive())


async def _connect_once(conninfo: str) -> None:
    """Connect directly: raises at once while the server is down, where the pool would wait."""
    import psycopg

    try:
        connection = await psycopg.AsyncConnection.connect(conninfo)
    except psycopg.OperationalError:
        if not await sync_to_async(_revive_server, thread_sensitive=False)():
            raise
        connection = await psycopg.AsyncConnection.connect(conninfo)
    await connection.close()


async def _pool() -> Any:
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        from psycopg_pool import AsyncConnectionPool

        # The embedded server may have to start first: that is sync work, done once.
        conninfo = await sync_to_async(_conninfo, thread_sensitive=False)()
        await _connect_once(conninfo)
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


def _retire(pool: "AsyncConnectionPool") -> None:
    """Drop a pool whose connections the server dropped: the next query opens a new one."""
    loop = asyncio.get_running_loop()
    if _pools.get(loop) is not pool:
        return  # another caller retired it already
    del _pools[loop]
    closing: asyncio.Task[None] = loop.create_task(pool.close(timeout=5))
    _retiring.add(closing)
    closing.add_done_callback(_retiring.discard)


async def _run(work: Callable[[Any], Awaitable[Any]], *, retry: bool) -> Any:
    """`work(connection)` on a pooled connection; reads (`retry`) once more after an outage."""
    for attempt in range(2):
        pool = await _pool()
        try:
            async with pool.connection() as connection:
                return await work(connection)
        except Exception as error:
            from psycopg_pool import PoolTimeout

            # A busy pool (a timeout waiting for a connection) is answered 503 but kept.
            if isinstance(error, PoolTimeout) or not is_database_outage(error):
                raise
            _retire(pool)
            if not retry or attempt:
                raise
    raise AssertionError("unreachable")


async def aclose_pool() -> None:
    """Close this event loop's pool (tests, shutdown)."""
    pool = _pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await pool.close()


async def afetch(queryset: QuerySet[Any, Any]) -> list[tuple[Any, ...]]:
    """The rows of a `values_list` queryset, executed on the async pool."""
    sql, params = queryset.query.sql_with_params()

    async def fetch(connection: Any) -> list[tuple[Any, ...]]:
        cursor = await connection.execute(sql, params)
        return list(await cursor.fetchall())

    rows: list[tuple[Any, ...]] = await _run(fetch, retry=True)
    return rows


async def afetch_sql(
    sql: str, params: dict[str, Any] | Sequence[Any], *, prepare: bool = False
) -> list[tuple[Any, ...]]:
    """The rows of one statement of our own (`%(name)s` placeholders), on the async pool.

    Prepared only when the caller asks (`prepare`): psycopg would otherwise prepare a statement
    run five times, and PostgreSQL may then settle on a generic plan, one that ignores the
    parameters' values. For rag's hybrid search at 100,000 chunks, that plan (forced, to
    measure it) took 240 ms instead of 3.
    """

    async def fetch(connection: Any) -> list[tuple[Any, ...]]:
        cursor = await connection.execute(sql, params, prepare=prepare)
        return list(await cursor.fetchall())

    rows: list[tuple[Any, ...]] = await _run(fetch, retry=True)
    return rows


def insert_statement(model: type[Model], instances: Sequence[Model]) -> tuple[str, Sequence[Any]]:
    """Django's INSERT of `instances` of `model` (one VALUES row each; auto_now fields filled)."""
    fields = [
        field
        for field in model._meta.local_concrete_fields
        if not getattr(field, "generated", False)
        and not (field.primary_key and getattr(field, "db_returning", False))
    ]
    query = InsertQuery(model)
    query.insert_values(fields, list(instances))
    [(sql, params)] = query.get_compiler(using="default").as_sql()
    return sql, params


def _insert_sql(instance: Model) -> tuple[str, Sequence[Any]]:
    return insert_statement(type(instance), [instance])


async def ainsert(*instances: Model, then: Sequence[tuple[str, Sequence[Any]]] = ()) -> None:
    """INSERT the instances (auto_now fields filled by Django) in one transaction, followed
    by `then`'s statements (sql, params) in the same transaction."""
    await aexecute_all([*(_insert_sql(instance) for instance in instances), *then])


async def aexecute_all(statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """Run the statements (sql, params) in one transaction."""

    async def execute(connection: Any) -> None:
        if len(statements) == 1:  # autocommit: no BEGIN and COMMIT round trips
            await connection.execute(*statements[0])
            return
        async with connection.transaction():
            for sql, params in statements:
                await connection.execute(sql, params)

    await _run(execute, retry=False)


async def aexecute(sql: str, params: Sequence[Any]) -> None:
    async def execute(connection: Any) -> None:
        await connection.execute(sql, params)

    await _run(execute, retry=False)


async def ainsert_returning_pk(instance: Model) -> None:
    """INSERT one instance and set the primary key the database generated (an auto field)."""
    sql, params = _insert_sql(instance)
    pk = instance._meta.pk
    if pk is None:  # an abstract model has none
        raise TypeError(f"{type(instance).__name__} has no primary key")

    async def insert(connection: Any) -> Any:
        cursor = await connection.execute(f'{sql} RETURNING "{pk.column}"', params)
        return await cursor.fetchone()

    row = await _run(insert, retry=False)
    if row is None:  # an INSERT ... RETURNING returns its row; a trigger could drop it
        raise RuntimeError("The INSERT returned no row")
    instance.pk = row[0]
