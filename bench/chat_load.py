"""Load on the streaming tutor, side by side with bare relays: N concurrent chats per server.

    .venv/bin/python bench/chat_load.py [--concurrency 100 150 500] [--rounds 3]
        [--contenders django bare bare-aiohttp node] [--tokens 100] [--rate 50]

Set-up (idempotent): a database of its own (`learnwithavi_bench` on the embedded server, or
DATABASE_URL), migrated, with the demo course and its transcripts ingested. A fake Anthropic
server (asyncio, its own process) streams `--tokens` tokens at `--rate` per second. Each
contender is one server process relaying that stream; a second process opens N chats at once
over raw sockets and records, per chat, the time to the status line (TTFB), to the first
content event (first token), to the end of the stream, and whether `done` arrived.

Contenders (all relay the same fake Claude, one process each):
- django: our `POST /api/chat` under one uvicorn worker (auth, rate limit, retrieval on the
  async pool, prompt, citations, usage row); `django-httpx` is the same with
  CHAT_HTTP_TRANSPORT=httpx (the SDKs' default transport).
- bare: `bench/relay_app.py`, a bare ASGI app on uvicorn relaying through the `anthropic` SDK
  on its default httpx transport; `bare-aiohttp`: the same on the SDK's DefaultAioHttpClient.
- node: `bench/node_relay/relay.js`, the seed's stack (Node, `@anthropic-ai/sdk`) written as
  the seed's route was (`messages.stream()` into a web ReadableStream), on plain node:http;
  `node-lean`: the leanest Node relay (`messages.create` written straight to the socket).
  Both need `npm ci --prefix bench/node_relay` (the Makefile's bench target runs it).

For each round and each N, every contender runs once, in an order rotated per round, so that
the machine's load at a given moment falls on all of them. Figures are medians over rounds,
with their range: server CPU per completed chat (psutil, user + system), Postgres CPU per
chat (the embedded server's processes, reaped ones included), peak RSS, TTFB, first token,
stream duration ÷ the model's own (stretch) at p50 and p95, and lost chats. Then the ratios
the issue's targets are stated in.
"""

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chat_figures import summarise, table, targets  # noqa: E402  (needs ROOT on the path)

PYTHON = sys.executable
QUESTION = "What is overfitting, and how does regularization help?"
NODE_RELAY = ROOT / "bench" / "node_relay"
CONTENDERS = ("django", "django-httpx", "bare", "bare-aiohttp", "node", "node-lean")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raise_file_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


# --- the database ---------------------------------------------------------------------------


def prepare_database() -> tuple[str, str, int | None]:
    """(DATABASE_URL for the servers, the English demo video's id, the postmaster's pid)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learnwithavi.settings.local")
    from django.conf import settings

    if not os.environ.get("DATABASE_URL"):
        settings.DATABASES["default"]["NAME"] = "learnwithavi_bench"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from courses.demo import seed_demo_course
    from rag.demo import ingest_demo_transcripts
    from testing.servers import current_database_url

    call_command("migrate", verbosity=0)
    course = seed_demo_course()
    ingest_demo_transcripts()
    video = course.videos.get(youtube_id="lwaDemoEn01")
    connection.ensure_connection()
    url = current_database_url()
    postmaster: int | None = None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            data_directory = Path(cursor.fetchone()[0])
        postmaster = int((data_directory / "postmaster.pid").read_text().split()[0])
    except Exception:  # a remote or managed server: its CPU is not ours to read
        postmaster = None
    connection.close()
    return url, str(video.pk), postmaster


# --- servers ----------------------------------------------------------------------------------


def start(
    command: list[str], env: dict[str, str], port: int, cwd: Path = ROOT
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env})
    wait_for_port(port, process)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def uvicorn(app: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--lifespan", "off", "--log-level", "warning", "--backlog", "4096",
    ]  # fmt: skip
    return start(command, env, port)


def node(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    node_binary = shutil.which("node") or "node"
    return start([node_binary, "relay.js"], {**env, "PORT": str(port)}, port, cwd=NODE_RELAY)


class CpuMeter:
    """CPU seconds of a process tree (user + system), including children already reaped."""

    def __init__(self, pid: int) -> None:
        import psutil  # type: ignore[import-untyped]  # no stubs installed; bench only

        self.root = psutil.Process(pid)

    def total(self) -> float:
        import psutil

        times = self.root.cpu_times()
        seconds = times.user + times.system + times.children_user + times.children_system
        for child in self.root.children(recursive=True):
            try:
                child_times = child.cpu_times()
            except psutil.Error:
                continue
            seconds += child_times.user + child_times.system
        return float(seconds)


class Sampler:
    """A server's CPU seconds and peak RSS over the run (and Postgres's CPU, when local)."""

    def __init__(self, pid: int, postmaster: int | None) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.server = CpuMeter(pid)
        self.postgres = CpuMeter(postmaster) if postmaster else None
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_rss = max(self.peak_rss, self.process.memory_info().rss)
            self._stop.wait(0.1)

    def __enter__(self) -> "Sampler":
        self.cpu_start = self.server.total()
        self.pg_start = self.postgres.total() if self.postgres else 0.0
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu = self.server.total() - self.cpu_start
        self.pg_cpu = (self.postgres.total() - self.pg_start) if self.postgres else float("nan")


# --- the load client (a second process) ---------------------------------------------------------


async def one_chat(port: int, request: bytes) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any] = {"done": False, "ttfb": None, "ttft": None, "duration": None}
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        status_line = await reader.readline()
        result["ttfb"] = time.perf_counter() - started
        result["status"] = int(status_line.split()[1])
        chunked = False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower():
                chunked = True
        tail = b""
        while True:
            if chunked:
                size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    break
                data = (await reader.readexactly(size + 2))[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    break
            window = tail + data
            if result["ttft"] is None and b'"type":"content"' in window:
                result["ttft"] = time.perf_counter() - started
            if b'"type":"done"' in window:
                result["done"] = True
            tail = window[-32:]
        result["duration"] = time.perf_counter() - started
        writer.close()
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"
    return result


async def run_clients(port: int, path: str, body: dict[str, Any], count: int) -> list[Any]:
    payload = json.dumps(body).encode()
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Accept: text/event-stream\r\nContent-Length: {len(payload)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + payload
    return list(await asyncio.gather(*(one_chat(port, request) for _ in range(count))))


def client_main(options: argparse.Namespace) -> None:
    raise_file_limit()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    body = json.loads(options.body)
    results = asyncio.run(run_clients(options.port, options.path, body, options.count))
    print(json.dumps(results))


def load(port: int, path: str, body: dict[str, Any], count: int) -> list[dict[str, Any]]:
    command = [
        PYTHON, __file__, "--client", "--port", str(port), "--path", path,
        "--count", str(count), "--body", json.dumps(body),
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, check=True, timeout=600).stdout
    results: list[dict[str, Any]] = json.loads(output)
    return results


def main(options: argparse.Namespace) -> None:
    raise_file_limit()
    database_url, video_id, postmaster = prepare_database()
    contenders: list[str] = list(options.contenders)
    if not (NODE_RELAY / "node_modules").is_dir():
        print("node relays skipped: run `npm ci --prefix bench/node_relay` first", flush=True)
        contenders = [name for name in contenders if not name.startswith("node")]
    fake_port = free_port()
    fake_command = [PYTHON, "-m", "testing.fake_anthropic", "--port", str(fake_port)]
    fake_command += ["--tokens", str(options.tokens), "--rate", str(options.rate)]
    fake = start(
        fake_command,
        {},
        fake_port,
    )
    model_seconds = (options.tokens - 1) / options.rate
    env = {
        "DJANGO_SETTINGS_MODULE": "learnwithavi.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": database_url,
        "ANTHROPIC_API_KEY": "sk-ant-bench-key-000000",
        "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{fake_port}",
        "CHAT_LOCAL_FALLBACK": "false",
        "RATE_LIMIT_CHAT": "100000000/m",
        "LOG_LEVEL": "WARNING",
        "PYTHONWARNINGS": "ignore",
        "DATABASE_POOL_SIZE": os.environ.get("DATABASE_POOL_SIZE", "20"),
        "DATABASE_CONN_MAX_AGE": "0",
    }
    servers: dict[str, tuple[Callable[[int], subprocess.Popen[bytes]], str]] = {
        "django": (lambda port: uvicorn("learnwithavi.asgi:application", port, env), "/api/chat"),
        "django-httpx": (
            lambda port: uvicorn(
                "learnwithavi.asgi:application", port, {**env, "CHAT_HTTP_TRANSPORT": "httpx"}
            ),
            "/api/chat",
        ),
        "bare": (lambda port: uvicorn("bench.relay_app:app", port, env), "/"),
        "bare-aiohttp": (
            lambda port: uvicorn(
                "bench.relay_app:app", port, {**env, "RELAY_TRANSPORT": "aiohttp"}
            ),
            "/",
        ),
        "node": (lambda port: node(port, env), "/"),
        "node-lean": (lambda port: node(port, {**env, "NODE_RELAY_STYLE": "lean"}), "/"),
    }
    body = {"message": QUESTION, "videoId": video_id}
    runs: dict[tuple[int, str], list[dict[str, Any]]] = {}
    try:
        for round_index in range(options.rounds):
            shift = round_index % len(contenders)
            order = contenders[shift:] + contenders[:shift]
            for count in options.concurrency:
                for name in order:
                    launch, path = servers[name]
                    port = free_port()
                    server = launch(port)
                    try:
                        # Warm, as a server in service is: imports, the embedding cache, and a
                        # burst that opens the database pool's and the SDK's connections.
                        load(port, path, body, 3)
                        load(port, path, body, 20)
                        time.sleep(0.5)
                        with Sampler(server.pid, postmaster if "django" in name else None) as s:
                            results = load(port, path, body, count)
                    finally:
                        stop(server)
                    summary = summarise(results, s, model_seconds)
                    runs.setdefault((count, name), []).append(summary)
                    print(
                        f"round {round_index + 1} N={count} {name}: lost {summary['lost']}, "
                        f"CPU {summary['cpu_ms']:.1f} ms/chat, "
                        f"first token p50 {summary['ttft_p50']:.0f} ms, "
                        f"stretch p95 {summary['stretch_p95']:.2f}"
                        + (f", errors {summary['errors']}" if summary["errors"] else ""),
                        flush=True,
                    )
    finally:
        stop(fake)
    load_average = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print()
    print(
        f"One server process each; fake Claude streams {options.tokens} tokens at "
        f"{options.rate:g}/s ({model_seconds:.2f} s); {os.cpu_count()} CPUs shared by server, "
        f"fake, client (and whatever else runs: load average now {load_average}). "
        f"{options.rounds} rounds, contenders interleaved; medians (range)."
    )
    print()
    print(table(runs, contenders))
    print()
    print(targets(runs, model_seconds))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[100, 150, 500])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--contenders",
        nargs="+",
        choices=CONTENDERS,
        default=["django", "bare", "bare-aiohttp", "node", "node-lean"],
    )
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--body", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.client:
        client_main(arguments)
    else:
        main(arguments)
