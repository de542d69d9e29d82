"""A fake OpenAI Chat Completions API on 127.0.0.1 that speaks the real streaming wire format.

`POST /v1/chat/completions` with `stream: true` answers with `chat.completion.chunk` objects
(role, then one content delta per token, then finish_reason), a final usage-only chunk when
`stream_options.include_usage` is set, and `data: [DONE]`. Errors and cuts are scripted with
`fail_next(...)`; `streams` records whether each stream was read to its end.
"""

from collections.abc import Callable, Iterator
from typing import Any

from testing.fake_anthropic import StreamRecord, count_tokens, tokens_of
from testing.fake_http import FakeUpstream, RecordedRequest, Reply, sse


def error_body(kind: str, message: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def rate_limited() -> Reply:
    return Reply.json(
        error_body("requests", "Rate limit reached", "rate_limit_exceeded"),
        status=429,
        headers={"retry-after": "1"},
    )


def server_error() -> Reply:
    return Reply.json(error_body("server_error", "The server had an error"), status=500)


def default_answer(body: dict[str, Any]) -> str:
    last = body.get("messages", [{}])[-1].get("content", "")
    if "Answer in Hebrew" in str(last):
        return "לפי הסרטון (OpenAI), זה מוסבר כאן [1]."
    return "According to the video (OpenAI), this is explained here [1]."


class FakeOpenAIChat(FakeUpstream):
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

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.requests if r.path.endswith("/chat/completions")]

    def handle(self, request: RecordedRequest) -> Reply:
        if request.method != "POST" or not request.path.endswith("/chat/completions"):
            return Reply.json(error_body("invalid_request_error", "Not found"), status=404)
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not headers.get("authorization", "").startswith("Bearer "):
            return Reply.json(
                error_body("invalid_request_error", "No API key", "invalid_api_key"), status=401
            )
        body = request.json()
        text = self.answer(body)
        prompt_tokens = count_tokens(body.get("messages", []))
        completion_tokens = len(tokens_of(text))
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0},
        }
        if not body.get("stream"):
            return Reply.json(
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": 1_700_000_000,
                    "model": body.get("model"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            )
        record = StreamRecord(path=request.path)
        self.streams.append(record)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        events = self._events(body, text, usage if include_usage else None)
        return Reply(
            headers={"Content-Type": "text/event-stream"},
            chunks=self._recorded(sse(events, self.token_interval), record),
        )

    @staticmethod
    def _recorded(
        chunks: Iterator[tuple[bytes, float]], record: StreamRecord
    ) -> Iterator[tuple[bytes, float]]:
        try:
            for chunk in chunks:
                yield chunk
                record.events_sent += 1
            record.completed = True
        finally:
            record.abandoned = not record.completed

    @staticmethod
    def _events(
        body: dict[str, Any], text: str, usage: dict[str, Any] | None
    ) -> Iterator[tuple[str | None, Any]]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 1_700_000_000,
                "model": body.get("model"),
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        yield None, chunk({"role": "assistant", "content": ""})
        for token in tokens_of(text):
            yield None, chunk({"content": token})
        yield None, chunk({}, "stop")
        if usage is not None:
            yield (
                None,
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": 1_700_000_000,
                    "model": body.get("model"),
                    "choices": [],
                    "usage": usage,
                },
            )
        yield None, "[DONE]"
