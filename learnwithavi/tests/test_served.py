"""Attacks sent as raw bytes to a real uvicorn process started as `make run` starts it."""

import socket
from urllib.parse import urlsplit

import pytest

from testing.servers import uvicorn_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def raw_request(base_url: str, request: bytes, *, limit: int = 65536) -> tuple[int, dict, bytes]:
    """Send `request` byte for byte (no client normalises the path); the status, headers, body."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while len(data) < limit:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep and b"content-length:" in head.lower():
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                if len(body) >= length:
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def get(path: str, *headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), uvicorn_server({"SERVE_STATIC": "true"}) as base_url:
        yield base_url


@pytest.mark.parametrize(
    "path",
    [
        "/static/../../../../etc/passwd",
        "/static/..%2f..%2f..%2f..%2fetc/passwd",
        "/static/admin/../../../../../../etc/passwd",
        "/static//etc/passwd",
    ],
)
def test_static_path_traversal_is_404(server, path):
    status, _, body = raw_request(server, get(path))
    assert status == 404, body
    assert b"root:" not in body


def test_static_files_are_still_served(server):
    status, headers, _ = raw_request(server, get("/static/admin/css/base.css"))
    assert status == 200
    assert headers["content-type"].startswith("text/css")


BAD_LOGIN = b'{"email": "nobody@example.test", "password": "wrong"}'


def bad_login(*headers: str) -> bytes:
    lines = [
        "POST /api/auth/token HTTP/1.1",
        "Host: 127.0.0.1",
        "Connection: close",
        "Content-Type: application/json",
        f"Content-Length: {len(BAD_LOGIN)}",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + BAD_LOGIN


def test_a_spoofed_forwarded_for_buys_no_fresh_quota_from_uvicorn():
    # The tester's attack: a new X-Forwarded-For per try, straight from 127.0.0.1, which
    # uvicorn's own proxy-header handling trusts by default.
    with uvicorn_server({"RATE_LIMIT_AUTH": "3/h", "TRUSTED_PROXIES": ""}) as base_url:
        statuses = [
            raw_request(base_url, bad_login(f"X-Forwarded-For: 198.51.100.{i}"))[0]
            for i in range(5)
        ]
    assert statuses == [401, 401, 401, 429, 429]


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_quota():
    env = {"RATE_LIMIT_AUTH": "3/h", "TRUSTED_PROXIES": "127.0.0.1/32"}
    with uvicorn_server(env) as base_url:
        other_clients = [
            raw_request(base_url, bad_login(f"X-Forwarded-For: 198.51.100.{i}"))[0]
            for i in range(5)
        ]
        one_client = [
            # A hop the client prepended itself is ignored: the proxy appended the real one.
            raw_request(base_url, bad_login(f"X-Forwarded-For: 10.0.0.{i}, 203.0.113.9"))[0]
            for i in range(5)
        ]
    assert other_clients == [401] * 5
    assert one_client == [401, 401, 401, 429, 429]


def test_the_server_commands_start_uvicorn_through_learnwithavi_serve():
    from pathlib import Path

    from learnwithavi.serve import uvicorn_arguments

    root = Path(__file__).resolve().parents[2]
    makefile = (root / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "-m learnwithavi.serve" in run
    assert "bin)/uvicorn" not in run
    readme = (root / "README.md").read_text()
    assert "python -m learnwithavi.serve --host 0.0.0.0" in readme
    assert "--no-proxy-headers" in uvicorn_arguments([])
    with pytest.raises(SystemExit, match="TRUSTED_PROXIES"):
        uvicorn_arguments(["--forwarded-allow-ips=*"])
    with pytest.raises(SystemExit, match="TRUSTED_PROXIES"):
        uvicorn_arguments(["--proxy-headers"])


def request(method: str, path: str, *headers: str, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


JSON = "Content-Type: application/json"
# What an outside tester tries beyond the reported list: each must be a clean 4xx (or a 2xx).
ODD_REQUESTS = {
    "deep JSON to the chat": request(
        "POST", "/api/chat", JSON, body=b'{"message": "hi", "context": ' + nested(100_000) + b"}"
    ),
    "deep JSON to a DRF view": request(
        "POST", "/api/auth/token", JSON, body=b'{"email": ' + nested(100_000) + b"}"
    ),
    "a 100,000-digit number": request(
        "POST", "/api/auth/token", JSON, body=b'{"email": 1' + b"0" * 100_000 + b"}"
    ),
    "NaN and Infinity": request(
        "POST", "/api/chat", JSON, body=b'{"message": "hi", "position": NaN}'
    ),
    "a 100 kB header": request("GET", "/api/courses", "X-Big: " + "a" * 100_000),
    "500 headers": request("GET", "/api/courses", *[f"X-H{i}: v" for i in range(500)]),
    "a 100 kB query string": request("GET", "/api/courses?search=" + "a" * 100_000),
    "5,000 query parameters": request(
        "GET", "/api/courses?" + "&".join(f"a{i}=1" for i in range(5000))
    ),
    "an emoji in the path": request("GET", "/api/courses/%F0%9F%98%80"),
    "a NUL in the path": request("GET", "/api/courses/%00"),
    "an overlong UTF-8 slash": request("GET", "/api/courses/%C0%AF"),
    "a broken escape": request("GET", "/api/courses/%ZZ%"),
    "TRACE": request("TRACE", "/api/courses"),
    "PROPFIND": request("PROPFIND", "/api/courses"),
    "HEAD on the chat stream": request("HEAD", "/api/chat"),
    "OPTIONS on the chat stream": request("OPTIONS", "/api/chat"),
    "HEAD on speech": request("HEAD", "/api/voice/tts"),
    "OPTIONS on speech": request("OPTIONS", "/api/voice/tts"),
    "a foreign Host": request("GET", "/api/courses").replace(b"127.0.0.1", b"evil.example"),
    "a 10 kB request id": request("GET", "/api/health", "X-Request-ID: " + "a" * 10_000),
    "a huge page number": request("GET", "/api/courses?page=99999999999999999999999"),
    "ordering by a password": request("GET", "/api/courses?ordering=owner__password"),
    "a huge search position": request("GET", "/api/search?q=x&position=1e400"),
    "3,000 languages": request(
        "GET", "/api/courses", "Accept-Language: " + ",".join(["he;q=0.5"] * 3000)
    ),
}


@pytest.mark.parametrize("name", ODD_REQUESTS)
def test_odd_requests_are_never_a_server_error(server, name):
    status, _, _ = raw_request(server, ODD_REQUESTS[name])
    assert status < 500, name
