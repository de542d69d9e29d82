"""What a recording is and whether we take it: format, sound track and caps, from the header.

The upload is judged without decoding it: the first bytes name the format, PyAV reads the
container's header for a sound track and its duration, and the file's size and length are held
to RAG_RECORDING_MAX_BYTES and RAG_RECORDING_MAX_SECONDS.
"""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from learnwithavi.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from voice.audio import audio_sniff

# The extensions `manage.py ingest` treats as recordings (the content decides in the end).
RECORDING_EXTENSIONS = ("mp3", "wav", "m4a", "ogg", "opus", "oga", "webm", "mp4", "mkv", "flac")


@dataclass(frozen=True)
class RecordingInfo:
    format: str
    duration: float | None  # seconds, when the container says
    size: int


def recording_too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        _("The recording is too large (at most %(megabytes)d MB).")
        % {"megabytes": settings.RAG_RECORDING_MAX_BYTES // (1024 * 1024)},
        code="recording_too_large",
    )


def recording_too_long() -> ValidationFailed:
    return ValidationFailed(
        _("The recording is too long (at most %(minutes)d minutes).")
        % {"minutes": settings.RAG_RECORDING_MAX_SECONDS // 60},
        code="recording_too_long",
    )


def is_recording(path: Path) -> bool:
    """True when the file's first bytes announce audio or video (wav, mp3, ogg, webm/mkv, mp4)."""
    with path.open("rb") as file:
        return audio_sniff(file.read(64)) is not None


def recording_check(*, path: Path) -> RecordingInfo:
    """What the recording is, if it can be transcribed: read from its header, not decoded.

    Raises PayloadTooLarge, UnsupportedMediaType, ValidationFailed (no audio, too long).
    """
    import av

    size = path.stat().st_size
    if size > settings.RAG_RECORDING_MAX_BYTES:
        raise recording_too_large()
    with path.open("rb") as file:
        sniffed = audio_sniff(file.read(64))
    if sniffed is None:
        raise UnsupportedMediaType(
            _("This is neither a transcript nor a recording we accept."),
            code="unsupported_recording_format",
        )
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise ValidationFailed(
                    _("The recording has no sound track."), code="recording_no_audio"
                )
            stream = container.streams.audio[0]
            duration = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / av.time_base
    except av.FFmpegError as exc:
        raise ValidationFailed(
            _("The recording is damaged or cannot be read."),
            code="recording_unreadable",
            details={"reason": str(exc)},
        ) from exc
    if duration is not None and duration > settings.RAG_RECORDING_MAX_SECONDS:
        raise recording_too_long()
    return RecordingInfo(format=sniffed.name, duration=duration, size=size)
