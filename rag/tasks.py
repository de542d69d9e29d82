"""Celery tasks: take ids, call one service, retry transient failures with backoff."""

from typing import Any

from celery import shared_task
from django.conf import settings

from rag.services import RETRYABLE_ERRORS, transcript_ingest, transcripts_requeue_stuck


# Embedding providers and the database recover by themselves: retry with growing, jittered waits.
# The longest wait (CELERY_TASK_RETRY_BACKOFF_MAX) must stay below the broker's visibility
# timeout, or a message waiting for its retry would be delivered twice (settings say more).
@shared_task(
    bind=True,
    autoretry_for=RETRYABLE_ERRORS,
    retry_backoff=5,
    retry_backoff_max=settings.CELERY_TASK_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def ingest_transcript(self: Any, source_id: int) -> str:
    # Before the last attempt, a transient failure leaves the video pending, not failed.
    will_retry = self.request.retries < self.max_retries
    return transcript_ingest(source_id=source_id, will_retry=will_retry).status


# A recording's transcription is long and costly: only the ingest after it (embeddings, the
# database) is retried, and a retry reuses the transcript already made (rag.recordings).
@shared_task(
    bind=True,
    autoretry_for=RETRYABLE_ERRORS,
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def transcribe_recording(self: Any, source_id: int) -> str:
    from rag.recordings import recording_transcribe

    will_retry = self.request.retries < self.max_retries
    return recording_transcribe(source_id=source_id, will_retry=will_retry).status


# Run by Celery beat (CELERY_BEAT_SCHEDULE): jobs lost with a killed worker or broker come back.
@shared_task
def requeue_stuck_transcripts() -> dict[str, int]:
    result = transcripts_requeue_stuck()
    return {
        "requeued": len(result.requeued),
        "failed": len(result.failed),
        "settled": len(result.settled),
    }
