"""Search latency and recall at 100,000 chunks of 384 dimensions: pgvector through rag.selectors
against exact search and ChromaDB, on the same clustered synthetic vectors.

Figures, per query (single client, warm caches):
- numpy exact: brute-force cosine over all vectors (the ground truth for recall@10);
- pgvector raw SQL: `ORDER BY embedding <=> q LIMIT 10` through psycopg, HNSW, ef_search 40;
- selector, vector only: `rag.selectors.search_chunks(mode="vector")` with everything Django
  adds (cursor, SET LOCALs, fusion CTE, join with videos, SearchHit objects);
- selector, hybrid: `rag.selectors.hybrid_search` (vector + full-text, fused);
- ChromaDB (PersistentClient in a temporary directory, HNSW cosine, its defaults).
The query embedding is given (the model's time is measured by bench/ingest_bench.py).

    .venv/bin/python bench/search_bench.py [--chunks 100000] [--queries 300]
"""

import argparse
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

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from rag.types import SearchMode  # noqa: E402

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


def timed(
    function: Callable[[Any], Any], queries: Sequence[Any], warmup: int = 20
) -> tuple[list[float], list[Any]]:
    for query in queries[:warmup]:
        function(query)
    samples, results = [], []
    for query in queries:
        started = time.perf_counter()
        results.append(function(query))
        samples.append(time.perf_counter() - started)
    return samples, results


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


def main(chunk_count: int, query_count: int) -> None:
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
    course, row_of_id = load(vectors, texts)

    def exact(q: np.ndarray) -> list[int]:
        scores = vectors @ q
        top = np.argpartition(-scores, 10)[:10]
        return list(top[np.argsort(-scores[top])])

    rows: list[tuple[str, list[float], float | None]] = []
    samples, truth = timed(exact, list(queries))
    rows.append(("numpy exact (brute force)", samples, 1.0))

    raw = connection.cursor().connection
    sql = "SELECT content_hash::int FROM rag_transcriptchunk ORDER BY embedding <=> %s LIMIT 10"

    with raw.cursor() as cursor:
        cursor.execute("SET hnsw.ef_search = 40")

    def pgvector_raw(q: np.ndarray) -> list[int]:
        with raw.cursor() as cursor:
            cursor.execute(sql, (q,))
            return [row[0] for row in cursor.fetchall()]

    samples, results = timed(pgvector_raw, list(queries))
    rows.append(("pgvector HNSW, raw SQL (ef_search 40)", samples, recall(results, truth)))

    # The query's vector is given, as if the embedding cache answered.
    by_text: dict[str, list[float]] = {}

    def given_vector(text: str, embedder: Any = None) -> list[float]:
        return by_text[text]

    selectors.embed_query = given_vector  # type: ignore[attr-defined]  # the bench's stand-in

    def selector(mode: SearchMode) -> Callable[[int], list[int]]:
        def run(index: int) -> list[int]:
            text = f"q{index}"
            by_text[text] = queries[index].tolist()
            result = selectors.search_chunks(query=text, k=10, mode=mode)
            return [row_of_id[hit.chunk_id] for hit in result.hits]

        return run

    samples, results = timed(selector("vector"), list(range(query_count)))
    rows.append(("rag selector, vector only", samples, recall(results, truth)))

    def hybrid(scope: dict[str, Any]) -> Callable[[int], Any]:
        def run(index: int) -> Any:
            by_text[query_texts[index]] = queries[index].tolist()
            return selectors.hybrid_search(query=query_texts[index], k=10, **scope)

        return run

    samples, _ = timed(hybrid({}), list(range(query_count)))
    rows.append(("rag selector, hybrid (vector + full-text)", samples, None))
    samples, _ = timed(hybrid({"course_id": course.pk}), list(range(query_count)))
    rows.append(("rag selector, hybrid, scoped to a course", samples, None))

    try:
        import chromadb
    except ImportError:
        print("chromadb is not installed: pip install -r requirements-bench.txt")
    else:
        with tempfile.TemporaryDirectory() as directory:
            client = chromadb.PersistentClient(path=directory)
            collection = client.create_collection(
                f"bench-{uuid.uuid4().hex[:6]}", metadata={"hnsw:space": "cosine"},
                embedding_function=None,
            )  # fmt: skip
            started = time.perf_counter()
            batch = client.get_max_batch_size()
            for start in range(0, chunk_count, batch):
                end = min(start + batch, chunk_count)
                collection.add(
                    ids=[str(i) for i in range(start, end)], embeddings=vectors[start:end]
                )
            print(f"ChromaDB loaded and indexed in {time.perf_counter() - started:.1f}s")

            def chroma(q: np.ndarray) -> list[int]:
                found = collection.query(query_embeddings=[q], n_results=10, include=[])
                return [int(i) for i in found["ids"][0]]

            samples, results = timed(chroma, list(queries))
            rows.append(("ChromaDB 1.5 (HNSW cosine, defaults)", samples, recall(results, truth)))

    print(f"\n{chunk_count:,} chunks x {DIM} dims, {query_count} queries, top 10\n")
    print("| search | p50 ms | p95 ms | recall@10 |")
    print("|---|---|---|---|")
    for name, samples, rec in rows:
        p50, p95 = percentiles(samples)
        shown = f"{rec:.3f}" if rec is not None else "-"
        print(f"| {name} | {p50:.2f} | {p95:.2f} | {shown} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    arguments = parser.parse_args()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main(arguments.chunks, arguments.queries)
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
