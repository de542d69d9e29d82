"""Embeddings through the Django cache (Redis in production): model + kind + text hash, 1 h.

Hit and miss counters live in the cache too, so every process (web, workers) adds to the same
figures that `/api/health` reports. While the cache is down it is bypassed: vectors are
computed, nothing is stored, and the outage is counted (learnwithavi.outages).
"""

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache

from learnwithavi import aredis, outages
from rag.providers import Embedder, Vector, get_embedder

_HITS = "rag:emb:stats:hits"
_MISSES = "rag:emb:stats:misses"
_STORED = "rag:emb:stats:stored"


def _key(model_id: str, kind: str, text: str) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"rag:emb:{model_id}:{kind}:{digest}"


def _count(key: str, amount: int) -> None:
    if amount <= 0:
        return
    try:
        cache.add(key, 0, timeout=None)
        cache.incr(key, amount)
    except ValueError:  # evicted between add and incr
        cache.set(key, amount, timeout=None)
    except outages.CACHE_ERRORS as error:
        outages.record("cache_bypassed", error)


def _pack(vector: Vector) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def _unpack(blob: bytes) -> Vector:
    values: Vector = np.frombuffer(blob, dtype=np.float32).tolist()
    return values


def _embed(texts: Sequence[str], *, kind: str, embedder: Embedder | None) -> list[Vector]:
    embedder = embedder or get_embedder()
    keys = [_key(embedder.model_id, kind, text) for text in texts]
    found: dict[str, Any] = {}
    try:
        found = cache.get_many(list(dict.fromkeys(keys))) if keys else {}
    except outages.CACHE_ERRORS as error:
        outages.record("cache_bypassed", error)
    missing = [i for i, key in enumerate(keys) if key not in found]
    _count(_HITS, len(keys) - len(missing))
    _count(_MISSES, len(missing))
    if missing:
        unique = list(dict.fromkeys(texts[i] for i in missing))
        compute = embedder.embed_queries if kind == "query" else embedder.embed_passages
        fresh = dict(zip(unique, compute(unique), strict=True))
        new_entries = {_key(embedder.model_id, kind, text): _pack(v) for text, v in fresh.items()}
        try:
            cache.set_many(new_entries, timeout=settings.RAG_EMBEDDING_CACHE_TTL)
            _count(_STORED, len(new_entries))
        except outages.CACHE_ERRORS as error:
            outages.record("cache_bypassed", error)
        found.update(new_entries)
    return [_unpack(found[key]) for key in keys]


def embed_query(text: str, *, embedder: Embedder | None = None) -> Vector:
    """The query's vector from the active provider, cached. Raises providers.EmbeddingError."""
    return _embed([text], kind="query", embedder=embedder)[0]


async def aembed_query(text: str, *, embedder: Embedder | None = None) -> Vector:
    """`embed_query` for async code, without a thread when the vector is cached: an in-process
    cache is read in place (no I/O), Redis natively (learnwithavi.aredis). A missing vector is
    computed (model CPU or a network call) on a worker thread that is not the request's."""
    embedder = embedder or get_embedder()
    key = _key(embedder.model_id, "query", text)
    if isinstance(caches["default"], LocMemCache):
        blob = cache.get(key)
        if blob is not None:
            _count(_HITS, 1)
            return _unpack(blob)
    elif aredis.is_redis_cache():
        redis = aredis.client()
        try:
            raw = await redis.get(cache.make_key(key))
            if raw is not None:
                await redis.incr(cache.make_key(_HITS))
                return _unpack(aredis.decode(raw))
        except outages.CACHE_ERRORS as error:
            outages.record("cache_bypassed", error)
    return await sync_to_async(embed_query, thread_sensitive=False)(text, embedder=embedder)


def embed_passages(texts: Sequence[str], *, embedder: Embedder | None = None) -> list[Vector]:
    """Vectors for transcript chunks, cached. Raises providers.EmbeddingError."""
    return _embed(texts, kind="passage", embedder=embedder)


def cache_stats() -> dict[str, Any]:
    """`size` (entries written, an upper bound: expiry is not counted) and `hit_rate`."""
    try:
        values = cache.get_many([_HITS, _MISSES, _STORED])
    except outages.CACHE_ERRORS:
        return {"size": None, "hits": None, "misses": None, "hit_rate": None}
    hits, misses = int(values.get(_HITS, 0)), int(values.get(_MISSES, 0))
    total = hits + misses
    return {
        "size": int(values.get(_STORED, 0)),
        "hits": hits,
        "misses": misses,
        "hit_rate": round(hits / total, 4) if total else 0.0,
    }
