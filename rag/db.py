"""How the search statements reach PostgreSQL: bound by the server, the vector in binary.

Django's default cursor binds parameters on the client: a query vector travels as a
4-kilobyte literal inside the SQL text, which PostgreSQL lexes and parses on every search
(bench/search_bench.py: about 0.6 ms of a 1.3 ms search at 100,000 chunks). The search uses a
server-binding cursor instead, wrapped by Django like any other (query logging, execute
wrappers, assertNumQueries still see it), and sends the vector as pgvector's binary format.

With server-side binding a statement cannot carry `SET LOCAL`s, so the HNSW settings every
search needs are session settings, set once per database connection when it is opened.
Async searches run the same statements on learnwithavi.adb's pool, which binds on the server
too and applies the same settings to its connections.

A statement whose best plan does not depend on its parameters' values (the vector-only search
over the HNSW walk) is prepared, so that PostgreSQL plans it once per connection rather than
on every search; the selector says which (`search_cursor(prepare=True)`). Every other
statement is planned for its values. DATABASE_PREPARED_STATEMENTS=false turns preparation off,
for a connection pooler in transaction mode that does not track prepared statements.
"""

import struct
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]  # not in stubs
    ServerBindingCursor,
)
from django.db.backends.utils import CursorWrapper


class QueryVector:
    """A query embedding, sent as a binary `vector` parameter (write `%(name)s::vector`)."""

    __slots__ = ("values",)

    def __init__(self, values: Sequence[float]) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)


def _vector_dumper() -> type:
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    class QueryVectorDumper(Dumper):
        # No type OID: the statement's `::vector` cast tells the server what the bytes are,
        # so nothing has to look the extension's type up per connection.
        format = Format.BINARY

        def dump(self, obj: QueryVector) -> bytes:
            # pgvector's wire format: dimensions, an unused word, big-endian float32s.
            values = np.asarray(obj.values, dtype=">f4")
            return struct.pack("!HH", len(values), 0) + values.tobytes()

    return QueryVectorDumper


def register_adapters() -> None:
    """Teach psycopg (every connection opened from now on) to send QueryVectors."""
    import psycopg

    psycopg.adapters.register_dumper(QueryVector, _vector_dumper())


_configured: "weakref.WeakSet[Any]" = weakref.WeakSet()


def session_statements() -> list[str]:
    """The session settings of every search: HNSW candidate list size, iterative scans.

    Iterative scans let a filtered HNSW scan (another model's vectors, a course among many)
    go on until it has enough rows, and let a search ask for more rows than `ef_search`.
    """
    return [
        f"SET hnsw.ef_search = {int(settings.RAG_HNSW_EF_SEARCH)}",
        "SET hnsw.iterative_scan = relaxed_order",
    ]


# Django leaves psycopg's automatic preparation off (threshold None), which also refuses a
# statement that asks to be prepared. A threshold no statement reaches keeps automatic
# preparation off and lets the search prepare the statements it chooses.
_NEVER_AUTOMATICALLY = 2**31


def configure_session(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created` receiver: the search's session settings, once per connection.

    A pooled connection comes back with its settings, so it is configured only the first time.
    """
    if connection.vendor != "postgresql" or connection.connection in _configured:
        return
    with connection.cursor() as cursor:
        cursor.execute("; ".join(session_statements()))
    if settings.DATABASE_PREPARED_STATEMENTS and connection.connection.prepare_threshold is None:
        connection.connection.prepare_threshold = _NEVER_AUTOMATICALLY
    _configured.add(connection.connection)


class _SearchCursor(ServerBindingCursor):
    """Binds on the server; prepares its statements only when told to."""

    def __init__(self, connection: Any, *, prepare: bool) -> None:
        super().__init__(connection)
        self._prepare = prepare

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("prepare", self._prepare)
        return super().execute(query, params, **kwargs)


@contextmanager
def search_cursor(*, prepare: bool = False) -> Iterator[CursorWrapper]:
    """A Django cursor on the default connection whose parameters the server binds.

    `prepare`: the statements are prepared (planned once per connection; only for statements
    whose plan does not depend on their parameters' values).
    """
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = _SearchCursor(connection.connection, prepare=prepare)
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with wrap(raw) as cursor:
        yield cursor
