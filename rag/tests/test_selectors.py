import numpy as np
import pytest
from django.db import connection, connections
from django.test import override_settings

from courses.tests.factories import CourseFactory, VideoFactory
from rag.db import QueryVector, search_cursor
from rag.models import TranscriptChunk
from rag.providers import _build
from rag.selectors import (
    achunks_by_ids,
    ahybrid_search,
    build_search_sql,
    chunks_by_ids,
    hybrid_search,
    search_chunks,
)
from rag.text import index_text

pytestmark = pytest.mark.django_db


def _ids(result):
    return [(hit.video_id, int(hit.start_time)) for hit in result.hits]


def test_hebrew_prefix_finds_the_bare_word(demo_videos):
    """ "בגרדיאנט" (with the prefix ב) finds chunks that only say "גרדיאנט" and vice versa."""
    he02 = demo_videos["he02"]
    bare = [
        chunk.pk
        for chunk in TranscriptChunk.objects.filter(video=he02, text__contains="גרדיאנט")
        if "בגרדיאנט" not in chunk.text
    ]
    assert bare
    result = search_chunks(query="בגרדיאנט", video_id=he02.pk, k=50, mode="keyword")
    assert result.mode == "keyword"
    assert set(bare) <= {hit.chunk_id for hit in result.hits}
    # and the other way round: the bare word finds the prefixed forms
    prefixed = search_chunks(query="גרדיאנט", video_id=he02.pk, k=50, mode="keyword")
    assert {h.chunk_id for h in result.hits} <= {h.chunk_id for h in prefixed.hits}


def test_niqqud_and_final_letters_are_ignored_in_queries(demo_videos):
    he01 = demo_videos["he01"]
    plain = search_chunks(query="אשכול", video_id=he01.pk, mode="keyword")
    pointed = search_chunks(query="אֶשְׁכּוֹל!", video_id=he01.pk, mode="keyword")
    assert plain.hits
    assert _ids(plain) == _ids(pointed)
    assert "אשכול" in plain.hits[0].text


def test_english_stemming_matches_other_forms(demo_videos):
    en01 = demo_videos["en01"]
    result = search_chunks(query="regularizing penalties", video_id=en01.pk, mode="keyword")
    assert result.hits
    assert "penalty" in result.hits[0].text


def test_hybrid_search_finds_the_answer_in_hebrew_and_english(demo_videos, course):
    he = hybrid_search(query="מה קורה כשקצב הלמידה גדול מדי?", course_id=course.pk, k=3)
    assert he.mode == "hybrid"
    assert he.hits[0].video_id == demo_videos["he02"].pk
    assert "גדול מדי" in " ".join(hit.text for hit in he.hits)
    en = hybrid_search(query="How does dropout prevent overfitting?", course_id=course.pk, k=3)
    assert en.hits[0].video_id == demo_videos["en01"].pk
    assert any("dropout" in hit.text for hit in en.hits)
    assert en.hits[0].url.startswith("https://www.youtube.com/watch?v=lwaDemoEn01&t=")


def test_scope_limits_hits_to_the_video_or_course(demo_videos, course):
    other = VideoFactory(youtube_id="otherVid001")
    other_text = "גרדיאנט גרדיאנט גרדיאנט gradient"
    TranscriptChunk.objects.create(
        video=other,
        position=0,
        start_time=0,
        end_time=5,
        text=other_text,
        search_text=index_text(other_text),
        content_hash="x",
    )
    in_video = hybrid_search(query="גרדיאנט", video_id=demo_videos["he01"].pk, k=20)
    assert {h.video_id for h in in_video.hits} == {demo_videos["he01"].pk}
    in_course = hybrid_search(query="גרדיאנט", course_id=course.pk, k=50)
    assert other.pk not in {h.video_id for h in in_course.hits}
    everywhere = hybrid_search(query="גרדיאנט", k=50)
    assert other.pk in {h.video_id for h in everywhere.hits}
    chosen = hybrid_search(query="גרדיאנט", video_ids=[other.pk], k=50)
    assert {h.video_id for h in chosen.hits} == {other.pk}


def test_position_boost_prefers_chunks_near_the_playback_position(demo_videos):
    he02 = demo_videos["he02"]
    query = "ירידה בגרדיאנט"
    plain = hybrid_search(query=query, video_id=he02.pk, k=3)
    late = hybrid_search(query=query, video_id=he02.pk, k=3, position=600)
    assert late.hits[0].start_time <= 600 <= late.hits[0].end_time + 60
    assert _ids(plain) != _ids(late)
    # The boost applies to the video being watched only.
    assert hybrid_search(query=query, course_id=he02.course_id, k=3, position=600).hits


def test_provider_failure_falls_back_to_keyword(demo_videos, fake_openai):
    from testing.fake_openai_embeddings import server_error

    fake_openai.fail_next(server_error(503))
    result = hybrid_search(query="ירידה בגרדיאנט", video_id=demo_videos["he02"].pk)
    assert result.mode == "keyword"
    assert result.hits
    assert len(fake_openai.embedding_requests) == 1  # a query gets one attempt, no retries


def test_vectors_of_another_model_are_never_compared(demo_videos, fake_openai):
    """The corpus was embedded locally; with OpenAI active, only keyword hits can come back."""
    result = search_chunks(query="ירידה בגרדיאנט", k=5, mode="vector")
    assert result.mode == "vector"
    assert result.hits == []
    hybrid = hybrid_search(query="ירידה בגרדיאנט", k=5)
    assert hybrid.mode == "hybrid"
    assert hybrid.hits


def test_query_of_only_stop_words_is_vector_only(demo_videos):
    result = hybrid_search(query="מה זה?", video_id=demo_videos["he01"].pk, k=2)
    assert result.mode == "vector"
    assert len(result.hits) == 2


def test_chunks_by_ids_keeps_order_and_filters_by_video(demo_videos):
    he01, en01 = demo_videos["he01"], demo_videos["en01"]
    a = TranscriptChunk.objects.filter(video=en01).order_by("position")[0]
    b = TranscriptChunk.objects.filter(video=he01).order_by("-position")[0]
    hits = chunks_by_ids(ids=[b.pk, a.pk, 999_999, b.pk])
    assert [h.chunk_id for h in hits] == [b.pk, a.pk]
    assert hits[0].text == b.text
    assert hits[0].youtube_id == "lwaDemoHe01"
    assert [h.chunk_id for h in chunks_by_ids(ids=[a.pk, b.pk], video_ids=[he01.pk])] == [b.pk]
    assert chunks_by_ids(ids=[]) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_async_pool")
async def test_ahybrid_search_matches_the_sync_one():
    from asgiref.sync import sync_to_async

    from rag.demo import ingest_demo_transcripts

    course = await sync_to_async(CourseFactory)()
    await sync_to_async(VideoFactory)(course=course, youtube_id="lwaDemoEn01", duration=600)
    await sync_to_async(ingest_demo_transcripts)()
    result = await ahybrid_search(query="what is weight decay", course_id=course.id, k=3)
    assert result.mode == "hybrid"
    assert "weight decay" in result.hits[0].text
    same = await sync_to_async(hybrid_search)(
        query="what is weight decay", course_id=course.id, k=3
    )
    assert _ids(same) == _ids(result)
    ids = [hit.chunk_id for hit in reversed(result.hits)]
    loaded = await achunks_by_ids(ids=[*ids, 999_999], video_ids=[result.hits[0].video_id])
    assert loaded == await sync_to_async(chunks_by_ids)(
        ids=ids, video_ids=[result.hits[0].video_id]
    )
    assert [hit.chunk_id for hit in loaded] == ids
    assert loaded[0].text == result.hits[-1].text
    await sync_to_async(connections.close_all)()


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
    from rag.selectors import _scope_sql

    course = CourseFactory()
    for index in range(3):
        video = VideoFactory(course=course)
        vectors = _random_chunks(video, 1000, "local:multilingual-e5-small-q4", seed=10 + index)
    scope, scope_params = _scope_sql(video_id=None, course_id=course.pk, video_ids=None)
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


def _text_chunks(video, texts):
    TranscriptChunk.objects.bulk_create(
        TranscriptChunk(
            video=video,
            position=i,
            start_time=10 * i,
            end_time=10 * i + 9,
            text=text,
            search_text=index_text(text),
            content_hash=str(i),
        )
        for i, text in enumerate(texts)
    )
    chunks = video.transcript_chunks.order_by("position")
    return {text: chunk.pk for text, chunk in zip(texts, chunks, strict=True)}


def test_keyword_ranking_prefers_chunks_holding_more_of_the_question():
    """ts_rank has no IDF: a chunk repeating the topic word must not beat the one that answers.

    Under the OR-query every chunk of a lecture about trees matches "tree"; those that hold
    less than half as many of the question's words as the best chunk stay out of the keyword
    ranking, so that the fusion does not reward them for merely being in it.
    """
    video = VideoFactory()
    repeats = "A tree, a tree and a tree: trees split into trees, and each tree splits again."
    answers = "At every node, the tree chooses the split that makes the groups purest."
    topic = "A forest is many trees; the trees vote."
    ids = _text_chunks(video, [repeats, answers, topic])
    result = search_chunks(
        query="How does a decision tree choose where it splits?", video_id=video.pk, mode="keyword"
    )
    assert result.mode == "keyword"
    ranked = [hit.chunk_id for hit in result.hits]
    assert ranked[0] == ids[answers]
    assert ids[topic] not in ranked


def test_a_search_is_one_statement_seen_by_django(demo_videos):
    """Server-side binding goes through Django's cursor wrapper: query logging and counting
    (assertNumQueries) see the search, and it is one round trip."""
    from django.test.utils import CaptureQueriesContext

    search_chunks(query="gradient descent", course_id=demo_videos["en01"].course_id, k=5)
    with CaptureQueriesContext(connection) as queries:
        result = search_chunks(
            query="gradient descent", course_id=demo_videos["en01"].course_id, k=5
        )
    assert result.mode == "hybrid"
    assert result.hits
    assert len(queries.captured_queries) == 1
    assert "rag_transcriptchunk" in queries.captured_queries[0]["sql"]


def test_keyword_search_finds_other_forms_of_an_irregular_verb():
    """ "chosen" in the question finds the lecture's "choose", and the other way round."""
    video = VideoFactory()
    answers = "How do we choose lambda? We choose it with a validation set."
    repeats = "Lambda, lambda: a huge lambda pushes every weight to zero, lambda after lambda."
    chosen = "The split was chosen greedily, one node at a time."
    ids = _text_chunks(video, [answers, repeats, chosen])
    result = search_chunks(query="How is lambda chosen?", video_id=video.pk, mode="keyword")
    assert [hit.chunk_id for hit in result.hits][:2] == [ids[answers], ids[repeats]]
    # the past tense finds both the participle and the base form
    result = search_chunks(query="Who chose the split?", video_id=video.pk, mode="keyword")
    assert [hit.chunk_id for hit in result.hits] == [ids[chosen], ids[answers]]


@pytest.mark.redis
async def test_aembed_query_reads_the_redis_cache_without_a_thread(hops):
    """What embed_query cached in Redis, aembed_query reads natively and counts as a hit."""
    from asgiref.sync import sync_to_async

    from rag.embeddings import aembed_query, cache_stats, embed_query

    vector = await sync_to_async(embed_query)("what is weight decay")
    before = (await sync_to_async(cache_stats)())["hits"]
    hops.clear()
    assert await aembed_query("what is weight decay") == pytest.approx(vector)
    assert hops == []
    assert (await sync_to_async(cache_stats)())["hits"] == before + 1
