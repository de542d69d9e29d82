"""Speech-to-text with segment and word timings, for transcribing recordings piece by piece.

The voice endpoint's `Transcriber.transcribe` answers one short clip in a forced language. A
lecture needs more: the segments Whisper heard (with their words), and the language detected
when the caller only has a hint. `transcribe_timed` asks the configured transcribers (the same
instances `get_transcribers` builds) for that, and answers our own dataclasses.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voice.providers import (
    FasterWhisperTranscriber,
    OpenAITranscriber,
    ProviderFailed,
    Transcriber,
    Word,
    openai_failures,
)

logger = logging.getLogger(__name__)

# verbose_json names the language in English ("hebrew"); we answer with ISO 639-1 codes.
_LANGUAGE_CODES = {"hebrew": "he", "english": "en", "arabic": "ar", "russian": "ru"}


@dataclass(frozen=True)
class TimedSegment:
    start: float
    end: float
    text: str
    words: Sequence[Word] = field(default_factory=tuple)


@dataclass(frozen=True)
class TimedTranscript:
    language: str
    duration: float
    segments: Sequence[TimedSegment]
    provider: str


def _language_code(reported: str | None, fallback: str) -> str:
    name = (reported or "").lower()
    if len(name) == 2:
        return name
    return _LANGUAGE_CODES.get(name, fallback)


def _openai_timed(
    transcriber: OpenAITranscriber, path: Path, *, language: str | None
) -> TimedTranscript:
    import openai

    with openai_failures(transcriber.name), path.open("rb") as audio:
        result = transcriber._client.audio.transcriptions.create(
            model=transcriber.model,
            file=audio,
            language=language if language else openai.omit,
            response_format="verbose_json",
            timestamp_granularities=["segment", "word"],
        )
    words = [
        Word(word=w.word.strip(), start=float(w.start), end=float(w.end))
        for w in (result.words or [])
        if w.word.strip()
    ]
    raw_segments = list(result.segments or [])
    if not raw_segments and result.text.strip():
        segments = [TimedSegment(0.0, float(result.duration), result.text.strip(), tuple(words))]
    else:
        segments = []
        for index, segment in enumerate(raw_segments):
            start, end = float(segment.start), float(segment.end)
            last = index == len(raw_segments) - 1
            # Words belong to the segment they start in (OpenAI lists them apart).
            inside = tuple(w for w in words if start <= w.start and (w.start < end or last))
            segments.append(TimedSegment(start, end, segment.text.strip(), inside))
    return TimedTranscript(
        language=_language_code(result.language, language or ""),
        duration=float(result.duration),
        segments=segments,
        provider=transcriber.name,
    )


def _faster_whisper_timed(
    transcriber: FasterWhisperTranscriber, path: Path, *, language: str | None
) -> TimedTranscript:
    try:
        with transcriber._lock:
            raw, info = transcriber._model.transcribe(
                str(path),
                language=language or None,
                word_timestamps=True,
                beam_size=5,
                # Lectures pause: without voice detection Whisper invents words in silence.
                vad_filter=True,
            )
            raw_segments: list[Any] = list(raw)  # decoding happens while iterating
    except Exception as exc:  # CTranslate2 and PyAV raise their own error classes
        raise ProviderFailed(transcriber.name, "unavailable", str(exc)) from exc
    segments = [
        TimedSegment(
            start=round(float(segment.start), 3),
            end=round(float(segment.end), 3),
            text=segment.text.strip(),
            words=tuple(
                Word(
                    word=w.word.strip(), start=round(float(w.start), 3), end=round(float(w.end), 3)
                )
                for w in (segment.words or [])
                if w.word.strip()
            ),
        )
        for segment in raw_segments
        if segment.text.strip()
    ]
    return TimedTranscript(
        language=info.language or language or "",
        duration=round(float(info.duration), 3),
        segments=segments,
        provider=transcriber.name,
    )


def transcribe_timed(
    transcriber: Transcriber, path: Path, *, language: str | None
) -> TimedTranscript:
    """Segments and word timings of the audio at `path`, in `language` (None: detected).

    Raises ProviderFailed (TypeError for a transcriber that cannot time segments).
    """
    if isinstance(transcriber, OpenAITranscriber):
        return _openai_timed(transcriber, path, language=language)
    if isinstance(transcriber, FasterWhisperTranscriber):
        return _faster_whisper_timed(transcriber, path, language=language)
    raise TypeError(f"{type(transcriber).__name__} cannot time segments")
