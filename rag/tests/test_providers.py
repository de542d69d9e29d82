import pytest
from django.test import override_settings

from learnwithavi.models import AIUsage
from rag.embeddings import cache_stats, embed_passages, embed_query
from rag.providers import EmbeddingError, LocalE5Embedder, OpenAIEmbedder, get_embedder
from testing.fake_openai_embeddings import rate_limited, server_error, slow

pytestmark = pytest.mark.django_db


def _embedder(fake, *, backoff=1.0, timeout=0.5, max_wait=30.0, query_timeout=2.0):
    sleeps: list[float] = []
    embedder = OpenAIEmbedder(
        api_key="sk-test",
        base_url=fake.base_url,
        model="text-embedding-3-small",
        timeout=timeout,
        backoff=backoff,
        max_wait=max_wait,
        query_timeout=query_timeout,
        sleep=sleeps.append,
    )
    return embedder, sleeps


def test_openai_batches_of_at_most_100_and_records_usage(fake_openai):
    embedder, _ = _embedder(fake_openai)
    texts = [f"chunk number {i}" for i in range(250)]
    vectors = embedder.embed_passages(texts)
    assert len(vectors) == 250
    assert all(len(v) == 384 for v in vectors)
    bodies = [r.json() for r in fake_openai.embedding_requests]
    assert [len(b["input"]) for b in bodies] == [100, 100, 50]
    assert {b["dimensions"] for b in bodies} == {384}
    assert {b["model"] for b in bodies} == {"text-embedding-3-small"}
    assert bodies[2]["input"][0] == "chunk number 200"
    rows = list(AIUsage.objects.order_by("created_at"))
    assert len(rows) == 3
    assert {(r.provider, r.model, r.endpoint) for r in rows} == {
        ("openai", "text-embedding-3-small", "embeddings")
    }
    assert rows[0].input_tokens == 300  # three words per text
    assert rows[0].estimated_cost > 0


def test_429_is_retried_after_the_time_the_server_asks(fake_openai):
    embedder, sleeps = _embedder(fake_openai)
    fake_openai.fail_next(rate_limited("7"), rate_limited("2"))
    assert len(embedder.embed_passages(["hello"])) == 1
    assert sleeps == [7.0, 2.0]
    assert len(fake_openai.embedding_requests) == 3
    assert AIUsage.objects.count() == 1


def test_retry_after_is_capped(fake_openai):
    embedder, sleeps = _embedder(fake_openai, max_wait=5)
    fake_openai.fail_next(rate_limited("3600"))
    embedder.embed_passages(["hello"])
    assert sleeps == [5]


def test_5xx_and_timeouts_back_off_exponentially_with_jitter(fake_openai):
    embedder, sleeps = _embedder(fake_openai, backoff=1.0, timeout=0.3)
    fake_openai.fail_next(server_error(500), slow(1.0), server_error(502), server_error(503))
    assert len(embedder.embed_passages(["a", "b"])) == 2
    assert len(sleeps) == 4
    for attempt, delay in enumerate(sleeps):
        assert 2**attempt <= delay <= 2**attempt + 1


def test_gives_up_after_five_attempts(fake_openai):
    embedder, sleeps = _embedder(fake_openai, backoff=0.001)
    fake_openai.fail_next(*[server_error(500)] * 6)
    with pytest.raises(EmbeddingError):
        embedder.embed_passages(["hello"])
    assert len(fake_openai.embedding_requests) == 5
    assert len(sleeps) == 4
    assert AIUsage.objects.count() == 0


@pytest.mark.parametrize("failure", [server_error(500), rate_limited("7"), slow(1.0)])
def test_a_query_gets_one_short_attempt(fake_openai, failure):
    embedder, sleeps = _embedder(fake_openai, timeout=5.0, query_timeout=0.2)
    fake_openai.fail_next(failure)
    with pytest.raises(EmbeddingError):
        embedder.embed_queries(["hello"])
    assert len(fake_openai.embedding_requests) == 1
    assert sleeps == []
    assert len(embedder.embed_queries(["hello"])) == 1  # the next query is served


def test_client_errors_are_not_retried(fake_openai):
    from testing.fake_http import Reply

    embedder, sleeps = _embedder(fake_openai)
    fake_openai.fail_next(Reply.json({"error": {"message": "bad input"}}, status=400))
    with pytest.raises(EmbeddingError):
        embedder.embed_queries(["hello"])
    assert len(fake_openai.embedding_requests) == 1
    assert sleeps == []


def test_factory_picks_the_provider_from_settings(fake_openai):
    assert isinstance(get_embedder(), OpenAIEmbedder)
    assert get_embedder() is get_embedder()
    assert get_embedder().model_id == "openai:text-embedding-3-small"
    with override_settings(OPENAI_API_KEY=""):
        local = get_embedder()
        assert isinstance(local, LocalE5Embedder)
        assert local.model_id == "local:multilingual-e5-small-q4"


def test_local_model_is_multilingual_and_normalised():
    embedder = LocalE5Embedder(num_threads=1)
    he, en, other = embedder.embed_passages(
        ["ירידה בגרדיאנט מעדכנת את הפרמטרים", "gradient descent updates the parameters", "pizza"]
    )
    query = embedder.embed_queries(["מה זה ירידה בגרדיאנט?"])[0]
    dot = lambda a, b: sum(x * y for x, y in zip(a, b, strict=True))  # noqa: E731
    assert abs(dot(he, he) - 1) < 1e-3
    assert dot(query, he) > dot(query, other)
    assert dot(he, en) > dot(he, other)


def test_cache_serves_repeated_texts_and_counts_hits(fake_openai):
    embed_query("what is dropout")
    embed_query("what is dropout")
    embed_passages(["a chunk", "what is dropout", "a chunk"])
    # one query request; the passage "what is dropout" is a different kind (e5 prefixes)
    assert len(fake_openai.embedding_requests) == 2
    assert fake_openai.embedding_requests[1].json()["input"] == ["a chunk", "what is dropout"]
    stats = cache_stats()
    assert stats["hits"] == 1
    assert stats["misses"] == 4
    assert stats["size"] == 3
    assert stats["hit_rate"] == 0.2


def test_cache_is_keyed_by_model(fake_openai):
    embed_query("same text")
    with override_settings(OPENAI_EMBEDDING_MODEL="text-embedding-3-large"):
        embed_query("same text")
    assert [r.json()["model"] for r in fake_openai.embedding_requests] == [
        "text-embedding-3-small",
        "text-embedding-3-large",
    ]


def test_health_reports_the_embedding_provider_and_cache(admin_client_api, fake_openai):
    embed_query("x")
    embed_query("x")
    body = admin_client_api.get("/api/health").json()
    assert body["services"]["embeddings"] == {
        "status": "ok",
        "provider": "openai",
        "model": "openai:text-embedding-3-small",
    }
    assert body["cache"]["hitRate"] == 0.5
    assert body["cache"]["size"] == 1
