"""Search latency and recall at 100,000 chunks of 384 dimensions: pgvector through rag.selectors
against exact search and ChromaDB, on the same clustered synthetic vectors.

Figures, per query (single client, the corpus prewarmed into shared buffers; the contenders
run one after another, each with the CPU caches to itself, in three rounds of a third of the
queries each, so that a busy minute on this shared machine weighs on all of them. `--interleaved`
sends each query through every contender in turn instead; it favours the selector, whose query
follows the raw one over the same index pages):
- numpy exact: brute-force cosine over all vectors (the ground truth for recall@10);
- pgvector raw SQL: `ORDER BY embedding <=> q LIMIT 10` through psycopg (server-bound binary
  parameter), HNSW, the session's ef_search (RAG_HNSW_EF_SEARCH, 40);
- selector, vector only: `rag.selectors.search_chunks(mode="vector")` with everything Django
  adds (cursor wrapper, scope, join with videos, SearchHit objects);
- selector, hybrid: `rag.selectors.hybrid_search` (vector + full-text, fused);
- ChromaDB (PersistentClient in a temporary directory, HNSW cosine, its defaults).
The query embedding is given (the model's time is measured by bench/ingest_bench.py).

    .venv/bin/python bench/search_bench.py [--chunks 100000] [--queries 300] [--keep NAME]
                                           [--interleaved] [--no-chroma]

By default the corpus lives in a throw-away test database. `--keep NAME` loads it into database
NAME once and reuses it on later runs (loading and indexing take about a minute).
"""

import argparse
import contextlib
import importlib.util
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learnwithavi.settings.test")
os.environ["OPENAI_API_KEY"] = ""

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

DIM = 384
MODEL = "local:multilingual-e5-small-q4"


def clustered(
    rng: np.random.Generator, count: int, centers: np.ndarray, spread: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors scattered around random cluster centres (like topics in a corpus)."""
    labels = rng.integers(0, len(centers), size=count)
    vectors = centers[labels] + rng.normal(scale=spread, size=(count, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32), labels


def words_for(rng: np.random.Generator, labels: np.ndarray) -> list[str]:
    """Synthetic words: mostly from the chunk's topic, a few from anywhere."""
    texts = []
    for label in labels:
        topical = [f"t{label}w{w}" for w in rng.integers(0, 30, size=12)]
        noise = [f"g{w}" for w in rng.integers(0, 3000, size=6)]
        texts.append(" ".join(topical + noise))
    return texts


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (
        statistics.median(ordered) * 1000,
        ordered[int(len(ordered) * 0.95) - 1] * 1000,
    )


def measure(
    contenders: Sequence[tuple[str, Callable[[int], Any], bool]],
    query_count: int,
    warmup: int = 20,
    sequential: bool = False,
    rounds: int = 3,
) -> list[tuple[str, list[float], list[Any], bool]]:
    """Each query through every contender in turn, so that whatever else the machine is doing
    weighs on all of them alike; or, `sequential`, the contenders one after another, each with
    the CPU caches to itself, in `rounds` rounds (each round a share of the queries), so that a
    busy minute on this shared machine does not fall on one contender alone.
    (name, seconds per query, results in query order, recall applies)."""
    samples: list[list[float]] = [[] for _ in contenders]
    results: list[list[Any]] = [[] for _ in contenders]
    if sequential:
        bounds = [query_count * r // rounds for r in range(rounds + 1)]
        order = [
            (p, i, i == bounds[r])  # each contender warms up at the start of its share
            for r in range(rounds)
            for p in range(len(contenders))
            for i in range(bounds[r], bounds[r + 1])
        ]
    else:
        order = [(p, i, i == 0) for i in range(query_count) for p in range(len(contenders))]
    for position, index, warm_first in order:
        search = contenders[position][1]
        if warm_first:
            for warm in range(warmup):
                search(warm)
        started = time.perf_counter()
        results[position].append(search(index))
        samples[position].append(time.perf_counter() - started)
    return [
        (name, samples[i], results[i], exact) for i, (name, _search, exact) in enumerate(contenders)
    ]


def chroma_searches(
    stack: contextlib.ExitStack, vectors: np.ndarray, texts: list[str], queries: np.ndarray
) -> tuple[Callable[[int], list[int]], Callable[[int], list[int]]]:
    """ChromaDB (the seed system's store) loaded with the same vectors, each with its text and
    the metadata the seed kept (video, times), in a temporary directory. Two searches: ids
    only, and the hits with their text and metadata, as the seed's search returned them (and
    as the selector does)."""
    import chromadb

    directory = stack.enter_context(tempfile.TemporaryDirectory())
    client = chromadb.PersistentClient(path=directory)
    collection = client.create_collection(
        f"bench-{uuid.uuid4().hex[:6]}", metadata={"hnsw:space": "cosine"}, embedding_function=None
    )
    started = time.perf_counter()
    batch = client.get_max_batch_size()
    per_video = len(vectors) // 100
    for start in range(0, len(vectors), batch):
        end = min(start + batch, len(vectors))
        collection.add(
            ids=[str(i) for i in range(start, end)],
            embeddings=vectors[start:end],
            documents=texts[start:end],
            metadatas=[
                {
                    "videoId": f"bench{min(i // per_video, 99):06d}",
                    "title": f"V{min(i // per_video, 99)}",
                    "startTime": (i % per_video) * 30.0,
                    "endTime": (i % per_video) * 30.0 + 30,
                }
                for i in range(start, end)
            ],
        )
    elapsed = time.perf_counter() - started
    print(f"ChromaDB {chromadb.__version__} loaded and indexed in {elapsed:.1f}s")

    def ids_only(index: int) -> list[int]:
        found = collection.query(query_embeddings=[queries[index]], n_results=10, include=[])
        return [int(i) for i in found["ids"][0]]

    def with_hits(index: int) -> list[int]:
        found = collection.query(
            query_embeddings=[queries[index]],
            n_results=10,
            include=["documents", "metadatas", "distances"],
        )
        return [int(i) for i in found["ids"][0]]

    return ids_only, with_hits


def recall(results: Sequence[Sequence[int]], truth: Sequence[Sequence[int]]) -> float:
    return float(
        np.mean([len(set(r) & set(t)) / len(t) for r, t in zip(results, truth, strict=True)])
    )


def load(vectors: np.ndarray, texts: list[str]) -> tuple[Any, dict[int, int]]:
    """Course, 100 videos and the chunks (binary COPY), then the indexes, like a real corpus."""
    from pgvector.psycopg import register_vector

    from accounts.models import User
    from courses.models import Course, Video

    owner = User.objects.create_user("bench@example.test", role="instructor")
    course = Course.objects.create(slug="bench", title="Bench", owner=owner, is_published=True)
    videos = Video.objects.bulk_create(
        Video(
            course=course, youtube_id=f"bench{i:06d}", title=f"V{i}", duration=3600, order_index=i
        )
        for i in range(100)
    )
    per_video = len(vectors) // len(videos)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX chunk_embedding_hnsw")
        cursor.execute("DROP INDEX chunk_search_vector_gin")
        raw = cursor.connection
        register_vector(raw)
        started = time.perf_counter()
        with raw.cursor().copy(
            "COPY rag_transcriptchunk (video_id, position, start_time, end_time, text, "
            "search_text, content_hash, embedding, embedding_model, created_at) "
            "FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(
                ["uuid", "int4", "float8", "float8", "text", "text", "varchar", "vector",
                 "varchar", "timestamptz"]
            )  # fmt: skip
            now = timezone.now()
            for index, (vector, text) in enumerate(zip(vectors, texts, strict=True)):
                video = videos[min(index // per_video, len(videos) - 1)]
                position = index - videos.index(video) * per_video
                copy.write_row(
                    [video.pk, position, position * 30.0, position * 30.0 + 30, text, text,
                     str(index), vector, MODEL, now]
                )  # fmt: skip
        print(f"loaded {len(vectors):,} chunks in {time.perf_counter() - started:.1f}s")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 1")
        started = time.perf_counter()
        cursor.execute(
            "CREATE INDEX chunk_embedding_hnsw ON rag_transcriptchunk "
            "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
        )
        print(
            f"HNSW index (m 16, ef_construction 64) built in {time.perf_counter() - started:.1f}s"
        )
        cursor.execute(
            "CREATE INDEX chunk_search_vector_gin ON rag_transcriptchunk USING gin (search_vector)"
        )
        cursor.execute("ANALYZE rag_transcriptchunk")
        cursor.execute("SELECT id, content_hash::int FROM rag_transcriptchunk")
        row_of_id = dict(cursor.fetchall())
    return course, row_of_id


def prewarm() -> None:
    """Read the corpus into shared buffers: a serving database has its working set there, and
    the first queries after a (re)start should not decide the percentiles."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        for relation in (
            "rag_transcriptchunk", "chunk_embedding_hnsw", "chunk_search_vector_gin",
            "courses_video",
        ):  # fmt: skip
            cursor.execute("SELECT pg_prewarm(%s)", [relation])
        cursor.execute("SHOW shared_buffers")
        print(f"prewarmed the corpus into shared buffers ({cursor.fetchone()[0]})")


def reuse(chunk_count: int) -> tuple[Any, dict[int, int]] | None:
    """The corpus of an earlier `--keep` run, if it has the same size."""
    from courses.models import Course

    course = Course.objects.filter(slug="bench").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, content_hash::int FROM rag_transcriptchunk")
        row_of_id = dict(cursor.fetchall())
    if course is None or len(row_of_id) != chunk_count:
        return None
    print(f"reusing {chunk_count:,} chunks in database {connection.settings_dict['NAME']}")
    return course, row_of_id


def main(
    chunk_count: int,
    query_count: int,
    *,
    keep: bool = False,
    chroma: bool = True,
    sequential: bool = False,
) -> None:
    if chroma and importlib.util.find_spec("chromadb") is None:
        print("chromadb is not installed: pip install -r requirements-bench.txt")
        chroma = False
    from rag import selectors

    rng = np.random.default_rng(7)
    centers = rng.normal(size=(1000, DIM)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    vectors, labels = clustered(rng, chunk_count, centers)
    texts = words_for(rng, labels)
    queries, query_labels = clustered(rng, query_count, centers)
    query_texts = [
        " ".join(f"t{label}w{w}" for w in rng.integers(0, 30, size=3)) for label in query_labels
    ]
    reused = reuse(chunk_count) if keep else None
    if reused is None and keep:
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)
    course, row_of_id = reused or load(vectors, texts)
    prewarm()

    def exact(index: int) -> list[int]:
        scores = vectors @ queries[index]
        top = np.argpartition(-scores, 10)[:10]
        return list(top[np.argsort(-scores[top])])

    from pgvector.psycopg import register_vector

    raw = connection.cursor().connection
    register_vector(raw)
    sql = "SELECT content_hash::int FROM rag_transcriptchunk ORDER BY embedding <=> %s LIMIT 10"

    def pgvector_raw(index: int) -> list[int]:
        # psycopg's own cursor: parameters bound by the server, the vector in binary.
        with psycopg.Cursor(raw) as cursor:
            cursor.execute(sql, (queries[index],), binary=True)
            return [row[0] for row in cursor.fetchall()]

    # The query's vector is given, as if the embedding cache answered.
    by_text: dict[str, list[float]] = {}

    def given_vector(text: str, embedder: Any = None) -> list[float]:
        return by_text[text]

    selectors.embed_query = given_vector  # type: ignore[attr-defined]  # the bench's stand-in

    def vector_selector(index: int) -> list[int]:
        text = f"q{index}"
        by_text[text] = queries[index].tolist()
        result = selectors.search_chunks(query=text, k=10, mode="vector")
        return [row_of_id[hit.chunk_id] for hit in result.hits]

    def hybrid(scope: dict[str, Any]) -> Callable[[int], Any]:
        def run(index: int) -> Any:
            by_text[query_texts[index]] = queries[index].tolist()
            return selectors.hybrid_search(query=query_texts[index], k=10, **scope)

        return run

    # Alone: a brute-force pass over 150 MB of vectors would flush the CPU caches that the
    # other contenders' next query then finds cold.
    rows = measure([("numpy exact (brute force)", exact, True)], query_count)
    contenders: list[tuple[str, Callable[[int], Any], bool]] = [
        (f"pgvector HNSW, raw SQL (ef_search {settings.RAG_HNSW_EF_SEARCH})", pgvector_raw, True),
        ("rag selector, vector only", vector_selector, True),
        ("rag selector, hybrid (vector + full-text)", hybrid({}), False),
        ("rag selector, hybrid, scoped to a course", hybrid({"course_id": course.pk}), False),
    ]
    with contextlib.ExitStack() as stack:
        if chroma:
            ids_only, with_hits = chroma_searches(stack, vectors, texts, queries)
            contenders.append(("ChromaDB (HNSW cosine, defaults), ids only", ids_only, True))
            contenders.append(
                ("ChromaDB, hits with text and metadata (as the seed searched)", with_hits, True)
            )
        rows += measure(contenders, query_count, sequential=sequential)
    print(f"\n{chunk_count:,} chunks x {DIM} dims, {query_count} queries, top 10\n")
    print("| search | p50 ms | p95 ms | recall@10 |")
    print("|---|---|---|---|")
    truth = rows[0][2]
    for name, samples, results, exactness in rows:
        p50, p95 = percentiles(samples)
        shown = f"{recall(results, truth):.3f}" if exactness else "-"
        print(f"| {name} | {p50:.2f} | {p95:.2f} | {shown} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--keep", metavar="NAME", help="load into database NAME, reuse it later")
    parser.add_argument("--no-chroma", action="store_true", help="skip ChromaDB")
    parser.add_argument(
        "--interleaved",
        action="store_true",
        help="each query through every contender in turn (default: one contender after another)",
    )
    arguments = parser.parse_args()
    if arguments.keep:
        from django.core.management import call_command

        connection.settings_dict["NAME"] = arguments.keep
        call_command("migrate", verbosity=0)
        try:
            main(
                arguments.chunks,
                arguments.queries,
                keep=True,
                chroma=not arguments.no_chroma,
                sequential=not arguments.interleaved,
            )
        finally:
            connection.close()
    else:
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            main(
                arguments.chunks,
                arguments.queries,
                chroma=not arguments.no_chroma,
                sequential=not arguments.interleaved,
            )
        finally:
            connection.close()
            connection.creation.destroy_test_db(old_name, verbosity=0)
