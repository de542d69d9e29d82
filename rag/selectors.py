"""Reads: hybrid search over transcript chunks, chunks by id, a video's transcript.

The search statement is built in `rag.search_sql` (`plan_search`); here it is run, on Django's
connection (`search_chunks`, `hybrid_search`) or on the async pool (`ahybrid_search`). If the
embedding provider fails, the search answers from the full-text ranking alone and says so
(`mode="keyword"`).
"""

import logging
import uuid
from collections.abc import Sequence
from typing import Any, TypedDict, Unpack

from django.db.models import QuerySet

from learnwithavi import adb
from rag.captions import cues_to_vtt
from rag.db import search_cursor
from rag.embeddings import aembed_query, embed_query
from rag.models import TranscriptChunk, TranscriptSource
from rag.parsers import parse_transcript
from rag.providers import EmbeddingError, Vector, get_embedder
from rag.search_sql import SearchPlan, plan_search, search_hit
from rag.types import SearchHit, SearchMode, SearchResult

logger = logging.getLogger(__name__)


class SearchScope(TypedDict, total=False):
    """Where a search looks and how much it returns (see `hybrid_search`)."""

    video_id: uuid.UUID | None
    course_id: uuid.UUID | None
    video_ids: Sequence[uuid.UUID] | None
    k: int
    position: float | None


def _plan(
    query: str, embedding: tuple[Vector | None, str], *, keyword: bool, scope: SearchScope
) -> SearchPlan:
    vector, model = embedding
    return plan_search(
        query=query,
        vector=vector,
        model=model,
        video_id=scope.get("video_id"),
        course_id=scope.get("course_id"),
        video_ids=scope.get("video_ids"),
        k=scope.get("k", 8),
        position=scope.get("position"),
        keyword=keyword,
    )


def search_chunks(
    *, query: str, mode: SearchMode = "hybrid", **scope: Unpack[SearchScope]
) -> SearchResult:
    """`hybrid_search` with a chosen mode (the retrieval benchmark compares the three)."""
    embedding: tuple[Vector | None, str] = (None, "")
    if mode in ("hybrid", "vector"):
        try:
            embedder = get_embedder()
            embedding = (embed_query(query, embedder=embedder), embedder.model_id)
        except EmbeddingError:
            logger.warning("embedding provider failed; keyword-only search")
    plan = _plan(query, embedding, keyword=mode in ("hybrid", "keyword"), scope=scope)
    if not plan.sql:
        return plan.result([])
    with search_cursor(prepare=plan.prepare) as cursor:
        cursor.execute(plan.sql, plan.params)
        return plan.result(cursor.fetchall())


def hybrid_search(*, query: str, **scope: Unpack[SearchScope]) -> SearchResult:
    """The k chunks that best answer `query` within a video, a course or a set of videos.

    Vector and full-text rankings fused by reciprocal rank; `position` (seconds) boosts chunks
    of `video_id` near the learner's playback position. Never raises for a provider failure:
    the result's `mode` is "keyword" then. The caller checks visibility.
    """
    return search_chunks(query=query, **scope)


async def ahybrid_search(*, query: str, **scope: Unpack[SearchScope]) -> SearchResult:
    """`hybrid_search` for async views, without a thread: the statement runs on the async pool
    (learnwithavi.adb), and the query's vector comes from `aembed_query` (a worker thread only
    when it has to be computed or the cache is out of process)."""
    embedding: tuple[Vector | None, str] = (None, "")
    try:
        embedder = get_embedder()
        embedding = (await aembed_query(query, embedder=embedder), embedder.model_id)
    except EmbeddingError:
        logger.warning("embedding provider failed; keyword-only search")
    plan = _plan(query, embedding, keyword=True, scope=scope)
    if not plan.sql:
        return plan.result([])
    return plan.result(await adb.afetch_sql(plan.sql, plan.params, prepare=plan.prepare))


def _clean_ids(ids: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(int(i) for i in ids if isinstance(i, int) or str(i).isdigit()))


def _chunks_query(
    ids: Sequence[int], video_ids: Sequence[uuid.UUID] | None
) -> QuerySet[TranscriptChunk, tuple[Any, ...]]:
    chunks = TranscriptChunk.objects.filter(pk__in=ids)
    if video_ids is not None:
        chunks = chunks.filter(video_id__in=list(video_ids))
    return chunks.values_list(
        "id", "video_id", "video__youtube_id", "video__title", "start_time", "end_time", "text"
    )


def _in_order(ids: Sequence[int], rows: Sequence[Sequence[Any]]) -> list[SearchHit]:
    by_id = {row[0]: search_hit(row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


async def achunks_by_ids(
    *, ids: Sequence[int], video_ids: Sequence[uuid.UUID] | None = None
) -> list[SearchHit]:
    """The chunks with these ids (in the order given; unknown ids skipped), on the async pool.

    With `video_ids`, only chunks of those videos are returned (the caller's visible videos).
    """
    clean_ids = _clean_ids(ids)
    if not clean_ids:
        return []
    return _in_order(clean_ids, await adb.afetch(_chunks_query(clean_ids, video_ids)))


def transcript_chunks(*, video_id: uuid.UUID) -> QuerySet[TranscriptChunk]:
    """A video's chunks in order, without the vector and search columns."""
    return (
        TranscriptChunk.objects.filter(video_id=video_id)
        .only("id", "video_id", "position", "start_time", "end_time", "text", "embedding_model")
        .order_by("position")
    )


def transcript_current_source(*, video_id: Any) -> TranscriptSource | None:
    """The upload the video's chunks came from (the latest done or unchanged one), if any."""
    return (
        TranscriptSource.objects.filter(
            video_id=video_id,
            status__in=[TranscriptSource.Status.DONE, TranscriptSource.Status.UNCHANGED],
        )
        .order_by("-created_at", "-pk")
        .only("id", "format", "content", "created_at")
        .first()
    )


def transcript_vtt(*, video_id: Any) -> str | None:
    """The video's stored transcript as a WebVTT file, or None when it has none."""
    source = transcript_current_source(video_id=video_id)
    if source is None:
        return None
    return cues_to_vtt(parse_transcript(source.content, format=source.format))
