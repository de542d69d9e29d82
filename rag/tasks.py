"""Celery tasks: take ids, call one service, retry transient failures with backoff."""

from celery import shared_task
from django.db import OperationalError

from rag.providers import EmbeddingError
from rag.services import transcript_ingest


# Embedding providers and the database recover by themselves: retry with growing, jittered waits.
@shared_task(
    autoretry_for=(EmbeddingError, OperationalError),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def ingest_transcript(source_id: int) -> str:
    return transcript_ingest(source_id=source_id).status
