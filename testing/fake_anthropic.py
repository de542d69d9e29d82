"""A fake Anthropic Messages API on 127.0.0.1 that speaks the real streaming wire format.

`POST /v1/messages` with `stream: true` answers with message_start (usage including
cache_creation_input_tokens / cache_read_input_tokens), content_block_start, one
content_block_delta (text_delta) per token, content_block_stop, message_delta (usage,
stop_reason) and message_stop. Prompt caching is simulated honestly: every block that carries
`cache_control` ends a prefix; a prefix seen before is read from the "cache", a new one is
written. Errors (429, 500, 529 overloaded_error) and mid-stream disconnects are scripted with
`fail_next(...)`; `streams` records whether each stream was read to its end or abandoned.
"""

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from testing.fake_http import FakeUpstream, RecordedRequest, Reply, sse

_TOKEN = re.compile(r"\S+\s*|\s+")


def tokens_of(text: str) -> list[str]:
    """Word-sized tokens with their trailing space, as a model's deltas arrive."""
    return _TOKEN.findall(text)


def count_tokens(value: Any) -> int:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return max(1, len(text) // 4)


@dataclass
class StreamRecord:
    """One streamed reply: how many events went out and whether the client read them all."""

    path: str
    events_sent: int = 0
    completed: bool = False
    abandoned: bool = False  # the client closed the connection before the end


def error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def overloaded() -> Reply:
    return Reply.json(error_body("overloaded_error", "Overloaded"), status=529)


def rate_limited() -> Reply:
    return Reply.json(
        error_body("rate_limit_error", "Number of requests has exceeded your rate limit"),
        status=429,
        headers={"retry-after": "1"},
    )


def server_error() -> Reply:
    return Reply.json(error_body("api_error", "Internal server error"), status=500)


def default_answer(body: dict[str, Any]) -> str:
    """An answer that cites the first source, in the language the request asks for."""
    last = body.get("messages", [{}])[-1].get("content", "")
    text = last if isinstance(last, str) else " ".join(b.get("text", "") for b in last)
    if "Answer in Hebrew" in text:
        return "לפי הסרטון, התשובה מוסברת כאן [1]. שאלה טובה!"
    return "According to the video, the answer is explained here [1]. Good question!"


class FakeAnthropic(FakeUpstream):
    """`answer` decides the text of each reply; `token_interval` paces the deltas (seconds)."""

    def __init__(
        self,
        *,
        answer: Callable[[dict[str, Any]], str] = default_answer,
        token_interval: float = 0.0,
    ) -> None:
        super().__init__()
        self.answer = answer
        self.token_interval = token_interval
        self.streams: list[StreamRecord] = []
        self._cached_prefixes: set[str] = set()

    # --- what tests read ------------------------------------------------------------------
    def message_requests(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.requests if r.path.startswith("/v1/messages")]

    # --- serving ----------------------------------------------------------------------------
    def handle(self, request: RecordedRequest) -> Reply:
        if request.method != "POST" or not request.path.startswith("/v1/messages"):
            return Reply.json(error_body("not_found_error", "Not found"), status=404)
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not headers.get("x-api-key") and not headers.get("authorization"):
            return Reply.json(error_body("authentication_error", "invalid x-api-key"), status=401)
        body = request.json()
        text = self.answer(body)
        usage = self._usage(body)
        if not body.get("stream"):
            return Reply.json(self._message(body, text, usage, output_tokens=len(tokens_of(text))))
        return self.stream_reply(body, text, usage)

    def stream_reply(
        self,
        body: dict[str, Any],
        text: str,
        usage: dict[str, int],
        *,
        cut_after_tokens: int | None = None,
        error_after_tokens: int | None = None,
    ) -> Reply:
        record = StreamRecord(path="/v1/messages")
        self.streams.append(record)
        events = list(self._events(body, text, usage, error_after_tokens=error_after_tokens))
        cut = None if cut_after_tokens is None else 3 + cut_after_tokens
        return Reply(
            headers={"Content-Type": "text/event-stream", "request-id": "req_fake"},
            chunks=self._recorded(sse(events, self.token_interval), record, cut),
            cut_after=cut,
        )

    def script_stream(
        self,
        text: str,
        *,
        cut_after_tokens: int | None = None,
        error_after_tokens: int | None = None,
    ) -> None:
        """The next request gets this streamed text, optionally dropped or failed midway."""
        usage = {
            "input_tokens": 100,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        self.fail_next(
            self.stream_reply(
                {"model": "claude-fake"},
                text,
                usage,
                cut_after_tokens=cut_after_tokens,
                error_after_tokens=error_after_tokens,
            )
        )

    @staticmethod
    def _recorded(
        chunks: Iterator[tuple[bytes, float]], record: StreamRecord, cut: int | None
    ) -> Iterator[tuple[bytes, float]]:
        finished = False
        try:
            for chunk in chunks:
                if cut is not None and record.events_sent >= cut:
                    break
                yield chunk
                record.events_sent += 1
            finished = cut is None
        finally:
            # Closed before the last event without a scripted cut: the client went away.
            record.completed = finished
            record.abandoned = not finished and (cut is None or record.events_sent < cut)

    def _events(
        self,
        body: dict[str, Any],
        text: str,
        usage: dict[str, int],
        *,
        error_after_tokens: int | None,
    ) -> Iterator[tuple[str, Any]]:
        message = self._message(body, "", usage, output_tokens=1)
        yield "message_start", {"type": "message_start", "message": message}
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
        yield "ping", {"type": "ping"}
        tokens = tokens_of(text)
        for index, token in enumerate(tokens):
            if error_after_tokens is not None and index >= error_after_tokens:
                yield "error", error_body("overloaded_error", "Overloaded")
                return
            yield (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": token},
                },
            )
        yield "content_block_stop", {"type": "content_block_stop", "index": 0}
        yield (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": len(tokens), **usage},
            },
        )
        yield "message_stop", {"type": "message_stop"}

    @staticmethod
    def _message(
        body: dict[str, Any], text: str, usage: dict[str, int], *, output_tokens: int
    ) -> dict[str, Any]:
        return {
            "id": "msg_fake_01",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "claude-fake"),
            "content": [{"type": "text", "text": text}] if text else [],
            "stop_reason": None if not text else "end_turn",
            "stop_sequence": None,
            "usage": {**usage, "output_tokens": output_tokens},
        }

    def _usage(self, body: dict[str, Any]) -> dict[str, int]:
        """Input tokens split into cache reads, cache writes and the rest, as the API reports."""
        blocks: list[Any] = []
        system = body.get("system") or []
        blocks.extend([system] if isinstance(system, str) else system)
        for message in body.get("messages", []):
            content = message.get("content")
            if isinstance(content, str):
                blocks.append({"role": message.get("role"), "text": content})
            else:
                blocks.extend({"role": message.get("role"), **b} for b in content)
        digest = hashlib.sha256(str(body.get("model")).encode())
        breakpoints: list[tuple[str, int]] = []
        total = 0
        for block in blocks:
            plain = (
                {k: v for k, v in block.items() if k != "cache_control"}
                if isinstance(block, dict)
                else block
            )
            digest.update(json.dumps(plain, sort_keys=True, ensure_ascii=False).encode())
            total += count_tokens(plain)
            if isinstance(block, dict) and block.get("cache_control"):
                breakpoints.append((digest.hexdigest(), total))
        read = 0
        with self._lock:
            for key, tokens in breakpoints:
                if key in self._cached_prefixes:
                    read = tokens
            self._cached_prefixes.update(key for key, _ in breakpoints)
        cached_until = breakpoints[-1][1] if breakpoints else 0
        return {
            "input_tokens": total - cached_until,
            "cache_creation_input_tokens": cached_until - read,
            "cache_read_input_tokens": read,
        }


# --- A stand-alone asyncio server for load benchmarks ------------------------------------------
# The threaded FakeAnthropic costs a thread per stream; the bench needs 1000 streams at once.


async def serve_streams(host: str, port: int, *, tokens: int, interval: float) -> None:
    """Answer every POST /v1/messages with `tokens` text deltas, `interval` seconds apart."""
    import asyncio

    answer = " ".join(f"tok{n}" for n in range(tokens - 1)) + " [1]."
    usage = {"input_tokens": 900, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    fake = FakeAnthropic.__new__(FakeAnthropic)
    events = [
        f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
        for name, data in fake._events(
            {"model": "claude-bench"}, answer, usage, error_after_tokens=None
        )
    ]
    head, deltas, tail = events[:3], events[3:-3], events[-3:]

    def chunk(payload: bytes) -> bytes:
        return f"{len(payload):X}\r\n".encode() + payload + b"\r\n"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                header = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in header.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n" + chunk(b"".join(head))
                )
                loop = asyncio.get_running_loop()
                started = loop.time()
                for index, delta in enumerate(deltas, start=1):
                    # Paced against the schedule, so a busy moment does not stretch the stream.
                    await asyncio.sleep(max(0.0, started + index * interval - loop.time()))
                    writer.write(chunk(delta))
                writer.write(chunk(b"".join(tail)) + b"0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host, port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    import argparse
    import asyncio

    parser = argparse.ArgumentParser(description="Fake Anthropic streaming server for benches")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--rate", type=float, default=50.0, help="tokens per second")
    options = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(
        serve_streams("127.0.0.1", options.port, tokens=options.tokens, interval=1 / options.rate)
    )
