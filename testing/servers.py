"""Real server processes for tests and benchmarks: uvicorn serving the app on 127.0.0.1."""

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    # Started as `make run` and the README's production command start it (learnwithavi.serve).
    command = [
        sys.executable, "-m", "learnwithavi.serve",
        "--host", "127.0.0.1", "--port", str(port),
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
