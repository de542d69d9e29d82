"""A fake OpenAI embeddings endpoint (POST /embeddings) for tests that drive the real SDK.

Vectors are hashed bags of words, L2-normalised: texts sharing words are similar, so vector
search over them behaves sensibly. Honours `dimensions` and `encoding_format` (the SDK asks for
base64 by default). Failures are scripted with `fail_next`: `rate_limited()`, `server_error()`,
`slow()`.
"""

import base64
import hashlib
import re

import numpy as np

from testing.fake_http import FakeUpstream, RecordedRequest, Reply

_WORD = re.compile(r"\w+")


def fake_vector(text: str, dimensions: int = 384) -> np.ndarray:
    vector = np.zeros(dimensions, dtype=np.float32)
    for word in _WORD.findall(text.lower()) or [text]:
        digest = hashlib.sha256(word.encode()).digest()
        vector[int.from_bytes(digest[:4], "little") % dimensions] += 1.0
        vector[int.from_bytes(digest[4:8], "little") % dimensions] += 0.5
    norm = float(np.linalg.norm(vector)) or 1.0
    return vector / norm


def rate_limited(retry_after: str = "0") -> Reply:
    body = {"error": {"message": "Rate limit reached", "type": "requests", "code": None}}
    return Reply.json(body, status=429, headers={"Retry-After": retry_after})


def server_error(status: int = 500) -> Reply:
    body = {"error": {"message": "The server had an error", "type": "server_error"}}
    return Reply.json(body, status=status)


def slow(seconds: float) -> Reply:
    """A reply that arrives after the client's timeout: what a hung upstream looks like."""
    reply = Reply.json({"object": "list", "data": []})
    reply.delay = seconds
    return reply


class FakeOpenAIEmbeddings(FakeUpstream):
    model = "text-embedding-3-small"

    def __init__(self) -> None:
        super().__init__()
        self._served = 0
        self._broken_after: int | None = None
        self._broken_reply: Reply | None = None

    def break_after(self, successes: int, reply: Reply | None = None) -> None:
        """Serve `successes` more requests, then answer every one with `reply` (a 500)."""
        self._broken_after = self._served + successes
        self._broken_reply = reply or server_error(500)

    def repair(self) -> None:
        self._broken_after = None

    @property
    def embedding_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.rstrip("/").endswith("/embeddings")]

    def handle(self, request: RecordedRequest) -> Reply:
        if request.method != "POST" or not request.path.rstrip("/").endswith("/embeddings"):
            return Reply.json({"error": {"message": "not found"}}, status=404)
        if self._broken_after is not None and self._served >= self._broken_after:
            return self._broken_reply or server_error(500)
        self._served += 1
        headers = {name.lower(): value for name, value in request.headers.items()}
        if not headers.get("authorization", "").startswith("Bearer "):
            return Reply.json({"error": {"message": "no key", "type": "auth"}}, status=401)
        payload = request.json()
        texts = payload["input"]
        if isinstance(texts, str):
            texts = [texts]
        dimensions = int(payload.get("dimensions") or 1536)
        data = []
        for index, text in enumerate(texts):
            vector = fake_vector(str(text), dimensions)
            if payload.get("encoding_format") == "base64":
                embedding: object = base64.b64encode(vector.astype("<f4").tobytes()).decode()
            else:
                embedding = vector.tolist()
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        tokens = sum(len(_WORD.findall(str(text))) for text in texts)
        return Reply.json(
            {
                "object": "list",
                "data": data,
                "model": payload.get("model", self.model),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )
