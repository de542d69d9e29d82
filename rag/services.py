"""Writes: transcript uploads, ingestion (parse, chunk, embed, swap), re-embedding."""

import functools
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import TranscriptStatus, Video
from learnwithavi import outages
from learnwithavi.errors import BrokerUnavailable, PayloadTooLarge, ValidationFailed
from learnwithavi.sanitizer import sanitize
from rag.chunking import Chunk, chunk_cues
from rag.embeddings import embed_passages
from rag.models import TranscriptChunk, TranscriptSource
from rag.parsers import FORMATS, detect_format, parse_transcript
from rag.providers import Embedder, EmbeddingError, get_embedder
from rag.text import index_text

logger = logging.getLogger(__name__)

# Failures that go away by themselves (an embedding provider's outage, a database restart):
# the ingest task retries them with backoff.
RETRYABLE_ERRORS: tuple[type[Exception], ...] = (EmbeddingError, OperationalError)


@dataclass(frozen=True)
class IngestResult:
    source_id: int
    status: str  # a TranscriptSource.Status value
    chunks: int
    embedded: int  # chunks whose vectors had to be computed (not reused)


def _decode(content: str | bytes) -> str:
    if isinstance(content, str):
        return content
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            _("The transcript must be UTF-8 text."), code="transcript_encoding"
        ) from None


def _video_status(video_id: Any, status: str, error: str = "") -> None:
    Video.objects.filter(pk=video_id).update(
        transcript_status=status, transcript_error=error, updated_at=timezone.now()
    )


def transcript_check(
    *, content: str | bytes, filename: str = "", format: str | None = None
) -> tuple[str, str]:
    """The transcript's text and format, if it can be ingested.

    Raises PayloadTooLarge, ValidationFailed (not UTF-8, unknown format) or
    TranscriptParseError naming the line or item that is wrong.
    """
    size = len(content.encode() if isinstance(content, str) else content)
    if size > settings.RAG_TRANSCRIPT_MAX_BYTES:
        raise PayloadTooLarge(_("The transcript file is too large."))
    text = _decode(content)
    fmt = (format or detect_format(text, filename)).lower()
    if fmt not in FORMATS:
        raise ValidationFailed(_("Unknown transcript format."), code="transcript_format")
    parse_transcript(text, format=fmt)
    return text, fmt


def transcript_upload(
    *,
    video: Video,
    content: str | bytes,
    filename: str = "",
    format: str | None = None,
    user: Any = None,
    run_inline: bool = False,
) -> TranscriptSource:
    """Validate a transcript file and start its ingest job (a Celery task, after commit).

    The file is parsed here so that a malformed one is refused at once (TranscriptParseError,
    naming the line) and nothing is stored. Uploading the transcript the video already has is a
    no-op that returns the earlier upload. Raises PayloadTooLarge, ValidationFailed,
    BrokerUnavailable (the job could not be queued; nothing is kept).
    """
    text, fmt = transcript_check(content=content, filename=filename, format=format)
    digest = hashlib.sha256(f"{fmt}\n{text}".encode()).hexdigest()
    current = (
        TranscriptSource.objects.filter(
            video=video,
            status__in=[TranscriptSource.Status.DONE, TranscriptSource.Status.UNCHANGED],
        )
        .order_by("-created_at")
        .first()
    )
    if (
        current is not None
        and current.content_hash == digest
        and video.transcript_status == TranscriptStatus.READY
    ):
        return current
    previous = (video.transcript_status, video.transcript_error, video.updated_at)
    with transaction.atomic():
        source = TranscriptSource.objects.create(
            video=video,
            format=fmt,
            filename=filename[:255],
            content=text,
            content_hash=digest,
            uploaded_by=user if getattr(user, "is_authenticated", False) else None,
        )
        _video_status(video.pk, TranscriptStatus.PENDING)
        video.transcript_status = TranscriptStatus.PENDING
        if not run_inline:
            source_id = source.pk
            transaction.on_commit(lambda: _ingest_enqueue(source_id, video.pk, previous))
    if run_inline:
        transcript_ingest(source_id=source.pk)
        source.refresh_from_db()
    return source


def _ingest_enqueue(source_id: int, video_id: Any, previous: tuple[str, str, Any]) -> None:
    """Queue the ingest job of a committed upload; with the broker down, take the upload back.

    A job that cannot be queued would leave the video pending forever, so the upload is deleted
    and the video's transcript status restored: to the caller nothing happened. Raises
    BrokerUnavailable (503) then.
    """
    from kombu.exceptions import KombuError

    fmt = TranscriptSource.objects.filter(pk=source_id).values_list("format", flat=True).first()
    try:
        transcript_job(fmt or "").delay(source_id)
    except (KombuError, OSError) as error:
        outages.record("broker_unavailable", error)
        status, message, updated_at = previous
        with transaction.atomic():
            TranscriptSource.objects.filter(pk=source_id).delete()
            Video.objects.filter(pk=video_id).update(
                transcript_status=status, transcript_error=message, updated_at=updated_at
            )
        raise BrokerUnavailable() from error


def transcript_job(fmt: str) -> Any:
    """The Celery task that processes an upload of this format: a recording is transcribed
    first (its text is empty until then), any other upload is ingested."""
    from rag.tasks import ingest_transcript, transcribe_recording

    return transcribe_recording if fmt == TranscriptSource.Format.RECORDING else ingest_transcript


def _reusable_vectors(video_id: Any, model_id: str) -> dict[str, list[float]]:
    """Vectors the video already has for this model, by chunk content hash."""
    rows = TranscriptChunk.objects.filter(
        video_id=video_id, embedding_model=model_id, embedding__isnull=False
    ).values_list("content_hash", "embedding")
    return {
        content_hash: [float(value) for value in embedding]
        for content_hash, embedding in rows
        if embedding is not None
    }


def _embed_chunks(
    chunks: Sequence[Chunk], *, video_id: Any, embedder: Embedder
) -> tuple[list[list[float]], int]:
    known = _reusable_vectors(video_id, embedder.model_id)
    missing = [chunk.text for chunk in chunks if chunk.content_hash not in known]
    computed = iter(embed_passages(missing, embedder=embedder)) if missing else iter(())
    vectors = [
        known[chunk.content_hash] if chunk.content_hash in known else next(computed)
        for chunk in chunks
    ]
    return vectors, len(missing)


def transcript_ingest(*, source_id: int, will_retry: bool = False) -> IngestResult:
    """Parse, chunk and embed an upload, then swap the video's chunks in one transaction.

    Idempotent: chunks identical to the stored ones (content hashes, same model) change
    nothing. A failure keeps the previous chunks, records the error and re-raises. The video is
    marked failed, unless the error is transient (RETRYABLE_ERRORS) and the caller `will_retry`
    (the Celery task before its last attempt): then it is pending again, with the error, so a
    retry that succeeds never shows "failed". Raises TranscriptSource.DoesNotExist.
    """
    source = TranscriptSource.objects.select_related("video").get(pk=source_id)
    if source.status in (TranscriptSource.Status.DONE, TranscriptSource.Status.UNCHANGED):
        # A job delivered again (its worker died before acknowledging it): the work is done.
        return IngestResult(source.pk, source.status, source.chunk_count, embedded=0)
    video = source.video
    TranscriptSource.objects.filter(pk=source.pk).update(
        status=TranscriptSource.Status.PROCESSING, error=""
    )
    _video_status(video.pk, TranscriptStatus.PROCESSING)
    try:
        chunks = chunk_cues(parse_transcript(source.content, format=source.format))
        embedder = get_embedder()
        stored = list(
            TranscriptChunk.objects.filter(video=video)
            .order_by("position")
            .values_list("content_hash", "embedding_model")
        )
        if stored == [(chunk.content_hash, embedder.model_id) for chunk in chunks]:
            return _finish(source, TranscriptSource.Status.UNCHANGED, len(chunks), 0)
        vectors, embedded = _embed_chunks(chunks, video_id=video.pk, embedder=embedder)
        with transaction.atomic():
            # Readers see the old chunks or the new ones, never a mix.
            Video.objects.select_for_update().filter(pk=video.pk).first()
            TranscriptChunk.objects.filter(video=video).delete()
            TranscriptChunk.objects.bulk_create(
                TranscriptChunk(
                    video=video,
                    position=chunk.position,
                    start_time=chunk.start,
                    end_time=chunk.end,
                    text=chunk.text,
                    search_text=index_text(chunk.text),
                    content_hash=chunk.content_hash,
                    embedding=vector,
                    embedding_model=embedder.model_id,
                )
                for chunk, vector in zip(chunks, vectors, strict=True)
            )
            return _finish(source, TranscriptSource.Status.DONE, len(chunks), embedded)
    except Exception as error:
        message = sanitize(str(error))[:1000] or type(error).__name__
        if will_retry and isinstance(error, RETRYABLE_ERRORS):
            logger.warning("ingest of transcript %s failed, to be retried: %s", source.pk, message)
            TranscriptSource.objects.filter(pk=source.pk).update(
                status=TranscriptSource.Status.PENDING, error=message
            )
            _video_status(video.pk, TranscriptStatus.PENDING, message)
            raise
        logger.warning("ingest of transcript %s failed: %s", source.pk, message)
        TranscriptSource.objects.filter(pk=source.pk).update(
            status=TranscriptSource.Status.FAILED, error=message, processed_at=timezone.now()
        )
        _video_status(video.pk, TranscriptStatus.FAILED, message)
        raise


def _finish(source: TranscriptSource, status: str, chunks: int, embedded: int) -> IngestResult:
    TranscriptSource.objects.filter(pk=source.pk).update(
        status=status, chunk_count=chunks, error="", processed_at=timezone.now()
    )
    _video_status(source.video_id, TranscriptStatus.READY)
    return IngestResult(source_id=source.pk, status=status, chunks=chunks, embedded=embedded)


@dataclass(frozen=True)
class SweepResult:
    requeued: list[int]  # upload ids queued again
    failed: list[int]  # upload ids given up on
    settled: list[Any]  # ids of videos stuck with no upload to run, set ready or failed


_ACTIVE = (TranscriptSource.Status.PENDING, TranscriptSource.Status.PROCESSING)
_ACTIVE_VIDEO = (TranscriptStatus.PENDING, TranscriptStatus.PROCESSING)


def transcripts_requeue_stuck() -> SweepResult:
    """Queue again the ingest jobs that were lost (a killed worker, a lost message), or fail them.

    A video whose transcript has been pending or processing, untouched, for longer than
    RAG_INGEST_STUCK_AFTER seconds (longer than a job may run or wait for its retry) has lost its
    job. Its latest upload is queued again, unless it was uploaded more than
    RAG_INGEST_GIVE_UP_AFTER seconds ago: then it and the video are marked failed. Idempotent
    and safe to run from several processes (rows are locked, skipping the locked ones).
    """
    now = timezone.now()
    stuck_before = now - timedelta(seconds=settings.RAG_INGEST_STUCK_AFTER)
    give_up_before = now - timedelta(seconds=settings.RAG_INGEST_GIVE_UP_AFTER)
    result = SweepResult([], [], [])
    stuck = Video.objects.filter(transcript_status__in=_ACTIVE_VIDEO, updated_at__lt=stuck_before)
    for video_id in list(stuck.values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            video = stuck.select_for_update(skip_locked=True).filter(pk=video_id).only("pk").first()
            if video is None:
                continue  # another sweep has it, or its job moved on meanwhile
            source = (
                TranscriptSource.objects.filter(video_id=video_id, status__in=_ACTIVE)
                .order_by("-created_at")
                .only("pk", "created_at")
                .first()
            )
            if source is None:
                has_chunks = TranscriptChunk.objects.filter(video_id=video_id).exists()
                lost = "" if has_chunks else str(_("The transcript was lost; upload it again."))
                settled = TranscriptStatus.READY if has_chunks else TranscriptStatus.FAILED
                _video_status(video_id, settled, lost)
                result.settled.append(video_id)
            elif source.created_at < give_up_before:
                message = str(_("Processing did not finish after several attempts."))
                TranscriptSource.objects.filter(video_id=video_id, status__in=_ACTIVE).update(
                    status=TranscriptSource.Status.FAILED, error=message, processed_at=now
                )
                _video_status(video_id, TranscriptStatus.FAILED, message)
                result.failed.append(source.pk)
            else:
                job = transcript_job(source.format)
                TranscriptSource.objects.filter(pk=source.pk).update(
                    status=TranscriptSource.Status.PENDING
                )
                _video_status(video_id, TranscriptStatus.PENDING)
                transaction.on_commit(functools.partial(job.delay, source.pk))
                result.requeued.append(source.pk)
    if result.requeued or result.failed or result.settled:
        logger.warning(
            "stuck transcripts: requeued uploads %s, failed uploads %s, settled videos %s",
            result.requeued,
            result.failed,
            [str(pk) for pk in result.settled],
        )
    return result


def chunks_reembed(*, batch_size: int = 64, progress: Callable[[int], object] | None = None) -> int:
    """Move every chunk to the active model's vectors, a batch per transaction (resumable).

    Returns how many chunks were re-embedded. Raises providers.EmbeddingError.
    """
    embedder = get_embedder()
    done = 0
    last_id = 0
    while True:
        batch = list(
            TranscriptChunk.objects.filter(pk__gt=last_id)
            .exclude(embedding_model=embedder.model_id, embedding__isnull=False)
            .order_by("pk")
            .only("id", "text")[:batch_size]
        )
        if not batch:
            return done
        vectors = embed_passages([chunk.text for chunk in batch], embedder=embedder)
        for chunk, vector in zip(batch, vectors, strict=True):
            chunk.embedding = vector
            chunk.embedding_model = embedder.model_id
        with transaction.atomic():
            TranscriptChunk.objects.bulk_update(batch, ["embedding", "embedding_model"])
        done += len(batch)
        last_id = batch[-1].pk
        if progress is not None:
            progress(len(batch))


def chunks_needing_reembed_count() -> int:
    """Chunks whose vector is missing or from another model than the active one."""
    from rag.providers import active_model_id

    return TranscriptChunk.objects.exclude(
        embedding_model=active_model_id(), embedding__isnull=False
    ).count()
