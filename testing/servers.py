"""Real server processes for tests and benchmarks: uvicorn serving the app on 127.0.0.1."""

import itertools
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

# Each xdist worker picks ports from its own block below Linux's ephemeral range (32768+).
# A port the kernel hands out for bind(0) may be handed to another worker before our server
# binds it; a port from this worker's own block is never picked by another worker of the run.
_PORT_BASE = 20_000
_PORTS_PER_WORKER = 1_000
_port_counter = itertools.count()


def free_port() -> int:
    """A port on 127.0.0.1 that is free now and that no other test process of this run picks."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    block = int(worker) % 12 if worker.isdigit() else 0  # 12 blocks fit below 32768
    first = _PORT_BASE + block * _PORTS_PER_WORKER
    for _ in range(_PORTS_PER_WORKER):
        port = first + next(_port_counter) % _PORTS_PER_WORKER
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # taken by something outside this run
            return port
    raise RuntimeError(f"no free port in {first}-{first + _PORTS_PER_WORKER - 1}")


def current_database_url() -> str:
    """A DATABASE_URL for the database this test process uses (the test database)."""
    params = connection.settings_dict
    host = (
        quote(str(params["HOST"]), safe="")
        if str(params["HOST"]).startswith("/")
        else params["HOST"]
    )
    port = f":{params['PORT']}" if params.get("PORT") else ""
    password = f":{quote(str(params['PASSWORD']))}" if params.get("PASSWORD") else ""
    return f"postgres://{params['USER']}{password}@{host}{port}/{params['NAME']}"


@contextmanager
def uvicorn_server(env: Mapping[str, str] | None = None, *, workers: int = 1) -> Iterator[str]:
    """Start the app under uvicorn on a free port against the current test database."""
    port = free_port()
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "learnwithavi.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": current_database_url(),
        # Its own cache namespace on a shared Redis: nothing cached by an earlier server leaks in.
        "CACHE_KEY_PREFIX": f"lwa-server-{uuid.uuid4().hex[:8]}",
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "uvicorn", "learnwithavi.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off",
        "--workers", str(workers), "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=full_env)  # noqa: S603
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base_url}/api/health", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("uvicorn did not start") from None
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
