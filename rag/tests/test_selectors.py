import uuid
from dataclasses import replace

import pytest
from django.db import connection, connections

from courses.tests.factories import CourseFactory, VideoFactory
from rag.models import TranscriptChunk
from rag.selectors import achunks_by_ids, ahybrid_search, hybrid_search, search_chunks
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
    video_id = result.hits[0].video_id
    loaded = await achunks_by_ids(ids=[*ids, 999_999, ids[0]], video_ids=[video_id])
    # in the order given, unknown and repeated ids skipped; the text and video from the DB
    assert loaded == [replace(hit, score=0.0) for hit in reversed(result.hits)]
    assert [hit.chunk_id for hit in loaded] == ids
    assert loaded[0].text == result.hits[-1].text
    assert loaded[0].youtube_id == "lwaDemoEn01"
    assert await achunks_by_ids(ids=ids, video_ids=[uuid.uuid4()]) == []
    assert await achunks_by_ids(ids=[]) == []
    await sync_to_async(connections.close_all)()


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
