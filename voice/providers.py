"""Speech providers: one Protocol per direction, one small class per vendor, cached factories.

Text-to-speech: ElevenLabs (streaming HTTP, multilingual) when ELEVENLABS_API_KEY is set, and
espeak-ng for the languages it speaks intelligibly. Speech-to-text: OpenAI Whisper when
OPENAI_API_KEY is set, and faster-whisper with a local model directory when one is prepared.
Vendor SDKs are imported inside their class; callers only see the dataclasses below.
"""

import asyncio
import importlib.util
import logging
import shutil
import threading
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, Protocol

from django.conf import settings

logger = logging.getLogger(__name__)

FailureKind = Literal["auth", "busy", "unavailable", "timeout", "interrupted", "rejected"]


class ProviderFailed(Exception):
    """A vendor call that failed; `kind` says how, so callers can fail over or explain."""

    def __init__(self, provider: str, kind: FailureKind, message: str = "") -> None:
        self.provider = provider
        self.kind = kind
        super().__init__(f"{provider}: {kind}{': ' + message if message else ''}")


# --- Text-to-speech ---------------------------------------------------------------------------


class Synthesizer(Protocol):
    name: str
    model: str
    content_type: str

    def speaks(self, language: str) -> bool: ...

    def voice_for(self, language: str, requested: str | None) -> str: ...

    def stream(self, *, text: str, language: str, voice: str) -> AsyncIterator[bytes]:
        """Audio bytes as the vendor produces them. Raises ProviderFailed."""
        ...


# Models that accept `language_code`; ElevenLabs rejects it for the others.
_ELEVENLABS_LANGUAGE_MODELS = ("eleven_turbo_v2_5", "eleven_flash_v2_5")


class ElevenLabsSynthesizer:
    """ElevenLabs' streaming text-to-speech endpoint; mp3 comes back chunk by chunk."""

    name = "elevenlabs"
    content_type = "audio/mpeg"
    output_format = "mp3_44100_128"

    def __init__(
        self, *, api_key: str, base_url: str, model: str, voice_id: str, timeout: float
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.voice_id = voice_id
        self.timeout = timeout

    def speaks(self, language: str) -> bool:
        return True  # the multilingual models speak Hebrew and English

    def voice_for(self, language: str, requested: str | None) -> str:
        return requested or self.voice_id

    async def stream(self, *, text: str, language: str, voice: str) -> AsyncIterator[bytes]:
        import httpx

        body: dict[str, Any] = {"text": text, "model_id": self.model}
        if self.model in _ELEVENLABS_LANGUAGE_MODELS:
            body["language_code"] = language
        url = f"{self.base_url}/v1/text-to-speech/{voice}/stream"
        headers = {"xi-api-key": self.api_key, "Accept": "audio/mpeg"}
        timeout = httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0))
        async with httpx.AsyncClient(timeout=timeout) as client:
            try:
                async with client.stream(
                    "POST",
                    url,
                    params={"output_format": self.output_format},
                    json=body,
                    headers=headers,
                ) as response:
                    if response.status_code >= 400:
                        await response.aread()
                        raise self._failure(response.status_code, response.text)
                    async for chunk in response.aiter_bytes():
                        if chunk:
                            yield chunk
            except httpx.TimeoutException as exc:
                raise ProviderFailed(self.name, "timeout", type(exc).__name__) from exc
            except httpx.RemoteProtocolError as exc:
                raise ProviderFailed(self.name, "interrupted", str(exc)) from exc
            except httpx.HTTPError as exc:
                raise ProviderFailed(self.name, "unavailable", type(exc).__name__) from exc

    def _failure(self, status: int, text: str) -> ProviderFailed:
        kind: FailureKind
        if status in (401, 403):
            kind = "auth"
        elif status == 429:
            kind = "busy"
        elif status >= 500:
            kind = "unavailable"
        else:
            kind = "rejected"
        return ProviderFailed(self.name, kind, f"HTTP {status} {text[:200]}")


class EspeakSynthesizer:
    """espeak-ng (Debian package) as a child process: WAV on its standard output."""

    name = "espeak-ng"
    model = "espeak-ng"
    content_type = "audio/wav"

    def __init__(self, *, binary: str, voices: Mapping[str, str]) -> None:
        self.binary = binary
        self.voices = dict(voices)

    def speaks(self, language: str) -> bool:
        return language in self.voices

    def voice_for(self, language: str, requested: str | None) -> str:
        return self.voices[language]  # espeak-ng's voices are chosen per language, not by callers

    async def stream(self, *, text: str, language: str, voice: str) -> AsyncIterator[bytes]:
        # The text goes in on stdin, so nothing in it can be read as an option.
        process = await asyncio.create_subprocess_exec(
            self.binary,
            "-v",
            voice,
            "-b",
            "1",
            "--stdout",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        if process.stdin is None or process.stdout is None:  # never: both are PIPE above
            raise ProviderFailed(self.name, "unavailable", "no pipes")
        try:
            process.stdin.write(text.encode())
            await process.stdin.drain()
            process.stdin.close()
            while chunk := await process.stdout.read(32 * 1024):
                yield chunk
            if await process.wait() != 0:
                raise ProviderFailed(self.name, "unavailable", f"exit {process.returncode}")
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


def espeak_binary() -> str | None:
    return shutil.which("espeak-ng")


@cache
def _elevenlabs(
    api_key: str, base_url: str, model: str, voice_id: str, timeout: float
) -> ElevenLabsSynthesizer:
    return ElevenLabsSynthesizer(
        api_key=api_key, base_url=base_url, model=model, voice_id=voice_id, timeout=timeout
    )


def get_synthesizers(language: str) -> list[Synthesizer]:
    """The synthesizers that speak `language`, best first, from the current settings."""
    candidates: list[Synthesizer] = []
    if settings.ELEVENLABS_API_KEY:
        candidates.append(
            _elevenlabs(
                settings.ELEVENLABS_API_KEY,
                settings.ELEVENLABS_BASE_URL,
                settings.ELEVENLABS_MODEL,
                settings.ELEVENLABS_VOICE_ID,
                float(settings.VOICE_TTS_TIMEOUT),
            )
        )
    binary = espeak_binary()
    if binary:
        local = EspeakSynthesizer(binary=binary, voices=settings.VOICE_ESPEAK_VOICES)
        if local.speaks(language):
            candidates.append(local)
    return [synthesizer for synthesizer in candidates if synthesizer.speaks(language)]


# --- Speech-to-text ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    duration: float
    words: Sequence[Word] = field(default_factory=tuple)


class Transcriber(Protocol):
    name: str
    model: str

    def transcribe(self, path: Path, *, language: str) -> Transcript:
        """Text with word timings of the audio file at `path`. Raises ProviderFailed."""
        ...


# verbose_json names the language in English ("hebrew"); we answer with ISO 639-1 codes.
_LANGUAGE_NAMES = {"hebrew": "he", "english": "en"}


@contextmanager
def openai_failures(provider: str) -> Iterator[None]:
    """Turns the OpenAI SDK's errors raised inside into ProviderFailed of the matching kind."""
    import openai

    try:
        yield
    except openai.AuthenticationError as exc:
        raise ProviderFailed(provider, "auth", str(exc)) from exc
    except openai.RateLimitError as exc:
        raise ProviderFailed(provider, "busy", str(exc)) from exc
    except openai.APITimeoutError as exc:
        raise ProviderFailed(provider, "timeout", str(exc)) from exc
    except openai.BadRequestError as exc:
        raise ProviderFailed(provider, "rejected", str(exc)) from exc
    except openai.APIError as exc:
        raise ProviderFailed(provider, "unavailable", str(exc)) from exc


class OpenAITranscriber:
    """OpenAI's transcription endpoint (whisper-1) with word timestamps."""

    name = "openai"

    def __init__(self, *, api_key: str, base_url: str | None, model: str, timeout: float) -> None:
        import openai

        self.model = model
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=2
        )

    def transcribe(self, path: Path, *, language: str) -> Transcript:
        with openai_failures(self.name), path.open("rb") as audio:
            result = self._client.audio.transcriptions.create(
                model=self.model,
                file=audio,
                language=language,
                response_format="verbose_json",
                timestamp_granularities=["word"],
            )
        words = tuple(
            Word(word=w.word.strip(), start=float(w.start), end=float(w.end))
            for w in (result.words or [])
        )
        reported = (result.language or language).lower()
        return Transcript(
            text=result.text.strip(),
            language=_LANGUAGE_NAMES.get(reported, reported if len(reported) == 2 else language),
            duration=float(result.duration),
            words=words,
        )


class FasterWhisperTranscriber:
    """A local Whisper model in CTranslate2 format (faster-whisper), on the CPU, int8."""

    name = "faster-whisper"

    def __init__(self, *, model_dir: Path, cpu_threads: int) -> None:
        from faster_whisper import WhisperModel  # type: ignore[import-untyped]  # no hints

        # It logs every file it decodes at INFO: a line per request is noise.
        logging.getLogger("faster_whisper").setLevel(logging.WARNING)
        self.model = model_dir.name
        self._model = WhisperModel(
            str(model_dir),
            device="cpu",
            compute_type="int8",
            cpu_threads=cpu_threads,
            local_files_only=True,
        )
        # One transcription at a time per process: two would only fight over the same cores.
        self._lock = threading.Lock()

    def transcribe(self, path: Path, *, language: str) -> Transcript:
        try:
            with self._lock:
                segments, info = self._model.transcribe(
                    str(path), language=language, word_timestamps=True, beam_size=5
                )
                segment_list = list(segments)  # decoding happens while iterating
        except Exception as exc:  # CTranslate2 and PyAV raise their own error classes
            raise ProviderFailed(self.name, "unavailable", str(exc)) from exc
        words = tuple(
            Word(word=w.word.strip(), start=round(float(w.start), 3), end=round(float(w.end), 3))
            for segment in segment_list
            for w in (segment.words or [])
        )
        return Transcript(
            text=" ".join(segment.text.strip() for segment in segment_list).strip(),
            language=info.language or language,
            duration=round(float(info.duration), 3),
            words=words,
        )


def whisper_model_available(model_dir: str) -> bool:
    if not model_dir or not (Path(model_dir) / "model.bin").is_file():
        return False
    return importlib.util.find_spec("faster_whisper") is not None


@cache
def _openai(api_key: str, base_url: str | None, model: str, timeout: float) -> OpenAITranscriber:
    return OpenAITranscriber(api_key=api_key, base_url=base_url, model=model, timeout=timeout)


@cache
def _faster_whisper(model_dir: str, cpu_threads: int) -> FasterWhisperTranscriber:
    return FasterWhisperTranscriber(model_dir=Path(model_dir), cpu_threads=cpu_threads)


def get_transcribers() -> list[Transcriber]:
    """The transcribers configured now, best first: OpenAI, then the local model."""
    candidates: list[Transcriber] = []
    if settings.OPENAI_API_KEY:
        candidates.append(
            _openai(
                settings.OPENAI_API_KEY,
                settings.OPENAI_BASE_URL,
                settings.OPENAI_TRANSCRIPTION_MODEL,
                float(settings.VOICE_STT_TIMEOUT),
            )
        )
    if whisper_model_available(settings.WHISPER_MODEL_DIR):
        try:
            candidates.append(
                _faster_whisper(settings.WHISPER_MODEL_DIR, settings.WHISPER_CPU_THREADS)
            )
        except Exception:
            logger.exception("The local Whisper model could not be loaded")
    return candidates
