"""A scriptable HTTP server on 127.0.0.1 for fake upstream services (Anthropic, OpenAI, ...).

Each fake subclasses `FakeUpstream` and implements `handle(request) -> Reply`. Every request is
recorded, so tests assert on what our code (through the real SDK) actually sent. Failures are
scripted with `fail_next(...)`: a status with a body, a delay, or a connection cut mid-stream.
"""

import json
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    # Streamed replies: (bytes, seconds to wait before sending them); `cut_after` drops the
    # connection after that many chunks, as a dying upstream does.
    chunks: Iterable[tuple[bytes, float]] | None = None
    cut_after: int | None = None
    delay: float = 0.0

    @classmethod
    def json(
        cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> "Reply":
        return cls(
            status=status,
            headers={"Content-Type": "application/json", **(headers or {})},
            body=json.dumps(payload).encode(),
        )


def sse(
    events: Iterable[tuple[str | None, Any]], interval: float = 0.0
) -> Iterator[tuple[bytes, float]]:
    """Server-Sent Events chunks from (event name, JSON data) pairs."""
    for name, data in events:
        prefix = f"event: {name}\n" if name else ""
        payload = data if isinstance(data, str) else json.dumps(data)
        yield f"{prefix}data: {payload}\n\n".encode(), interval


class FakeUpstream:
    """Start with `with FakeX() as fake:`; `fake.base_url` is where the SDK should point."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._scripted: deque[Reply] = deque()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = RecordedRequest(self.command, self.path, dict(self.headers.items()), body)
                with fake._lock:
                    fake.requests.append(request)
                    scripted = fake._scripted.popleft() if fake._scripted else None
                reply = scripted or fake.handle(request)
                fake._send(self, reply)

            do_GET = do_POST = do_DELETE = do_PUT = _serve  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def handle(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError(f"{type(self).__name__} does not serve {request.path}")

    def fail_next(self, *replies: Reply) -> None:
        """The next requests get these replies, in order, before normal service resumes."""
        with self._lock:
            self._scripted.extend(replies)

    def _send(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.chunks is None:
            body = reply.body or b""
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            for index, (chunk, wait) in enumerate(reply.chunks):
                if reply.cut_after is not None and index >= reply.cut_after:
                    handler.close_connection = True
                    handler.connection.shutdown(2)  # socket.SHUT_RDWR: a dropped connection
                    return
                if wait:
                    time.sleep(wait)
                handler.wfile.write(f"{len(chunk):X}\r\n".encode() + chunk + b"\r\n")
                handler.wfile.flush()
            handler.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # the client went away: what cancellation looks like

    def __enter__(self) -> "FakeUpstream":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
