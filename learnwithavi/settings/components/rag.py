"""rag: transcripts, embeddings, hybrid search, and the sweep of lost ingest jobs."""

from learnwithavi.settings.components.cache_celery import (
    CELERY_TASK_RETRY_BACKOFF_MAX,
    CELERY_TASK_TIME_LIMIT,
)
from learnwithavi.settings.components.environment import BASE_DIR, env

# Seconds an OpenAI embeddings request may take, the backoff base between its retries, and the
# longest wait a Retry-After header may impose before we give up on that attempt's advice.
RAG_EMBEDDING_TIMEOUT = env.float("RAG_EMBEDDING_TIMEOUT", default=20.0)
RAG_EMBEDDING_BACKOFF = env.float("RAG_EMBEDDING_BACKOFF", default=0.5)
RAG_EMBEDDING_MAX_WAIT = env.float("RAG_EMBEDDING_MAX_WAIT", default=30.0)
# A query's embedding (a search, a chat before its first byte) gets one attempt of at most this
# many seconds, then the search goes on by keyword alone; ingestion keeps the retries above.
RAG_QUERY_EMBEDDING_TIMEOUT = env.float("RAG_QUERY_EMBEDDING_TIMEOUT", default=2.0)
# Embeddings cached in the Django cache (model + text hash), seconds.
RAG_EMBEDDING_CACHE_TTL = env.int("RAG_EMBEDDING_CACHE_TTL", default=3600)
# HNSW candidates per search (pgvector's hnsw.ef_search); higher is slower and more exact.
RAG_HNSW_EF_SEARCH = env.int("RAG_HNSW_EF_SEARCH", default=40)
# Largest transcript file accepted by the API and the admin, bytes.
RAG_TRANSCRIPT_MAX_BYTES = env.int("RAG_TRANSCRIPT_MAX_BYTES", default=5 * 1024 * 1024)
# Recordings (audio or video) to transcribe and ingest: the largest upload, bytes, and the
# longest recording, seconds; both refused before anything is stored (413, 400).
RAG_RECORDING_MAX_BYTES = env.int("RAG_RECORDING_MAX_BYTES", default=2 * 1024**3)
RAG_RECORDING_MAX_SECONDS = env.int("RAG_RECORDING_MAX_SECONDS", default=4 * 3600)
# Where uploaded recordings wait for their transcription (shared with the Celery workers).
RAG_RECORDING_DIR = env.str("RAG_RECORDING_DIR", default=str(BASE_DIR / "var" / "recordings"))
# A recording is transcribed in pieces of about this length (cut in a pause): 300 s of 16 kHz
# mono WAV is 9.6 MB, under OpenAI's 25 MB per request (at most 25 min), and the local model's
# memory grows with the piece (about 100 MB a minute: bench/transcription_bench.py).
RAG_RECORDING_PIECE_SECONDS = env.int("RAG_RECORDING_PIECE_SECONDS", default=300)
# Celery beat: the sweep that re-queues (or fails) transcript jobs stuck past a bound.
RAG_INGEST_SWEEP_INTERVAL = env.int("RAG_INGEST_SWEEP_INTERVAL", default=60)
# Pending or processing longer than this (seconds, untouched) means the job was lost.
RAG_INGEST_STUCK_AFTER = env.int(
    "RAG_INGEST_STUCK_AFTER", default=CELERY_TASK_TIME_LIMIT + CELERY_TASK_RETRY_BACKOFF_MAX + 60
)
# An upload older than this that is still stuck is marked failed instead of re-queued.
RAG_INGEST_GIVE_UP_AFTER = env.int("RAG_INGEST_GIVE_UP_AFTER", default=3600)
