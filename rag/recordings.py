"""Lectures that are only a recording: accept the file, decode it in pieces, transcribe, ingest.

A recording is streamed to disk on upload and never read whole: PyAV decodes it frame by frame
into 16 kHz mono WAV pieces of about RAG_RECORDING_PIECE_SECONDS (cut in a pause), each piece is
transcribed and deleted before the next is decoded. The timed words become the source's WebVTT
text, which the ordinary ingest (`transcript_ingest`) chunks and embeds. The header check and
caps live in `rag.recording_checks`, the decoding into pieces in `rag.audio_pieces`.
"""

import hashlib
import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import TranscriptStatus, Video
from learnwithavi.errors import ServiceUnavailable, ValidationFailed
from learnwithavi.sanitizer import sanitize
from rag.audio_pieces import Piece, RecordingTimings, recording_pieces
from rag.captions import cues_to_vtt
from rag.models import TranscriptSource
from rag.parsers import Cue
from rag.recording_checks import recording_check
from rag.services import IngestResult, transcript_ingest
from voice.providers import ProviderFailed, Transcriber, get_transcribers
from voice.timed import TimedSegment, transcribe_timed

logger = logging.getLogger(__name__)

# Share of the progress bar that transcription takes; chunking and embedding take the rest.
_TRANSCRIPTION_SHARE = 90


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def recording_upload(
    *,
    video: Video,
    path: Path,
    filename: str = "",
    user: Any = None,
    run_inline: bool = False,
) -> TranscriptSource:
    """Accept a recording for a video and start its transcription (a Celery task, after commit).

    The file is checked from its header (format, sound track, duration cap) and copied to
    RAG_RECORDING_DIR by streaming. The recording the video's transcript already came from
    (same content hash), or one already waiting, is a no-op that returns the earlier upload.
    Raises PayloadTooLarge, UnsupportedMediaType, ValidationFailed.
    """
    info = recording_check(path=path)
    digest = _file_digest(path)
    earlier = (
        TranscriptSource.objects.filter(video=video, content_hash=digest)
        .order_by("-created_at")
        .first()
    )
    if earlier is not None and (
        earlier.status in (TranscriptSource.Status.PENDING, TranscriptSource.Status.PROCESSING)
        or (
            earlier.status in (TranscriptSource.Status.DONE, TranscriptSource.Status.UNCHANGED)
            and video.transcript_status == TranscriptStatus.READY
            and _is_current(earlier)
        )
    ):
        return earlier
    directory = Path(settings.RAG_RECORDING_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    stored = directory / f"{digest}.{info.format}"
    if not stored.exists():
        partial = stored.with_suffix(".part")
        shutil.copyfile(path, partial)  # streams in blocks
        partial.replace(stored)
    previous = (video.transcript_status, video.transcript_error, video.updated_at)
    with transaction.atomic():
        source = TranscriptSource.objects.create(
            video=video,
            format=TranscriptSource.Format.RECORDING,
            filename=filename[:255],
            content="",
            content_hash=digest,
            recording_path=str(stored),
            recording_seconds=info.duration,
            uploaded_by=user if getattr(user, "is_authenticated", False) else None,
        )
        Video.objects.filter(pk=video.pk).update(
            transcript_status=TranscriptStatus.PENDING,
            transcript_error="",
            transcript_progress=0,
            updated_at=timezone.now(),
        )
        video.transcript_status = TranscriptStatus.PENDING
        if not run_inline:
            from rag.services import _ingest_enqueue

            source_id = source.pk
            # With the broker down, the upload is taken back and a 503 raised (as for text).
            transaction.on_commit(lambda: _ingest_enqueue(source_id, video.pk, previous))
    if run_inline:
        recording_transcribe(source_id=source.pk)
        source.refresh_from_db()
    return source


def _is_current(source: TranscriptSource) -> bool:
    """True when `source` is the upload the video's chunks came from."""
    latest = (
        TranscriptSource.objects.filter(
            video_id=source.video_id,
            status__in=[TranscriptSource.Status.DONE, TranscriptSource.Status.UNCHANGED],
        )
        .order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )
    return latest == source.pk


def segment_cues(segments: list[TimedSegment], *, offset: float) -> list[Cue]:
    """One cue per word, lasting until the next word of its segment starts; a segment without
    word timings is one cue."""
    cues: list[Cue] = []
    for segment in segments:
        start, end = offset + segment.start, offset + max(segment.end, segment.start)
        words = [w for w in segment.words if w.word]
        if not words:
            if segment.text:
                cues.append(Cue(round(start, 3), round(end, 3), segment.text))
            continue
        for index, word in enumerate(words):
            word_start = round(offset + word.start, 3)
            if index + 1 < len(words):
                word_end = round(offset + words[index + 1].start, 3)
            else:
                word_end = round(max(offset + word.end, end), 3)
            if cues and word_start < cues[-1].end:
                word_start = cues[-1].end  # Whisper's word times may overlap by a few ms
            cues.append(Cue(word_start, max(word_start, word_end), word.word))
    return cues


def _transcribe_piece(
    transcribers: list[Transcriber], piece: Piece, *, language: str | None
) -> tuple[list[TimedSegment], str, str]:
    """The piece's segments, language and provider, from the first transcriber that answers."""
    failure: ProviderFailed | None = None
    for transcriber in transcribers:
        try:
            result = transcribe_timed(transcriber, piece.path, language=language)
        except ProviderFailed as error:
            logger.warning("transcription by %s failed: %s", transcriber.name, error)
            failure = error
            continue
        return list(result.segments), result.language, result.provider
    assert failure is not None  # noqa: S101  transcribers is never empty here
    raise failure


def recording_transcribe(
    *,
    source_id: int,
    will_retry: bool = False,
    timings: RecordingTimings | None = None,
) -> IngestResult:
    """Transcribe a recording piece by piece, then ingest its timed words like a transcript.

    The course's language is the hint; the language detected in the first piece wins when it is
    one we support. The video's `transcript_progress` follows the pieces. A failure keeps the
    previous chunks, records the error and re-raises. Raises TranscriptSource.DoesNotExist.
    """
    source = TranscriptSource.objects.select_related("video__course").get(pk=source_id)
    video = source.video
    if source.content:  # transcribed on an earlier attempt; only the ingest failed
        return _ingest(source, will_retry=will_retry)
    TranscriptSource.objects.filter(pk=source.pk).update(
        status=TranscriptSource.Status.PROCESSING, error=""
    )
    _progress(video.pk, 0, status=TranscriptStatus.PROCESSING)
    try:
        transcribers = get_transcribers()
        if not transcribers:
            raise ServiceUnavailable(
                _("Speech recognition is not available on this server."),
                code="stt_unavailable",
            )
        path = Path(source.recording_path)
        hint = video.course.language
        language: str | None = None  # the first piece detects it
        total = source.recording_seconds
        cues: list[Cue] = []
        provider = ""
        with tempfile.TemporaryDirectory(prefix="lwa-recording-") as scratch:
            for piece in recording_pieces(
                path,
                directory=Path(scratch),
                piece_seconds=settings.RAG_RECORDING_PIECE_SECONDS,
                max_seconds=settings.RAG_RECORDING_MAX_SECONDS,
                timings=timings,
            ):
                clock = time.perf_counter()
                segments, heard, provider = _transcribe_piece(
                    transcribers, piece, language=language
                )
                if language is None:
                    if heard not in settings.VOICE_LANGUAGES:
                        segments, heard, provider = _transcribe_piece(
                            transcribers, piece, language=hint
                        )
                    language = heard if heard in settings.VOICE_LANGUAGES else hint
                if timings is not None:
                    timings.transcribing += time.perf_counter() - clock
                cues.extend(segment_cues(segments, offset=piece.start))
                piece.path.unlink(missing_ok=True)
                done = piece.start + piece.seconds
                if total:
                    share = min(1.0, done / total)
                    _progress(video.pk, int(_TRANSCRIPTION_SHARE * share))
        if not cues:
            raise ValidationFailed(
                _("No speech was recognised in the recording."), code="recording_silent"
            )
    except Exception as error:
        message = sanitize(str(error))[:1000] or type(error).__name__
        logger.warning("transcription of recording %s failed: %s", source.pk, message)
        TranscriptSource.objects.filter(pk=source.pk).update(
            status=TranscriptSource.Status.FAILED, error=message, processed_at=timezone.now()
        )
        Video.objects.filter(pk=video.pk).update(
            transcript_status=TranscriptStatus.FAILED,
            transcript_error=message,
            updated_at=timezone.now(),
        )
        _discard_recording(source)
        raise
    TranscriptSource.objects.filter(pk=source.pk).update(
        content=cues_to_vtt(cues), language=language or hint, transcribed_by=provider
    )
    _progress(video.pk, _TRANSCRIPTION_SHARE)
    source.refresh_from_db()
    return _ingest(source, will_retry=will_retry)


def _ingest(source: TranscriptSource, *, will_retry: bool) -> IngestResult:
    try:
        result = transcript_ingest(source_id=source.pk, will_retry=will_retry)
    except Exception:
        if not will_retry:
            _discard_recording(source)
        raise
    _progress(source.video_id, 100)
    _discard_recording(source)
    return result


def _progress(video_id: Any, percent: int, *, status: str | None = None) -> None:
    fields: dict[str, Any] = {"transcript_progress": percent, "updated_at": timezone.now()}
    if status is not None:
        fields.update(transcript_status=status, transcript_error="")
    Video.objects.filter(pk=video_id).update(**fields)


def _discard_recording(source: TranscriptSource) -> None:
    """The recording is not needed once transcribed (its hash stays on the source)."""
    if not source.recording_path:
        return
    others = (
        TranscriptSource.objects.filter(
            recording_path=source.recording_path,
            status__in=[TranscriptSource.Status.PENDING, TranscriptSource.Status.PROCESSING],
        )
        .exclude(pk=source.pk)
        .exists()
    )
    if not others:
        Path(source.recording_path).unlink(missing_ok=True)
    TranscriptSource.objects.filter(pk=source.pk).update(recording_path="")
