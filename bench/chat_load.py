"""Load on the streaming tutor: N concurrent chats against one uvicorn worker.

    .venv/bin/python bench/chat_load.py [--concurrency 100 500 1000] [--tokens 100] [--rate 50]

Set-up (idempotent): a database of its own (`learnwithavi_bench` on the embedded server, or
DATABASE_URL), migrated, with the demo course and its transcripts ingested. A fake Anthropic
server (asyncio, its own process) streams `--tokens` tokens at `--rate` per second. For each N:
uvicorn serves the app (one worker) with Claude pointed at the fake; a second process opens N
chats at once over raw sockets on 127.0.0.1 and reports, per chat, time to first byte (the
status line), time to first token (first content event), stream duration and whether `done`
arrived. The server's CPU time and peak RSS are read with psutil. The same N chats then go to
a bare ASGI app (bench/relay_app.py) that relays the same stream through the same SDK, so the
table shows our overhead as ratios. The same question is asked each time, so its embedding is
warm in the cache after the first chat. The server uses Django's psycopg pool
(DATABASE_POOL_SIZE, default here 20; set 0 to compare without it).
"""

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
QUESTION = "What is overfitting, and how does regularization help?"


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


def prepare_database() -> tuple[str, str]:
    """(DATABASE_URL for the servers, the English demo video's id)."""
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
    connection.close()
    return url, str(video.pk)


def question_records() -> int:
    """Question records in the bench database (chat writes one per chat, after the stream)."""
    from chat.models import QuestionRecord

    return QuestionRecord.objects.count()


# --- servers ----------------------------------------------------------------------------------


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
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


class Sampler:
    """The server's CPU seconds over the run and its peak RSS, sampled every 100 ms."""

    def __init__(self, pid: int) -> None:
        import psutil  # type: ignore[import-untyped]  # no stubs installed; bench only

        self.process = psutil.Process(pid)
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _cpu(self) -> float:
        times = self.process.cpu_times()
        return float(times.user + times.system)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_rss = max(self.peak_rss, self.process.memory_info().rss)
            self._stop.wait(0.1)

    def __enter__(self) -> "Sampler":
        self.cpu_start = self._cpu()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu = self._cpu() - self.cpu_start


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


# --- figures --------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summarise(
    results: list[dict[str, Any]], sampler: Sampler, model_seconds: float
) -> dict[str, Any]:
    ok = [r for r in results if r.get("done")]
    ttfb = [r["ttfb"] for r in ok]
    ttft = [r["ttft"] for r in ok if r["ttft"] is not None]
    stretch = [r["duration"] / model_seconds for r in ok]
    errors = sorted(
        {r.get("error") or f"status {r.get('status')}" for r in results if not r.get("done")}
    )
    return {
        "completed": len(ok),
        "total": len(results),
        "ttfb_p50": statistics.median(ttfb) if ttfb else float("nan"),
        "ttfb_p95": percentile(ttfb, 0.95),
        "ttft_p50": statistics.median(ttft) if ttft else float("nan"),
        "ttft_p95": percentile(ttft, 0.95),
        "stretch_p50": statistics.median(stretch) if stretch else float("nan"),
        "stretch_p95": percentile(stretch, 0.95),
        "cpu_s": sampler.cpu,
        "cpu_ms_per_chat": 1000 * sampler.cpu / max(1, len(ok)),
        "rss_mb": sampler.peak_rss / 2**20,
        "errors": errors[:3],
    }


def table(rows: list[tuple[int, str, dict[str, Any]]]) -> str:
    lines = [
        "| N | app | done | TTFB p50 / p95 (ms) | TTFT p50 / p95 (ms) | duration ÷ model p50 / p95 "
        "| CPU s (ms/chat) | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for count, app, s in rows:
        lines.append(
            f"| {count} | {app} | {s['completed']}/{s['total']} "
            f"| {1000 * s['ttfb_p50']:.1f} / {1000 * s['ttfb_p95']:.1f} "
            f"| {1000 * s['ttft_p50']:.0f} / {1000 * s['ttft_p95']:.0f} "
            f"| {s['stretch_p50']:.2f} / {s['stretch_p95']:.2f} "
            f"| {s['cpu_s']:.1f} ({s['cpu_ms_per_chat']:.1f}) | {s['rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def ratios(rows: list[tuple[int, str, dict[str, Any]]]) -> str:
    by = {(count, app): s for count, app, s in rows}
    lines = [
        "| N | CPU per chat ÷ bare | TTFB p50 ÷ bare | duration p95 ÷ model |",
        "|---|---|---|---|",
    ]
    for count in sorted({c for c, _, _ in rows}):
        django, bare = by.get((count, "django")), by.get((count, "bare"))
        if not django or not bare:
            continue
        lines.append(
            f"| {count} | {django['cpu_ms_per_chat'] / max(bare['cpu_ms_per_chat'], 1e-9):.2f}x "
            f"| {django['ttfb_p50'] / max(bare['ttfb_p50'], 1e-9):.1f}x "
            f"| {django['stretch_p95']:.2f}x |"
        )
    return "\n".join(lines)


def main(options: argparse.Namespace) -> None:
    raise_file_limit()
    database_url, video_id = prepare_database()
    fake_port = free_port()
    fake = start(
        [
            PYTHON,
            "-m",
            "testing.fake_anthropic",
            "--port",
            str(fake_port),
            "--tokens",
            str(options.tokens),
            "--rate",
            str(options.rate),
        ],
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
    body = {"message": QUESTION, "videoId": video_id, "position": 42}
    rows: list[tuple[int, str, dict[str, Any]]] = []
    try:
        for count in options.concurrency:
            for app, module, path in (
                ("django", "learnwithavi.asgi:application", "/api/chat"),
                ("bare", "bench.relay_app:app", "/"),
            ):
                port = free_port()
                server = uvicorn(module, port, env)
                try:
                    load(port, path, body, 3)  # warm: imports, the embedding cache, connections
                    records_before = question_records()
                    with Sampler(server.pid) as sampler:
                        results = load(port, path, body, count)
                finally:
                    stop(server)
                if app == "django":  # every chat records its question, after its last byte
                    print(f"N={count}: {question_records() - records_before} question records")
                summary = summarise(results, sampler, model_seconds)
                rows.append((count, app, summary))
                print(
                    f"N={count} {app}: {summary['completed']}/{count} done, "
                    f"TTFB p50 {1000 * summary['ttfb_p50']:.1f} ms, "
                    f"duration p95 {summary['stretch_p95']:.2f}x model, "
                    f"CPU {summary['cpu_ms_per_chat']:.1f} ms/chat"
                    + (f", errors {summary['errors']}" if summary["errors"] else ""),
                    flush=True,
                )
    finally:
        stop(fake)
    print()
    print(
        f"One uvicorn worker; fake Claude streams {options.tokens} tokens at {options.rate:g}/s "
        f"({model_seconds:.2f} s); {os.cpu_count()} CPUs shared by server, fake and client."
    )
    print(table(rows))
    print()
    print(ratios(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[100, 500, 1000])
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
