"""How PostgreSQL plans and prepares the search statements: real indexes, real plans."""

import numpy as np
import pytest
from django.db import connection, connections
from django.test import override_settings

from courses.tests.factories import CourseFactory, VideoFactory
from rag.db import QueryVector, search_cursor
from rag.models import TranscriptChunk
from rag.providers import _build
from rag.search_sql import build_search_sql
from rag.selectors import ahybrid_search, hybrid_search, search_chunks

pytestmark = pytest.mark.django_db


def _prepared_searches(cursor):
    cursor.execute(
        "SELECT statement, generic_plans FROM pg_prepared_statements "
        "WHERE statement LIKE '%%rag_transcriptchunk%%'"
    )
    return cursor.fetchall()


def test_vector_only_search_is_prepared_and_planned_once(monkeypatch):
    """A course's vector-only search (a question of stop words only), at a size where the HNSW
    index serves it: one statement, prepared, and PostgreSQL settles on one plan for it instead
    of planning every search. (With the LIMIT bound as a parameter it never would: a generic
    plan costs an unknown LIMIT as a tenth of the table.)"""
    from rag import selectors

    course = CourseFactory()
    vectors = _random_chunks(
        VideoFactory(course=course), 3000, "local:multilingual-e5-small-q4", seed=4
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE rag_transcriptchunk")
    monkeypatch.setattr(selectors, "embed_query", lambda text, embedder=None: vectors[7].tolist())
    _build.cache_clear()
    with override_settings(OPENAI_API_KEY=""):
        first = hybrid_search(query="מה זה?", course_id=course.pk, k=3)
        for _ in range(7):
            assert hybrid_search(query="מה זה?", course_id=course.pk, k=3) == first
        with connection.cursor() as cursor:
            [(statement, generic_plans)] = _prepared_searches(cursor)
        with override_settings(DATABASE_PREPARED_STATEMENTS=False):
            assert hybrid_search(query="מה זה?", course_id=course.pk, k=3) == first
    assert first.mode == "vector"
    assert len(first.hits) == 3  # approximate: random vectors need not find chunk 7 first
    assert statement.startswith("SELECT c.id")
    assert generic_plans >= 1


def test_hybrid_and_single_video_searches_are_planned_for_their_values(demo_videos):
    he01 = demo_videos["he01"]
    for _ in range(7):
        hybrid_search(query="ירידה בגרדיאנט", course_id=he01.course_id, k=3)
        hybrid_search(query="מה זה?", video_id=he01.pk, k=2)
    with connection.cursor() as cursor:
        assert _prepared_searches(cursor) == []


@override_settings(DATABASE_PREPARED_STATEMENTS=False)
def test_prepared_searches_can_be_turned_off(demo_videos):
    for _ in range(7):
        assert hybrid_search(query="מה זה?", k=3).mode == "vector"
    with connection.cursor() as cursor:
        assert _prepared_searches(cursor) == []


async def _searches_on_one_pool_connection(query, times):
    """`times` async searches of a course, and what the pool's connection then holds prepared
    (statement, generic plans). The pool holds one connection (CHAT_DB_POOL_SIZE=1)."""
    from asgiref.sync import sync_to_async

    from learnwithavi import adb
    from rag.demo import ingest_demo_transcripts

    course = await sync_to_async(CourseFactory)()
    await sync_to_async(VideoFactory)(course=course, youtube_id="lwaDemoEn01", duration=600)
    await sync_to_async(ingest_demo_transcripts)()
    results = [await ahybrid_search(query=query, course_id=course.id) for _ in range(times)]
    videos = await sync_to_async(
        lambda: course.videos.values_list("youtube_id", flat=True)  # a queryset on the pool
    )()
    for _ in range(times):
        assert await adb.afetch(videos) == [("lwaDemoEn01",)]
    prepared = await adb.afetch_sql(
        "SELECT statement, generic_plans FROM pg_prepared_statements ORDER BY prepare_time", {}
    )
    await sync_to_async(connections.close_all)()
    return results, prepared


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_async_pool")
@override_settings(CHAT_DB_POOL_SIZE=1)
async def test_async_vector_only_search_is_prepared_on_the_pool():
    results, prepared = await _searches_on_one_pool_connection("what is it?", 7)
    assert results[0].mode == "vector"
    assert results[0].hits
    assert all(result == results[0] for result in results)
    [(search, generic_plans), (videos, _)] = prepared
    assert search.startswith("SELECT c.id")
    assert generic_plans >= 1
    assert "courses_video" in videos  # repeated queries are prepared by psycopg (5 runs)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_async_pool")
@override_settings(CHAT_DB_POOL_SIZE=1, DATABASE_PREPARED_STATEMENTS=False)
async def test_the_pool_prepares_nothing_when_prepared_statements_are_off():
    results, prepared = await _searches_on_one_pool_connection("what is it?", 7)
    assert results[0].mode == "vector"
    assert all(result == results[0] for result in results)
    assert prepared == []


def _random_chunks(video, count, model, seed):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(count, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    TranscriptChunk.objects.bulk_create(
        TranscriptChunk(
            video=video,
            position=i,
            start_time=i,
            end_time=i + 1,
            text=f"chunk {i}",
            search_text=f"chunk {i}",
            content_hash=str(i),
            embedding=vectors[i],
            embedding_model=model,
        )
        for i in range(count)
    )
    return vectors


def _vector_params(query_vector, model, k=8):
    return {
        "embedding": QueryVector(query_vector),
        "model": model,
        "candidates": 40,
        "k": k,
    }


def test_planner_uses_the_hnsw_index():
    video = VideoFactory()
    vectors = _random_chunks(video, 3000, "local:multilingual-e5-small-q4", seed=1)
    sql = build_search_sql(scope="TRUE", use_vector=True, keyword_configs=(), with_position=False)
    with search_cursor() as cursor:
        cursor.execute("ANALYZE rag_transcriptchunk")
        cursor.execute(
            "EXPLAIN " + sql, _vector_params(vectors[0], "local:multilingual-e5-small-q4")
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "chunk_embedding_hnsw" in plan, plan[:300]


def test_filtered_hnsw_scan_still_returns_k():
    """2,000 vectors of another model crowd the index; iterative scans still find k of ours."""
    video = VideoFactory()
    _random_chunks(video, 2000, "old:model", seed=2)
    ours = VideoFactory()
    mine = _random_chunks(ours, 12, "local:multilingual-e5-small-q4", seed=3)
    sql = build_search_sql(scope="TRUE", use_vector=True, keyword_configs=(), with_position=False)
    params = _vector_params(mine[0], "local:multilingual-e5-small-q4", k=8)
    with search_cursor() as cursor:
        cursor.execute("ANALYZE rag_transcriptchunk")
        # Rolled back below: SET LOCAL would otherwise last until the test's transaction ends.
        cursor.execute("SAVEPOINT plain_scan")
        # So few rows of our model would make the planner prefer an exact scan; a big corpus
        # (or a broad course scope) gives HNSW plans like this one.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL hnsw.iterative_scan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(sql, params)
        without = cursor.fetchall()
        cursor.execute("ROLLBACK TO SAVEPOINT plain_scan")
    assert "chunk_embedding_hnsw" in plan, plan[:300]
    assert len(without) < 8  # what a plain filtered HNSW scan does
    _build.cache_clear()
    with override_settings(OPENAI_API_KEY=""):
        from rag import selectors

        original = selectors.embed_query
        selectors.embed_query = lambda text, embedder=None: mine[0].tolist()
        try:
            result = search_chunks(query="anything", k=8, mode="vector")
        finally:
            selectors.embed_query = original
    assert len(result.hits) == 8
    assert result.hits[0].video_id == ours.pk


def test_course_scope_walks_the_hnsw_index_with_the_keyword_part():
    """A course holding the whole corpus: the planner must not read and sort all of it."""
    from rag.search_sql import scope_sql

    course = CourseFactory()
    for index in range(3):
        video = VideoFactory(course=course)
        vectors = _random_chunks(video, 1000, "local:multilingual-e5-small-q4", seed=10 + index)
    scope, scope_params = scope_sql(video_id=None, course_id=course.pk, video_ids=None)
    sql = build_search_sql(
        scope=f"({scope}) IS TRUE",  # as search_chunks scopes a course
        use_vector=True,
        keyword_configs=("simple",),
        with_position=False,
    )
    params = {
        **_vector_params(vectors[0], "local:multilingual-e5-small-q4"),
        **scope_params,
        "tsquery_simple": "'777'",
    }
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE rag_transcriptchunk")
    with search_cursor() as cursor:  # how the selector sends it: bound by the server
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "chunk_embedding_hnsw" in plan, plan[:300]
    assert "chunk_search_vector_gin" in plan, plan[:300]
