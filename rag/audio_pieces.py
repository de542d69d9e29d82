"""Decoding a recording into WAV pieces cut at pauses, frame by frame (PyAV).

The recording is never read whole: each frame is resampled to 16 kHz mono and written to the
open piece, which closes at the first quiet frame after its target length. Only one piece exists
at a time as long as the caller deletes each before asking for the next.
"""

import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from learnwithavi.errors import ValidationFailed
from rag.recording_checks import recording_too_long

SAMPLE_RATE = 16_000
# A piece is cut at the first quiet moment after its target length, at the latest this later.
_PIECE_GRACE_SECONDS = 15
# Below this RMS (of 32767), a frame is a pause: about -40 dBFS.
_QUIET_RMS = 330


@dataclass(frozen=True)
class Piece:
    path: Path
    start: float  # seconds into the recording
    seconds: float


@dataclass
class RecordingTimings:
    """Where a transcription's time went (seconds), for bench/."""

    decoding: float = 0.0
    transcribing: float = 0.0


def _quiet(samples: Any) -> bool:
    import numpy as np

    if not len(samples):
        return True
    return float(np.sqrt(np.mean(samples.astype(np.float32) ** 2))) < _QUIET_RMS


def recording_pieces(
    path: Path,
    *,
    directory: Path,
    piece_seconds: float,
    max_seconds: float,
    timings: RecordingTimings | None = None,
) -> Iterator[Piece]:
    """Decode `path` frame by frame into 16 kHz mono WAV pieces in `directory`.

    A piece closes at the first quiet frame once it holds `piece_seconds` (at the latest
    _PIECE_GRACE_SECONDS later). The caller deletes each piece when done with it. Raises
    ValidationFailed past `max_seconds` or when the stream cannot be decoded.
    """
    import av

    target = int(piece_seconds * SAMPLE_RATE)
    latest = target + _PIECE_GRACE_SECONDS * SAMPLE_RATE
    written = 0  # samples in the pieces already yielded
    count = 0
    writer: wave.Wave_write | None = None
    piece_path = directory / "piece-0.wav"
    in_piece = 0
    clock = time.perf_counter()

    def open_piece() -> wave.Wave_write:
        out = wave.open(str(piece_path), "wb")  # noqa: SIM115  closed when the piece closes
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        return out

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            frames = container.decode(stream)
            while True:
                try:
                    frame = next(frames)
                except StopIteration:
                    frame = None
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1)
                    if writer is None:
                        piece_path = directory / f"piece-{count}.wav"
                        writer = open_piece()
                    writer.writeframes(samples.tobytes())
                    in_piece += len(samples)
                    if (written + in_piece) / SAMPLE_RATE > max_seconds:
                        raise recording_too_long()
                    if in_piece >= latest or (in_piece >= target and _quiet(samples)):
                        writer.close()
                        writer = None
                        if timings is not None:
                            timings.decoding += time.perf_counter() - clock
                        yield Piece(piece_path, written / SAMPLE_RATE, in_piece / SAMPLE_RATE)
                        clock = time.perf_counter()
                        written += in_piece
                        in_piece = 0
                        count += 1
                if frame is None:
                    break
    except av.FFmpegError as exc:
        raise ValidationFailed(
            _("The recording is damaged or cannot be read."),
            code="recording_unreadable",
            details={"reason": str(exc)},
        ) from exc
    finally:
        if writer is not None:
            writer.close()
    if in_piece:
        if timings is not None:
            timings.decoding += time.perf_counter() - clock
        yield Piece(piece_path, written / SAMPLE_RATE, in_piece / SAMPLE_RATE)
