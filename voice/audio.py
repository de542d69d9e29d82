"""Uploaded audio: its format told by content (magic bytes), never by the file name."""

import struct
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from learnwithavi.errors import UnsupportedMediaType, ValidationFailed

# RIFF sizes that a writer streaming to a pipe (espeak-ng, ffmpeg) puts in place of the real one.
_STREAMED_SIZES = {0, 0xFFFFFFFF, 0x7FFFFFFF, 0x7FFFF000, 0x7FFFF024, 0x7FFFF0FF}


@dataclass(frozen=True)
class AudioFormat:
    name: str
    content_type: str
    extension: str


WAV = AudioFormat("wav", "audio/wav", "wav")
MP3 = AudioFormat("mp3", "audio/mpeg", "mp3")
OGG = AudioFormat("ogg", "audio/ogg", "ogg")
WEBM = AudioFormat("webm", "audio/webm", "webm")
MP4 = AudioFormat("m4a", "audio/mp4", "m4a")
FLAC = AudioFormat("flac", "audio/flac", "flac")
ACCEPTED_FORMATS = (WAV, MP3, OGG, WEBM, MP4, FLAC)


@dataclass(frozen=True)
class AudioInfo:
    format: AudioFormat
    duration: float  # seconds
    size: int  # bytes


def _is_mp3_frame(head: bytes) -> bool:
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 0b11
    return version != 0b01 and layer != 0b00 and bitrate not in (0, 15) and rate != 0b11


def audio_sniff(head: bytes) -> AudioFormat | None:
    """The format that the first bytes of a file announce, or None if not an accepted one."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head[:3] == b"ID3" or _is_mp3_frame(head):
        return MP3
    if head[:4] == b"OggS":
        return OGG
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return WEBM
    if head[4:8] == b"ftyp":
        return MP4
    if head[:4] == b"fLaC":
        return FLAC
    return None


def _wav_truncated(path: Path, size: int) -> bool:
    """True when a WAV header promises more bytes than the file holds."""
    with path.open("rb") as file:
        header = file.read(12)
        (riff_size,) = struct.unpack("<I", header[4:8])
        if riff_size not in _STREAMED_SIZES and riff_size + 8 > size:
            return True
        seen_data = False
        while chunk := file.read(8):
            if len(chunk) < 8:
                return True
            name, length = chunk[:4], struct.unpack("<I", chunk[4:8])[0]
            if name == b"data":
                seen_data = True
                return length not in _STREAMED_SIZES and file.tell() + length > size
            file.seek(length + (length & 1), 1)
        return not seen_data


def _decoded_duration(path: Path) -> float:
    """Seconds of audio, by decoding every frame: a damaged or cut stream fails here."""
    import av  # PyAV (FFmpeg), installed with faster-whisper

    with av.open(str(path), metadata_errors="ignore") as container:
        if not container.streams.audio:
            raise ValueError("no audio stream")
        stream = container.streams.audio[0]
        samples = 0
        for frame in container.decode(stream):
            samples += frame.samples
        rate = stream.rate or stream.codec_context.sample_rate
        return samples / rate if rate else 0.0


def audio_inspect(path: Path) -> AudioInfo:
    """Check that a file is whole audio of an accepted format and measure it.

    Raises UnsupportedMediaType (not an accepted audio format) or ValidationFailed (empty,
    truncated or undecodable audio).
    """
    size = path.stat().st_size
    with path.open("rb") as file:
        head = file.read(64)
    if not head:
        raise ValidationFailed(_("The audio file is empty."), code="audio_empty")
    audio_format = audio_sniff(head)
    if audio_format is None:
        raise UnsupportedMediaType(
            _("This is not an audio file we accept (wav, mp3, ogg/opus, webm, m4a, flac)."),
            code="unsupported_audio_format",
        )
    if audio_format is WAV and _wav_truncated(path, size):
        raise ValidationFailed(_("The audio file is truncated."), code="audio_truncated")
    try:
        duration = _decoded_duration(path)
    except Exception as exc:  # PyAV raises many FFmpeg error classes for damaged input
        raise ValidationFailed(
            _("The audio file is damaged or truncated."),
            code="audio_unreadable",
            details={"reason": str(exc)},
        ) from exc
    if duration <= 0:
        raise ValidationFailed(_("The audio file holds no sound."), code="audio_empty")
    return AudioInfo(format=audio_format, duration=round(duration, 3), size=size)
