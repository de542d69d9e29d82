"""Voice services: speech from text (streamed, cached) and text from speech."""

import hashlib
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from learnwithavi import outages
from learnwithavi.errors import ApplicationError, ServiceUnavailable, ValidationFailed
from learnwithavi.usage import ausage_record, usage_record
from voice.audio import audio_inspect
from voice.providers import (
    ProviderFailed,
    Synthesizer,
    Transcript,
    get_synthesizers,
    get_transcribers,
)

logger = logging.getLogger(__name__)

_HEBREW = re.compile(r"[\u0590-\u05FF\uFB1D-\uFB4F]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_ANY_LETTER = re.compile(r"[^\W\d_]")
_CACHE_PREFIX = "voice:tts:v1:"


def language_validate(language: str) -> str:
    """`language` if we serve it. Raises ValidationFailed (code unsupported_language)."""
    supported = tuple(settings.VOICE_LANGUAGES)
    if language not in supported:
        raise ValidationFailed(
            _("This language is not supported. Use one of: %(languages)s.")
            % {"languages": ", ".join(supported)},
            code="unsupported_language",
        )
    return language


def language_resolve(*, text: str, language: str | None) -> str:
    """The language to speak `text` in: the one asked for, else the one its letters show.

    Raises ValidationFailed (code unsupported_language) for a language we do not serve.
    """
    supported = tuple(settings.VOICE_LANGUAGES)
    if language:
        return language_validate(language)
    if _HEBREW.search(text):
        return "he"
    if _LATIN.search(text):
        return "en"
    if _ANY_LETTER.search(text):
        raise ValidationFailed(
            _("The language of this text could not be recognised or is not supported."),
            code="unsupported_language",
        )
    active = (get_language() or "")[:2]  # digits and signs only: speak them in the UI language
    return active if active in supported else supported[0]


@dataclass
class SpeechAudio:
    provider: str
    content_type: str
    language: str
    cached: bool
    chunks: AsyncIterator[bytes]


def _cache_key(synthesizer: Synthesizer, *, voice: str, language: str, text: str) -> str:
    identity = "\x1f".join((synthesizer.name, synthesizer.model, voice, language, text))
    return _CACHE_PREFIX + hashlib.sha256(identity.encode()).hexdigest()


async def _replay(audio: bytes, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(audio), chunk_size):
        yield audio[start : start + chunk_size]


async def _relay(
    first: bytes,
    upstream: AsyncIterator[bytes],
    *,
    synthesizer: Synthesizer,
    cache_key: str,
    text: str,
    user: Any,
    started: float,
) -> AsyncIterator[bytes]:
    """Pass the vendor's audio on as it comes; cache it whole, record its usage at the end.

    The usage row is a failure only when the vendor's stream broke (AIUsage.success): a client
    that leaves mid-speech closes this generator, which is no failure of the vendor's.
    """
    parts, size, complete, vendor_failed = [first], len(first), False, False
    limit = settings.VOICE_TTS_CACHE_MAX_BYTES
    try:
        yield first
        async for chunk in upstream:
            size += len(chunk)
            if size <= limit:
                parts.append(chunk)
            yield chunk
        complete = True
    except ProviderFailed as exc:
        vendor_failed = True
        # The status line is sent: all we can do now is end the audio early.
        logger.warning("Speech stream from %s ended early: %s", synthesizer.name, exc)
    except Exception:
        vendor_failed = True  # the stream broke in a way the provider did not name
        raise
    finally:
        await upstream.aclose()  # type: ignore[attr-defined]  # an async generator
        try:
            if complete and size <= limit:
                await _cache_set(cache_key, b"".join(parts))
            await ausage_record(
                provider=synthesizer.name,
                model=synthesizer.model,
                endpoint="voice.tts",
                user=user,
                characters=len(text),
                latency_ms=round((time.perf_counter() - started) * 1000),
                success=not vendor_failed,
            )
        except Exception:
            logger.exception("Could not cache or record the speech of %s", synthesizer.name)


async def _cache_get(key: str) -> Any:
    """The cached audio, or None; a cache outage is a miss (learnwithavi.outages)."""
    try:
        return await cache.aget(key)
    except outages.CACHE_ERRORS as error:
        outages.record("cache_bypassed", error)
        return None


async def _cache_set(key: str, audio: bytes) -> None:
    try:
        await cache.aset(key, audio, settings.VOICE_TTS_CACHE_TTL)
    except outages.CACHE_ERRORS as error:
        outages.record("cache_bypassed", error)


async def speech_synthesize(
    *, text: str, language: str, voice: str | None, user: Any
) -> SpeechAudio:
    """Open a stream of speech for `text`: from the cache, else the best synthesizer that works.

    A synthesizer that fails before its first byte hands over to the next one. Raises
    ApplicationError 422 (code tts_use_browser) when no synthesizer speaks the language
    intelligibly, a fixed property of the request that no retry changes (the client should use
    the browser's own voice); ServiceUnavailable 503 (same code) when every one failed.
    """
    synthesizers = get_synthesizers(language)
    if not synthesizers:
        raise ApplicationError(
            _("No voice on the server speaks this language. Use the browser's speech instead."),
            code="tts_use_browser",
            status_code=422,
        )
    for synthesizer in synthesizers:
        chosen_voice = synthesizer.voice_for(language, voice)
        key = _cache_key(synthesizer, voice=chosen_voice, language=language, text=text)
        cached = await _cache_get(key)
        if cached is not None:
            return SpeechAudio(
                synthesizer.name, synthesizer.content_type, language, True, _replay(cached)
            )
        started = time.perf_counter()
        upstream = synthesizer.stream(text=text, language=language, voice=chosen_voice)
        try:
            first = await anext(upstream)
        except (ProviderFailed, StopAsyncIteration) as exc:
            await upstream.aclose()  # type: ignore[attr-defined]  # an async generator
            logger.warning("Speech from %s failed before its first byte: %r", synthesizer.name, exc)
            continue
        chunks = _relay(
            first,
            upstream,
            synthesizer=synthesizer,
            cache_key=key,
            text=text,
            user=user,
            started=started,
        )
        return SpeechAudio(synthesizer.name, synthesizer.content_type, language, False, chunks)
    raise ServiceUnavailable(
        _("Speech could not be generated right now. Use the browser's speech instead."),
        code="tts_use_browser",
    )


@dataclass(frozen=True)
class TranscriptionResult:
    transcript: Transcript
    provider: str


def speech_transcribe(*, path: Path, language: str, user: Any) -> TranscriptionResult:
    """Text with word timings of an uploaded audio file, from the best transcriber that works.

    Raises UnsupportedMediaType or ValidationFailed for a file that is not whole audio of an
    accepted format, ServiceUnavailable (code stt_unavailable) with no transcriber configured
    or when every one failed.
    """
    info = audio_inspect(path)
    transcribers = get_transcribers()
    if not transcribers:
        raise ServiceUnavailable(
            _("Speech recognition is not available on this server."), code="stt_unavailable"
        )
    for transcriber in transcribers:
        started = time.perf_counter()
        try:
            transcript = transcriber.transcribe(path, language=language)
        except ProviderFailed as exc:
            logger.warning("Transcription by %s failed: %s", transcriber.name, exc)
            continue
        usage_record(
            provider=transcriber.name,
            model=transcriber.model,
            endpoint="voice.transcribe",
            user=user,
            audio_seconds=transcript.duration or info.duration,
            latency_ms=round((time.perf_counter() - started) * 1000),
        )
        return TranscriptionResult(transcript=transcript, provider=transcriber.name)
    raise ServiceUnavailable(
        _("Speech recognition failed. Please try again later."), code="stt_unavailable"
    )
