"""Voice benchmark: the local engines' speed on this machine. Prints its figures; never a test.

- espeak-ng: time to the first audio byte and to the whole WAV for a 300-character text.
- faster-whisper (whisper base, int8, CPU): real-time factor (seconds of compute per second
  of audio) on English speech synthesised by espeak-ng.

Run: .venv/bin/python bench/voice_bench.py  (prepares var/whisper-base on first use)
"""

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learnwithavi.settings.local")

import django

django.setup()

from django.conf import settings  # noqa: E402

from voice.audio import audio_inspect  # noqa: E402
from voice.providers import EspeakSynthesizer, FasterWhisperTranscriber, espeak_binary  # noqa: E402
from voice.whisper_model import whisper_model_prepare  # noqa: E402

TEXT = (
    "Welcome back to the course. In this lesson we look at how a neural network learns from "
    "examples: we measure its error, follow the gradient downhill, and repeat until the error "
    "stops shrinking. Pause the video whenever you like and ask the tutor a question."
)
ROUNDS = 5


async def espeak_once(synthesizer: EspeakSynthesizer) -> tuple[float, float, int]:
    started = time.perf_counter()
    first = None
    size = 0
    async for chunk in synthesizer.stream(text=TEXT, language="en", voice="en-us"):
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
    return first or 0.0, time.perf_counter() - started, size


def main() -> None:
    binary = espeak_binary()
    if binary is None:
        raise SystemExit("espeak-ng is not installed")
    synthesizer = EspeakSynthesizer(binary=binary, voices=settings.VOICE_ESPEAK_VOICES)
    runs = [asyncio.run(espeak_once(synthesizer)) for _ in range(ROUNDS)]
    print(f"espeak-ng, {len(TEXT)} characters, {ROUNDS} runs")
    print(f"  first byte   median {statistics.median(r[0] for r in runs) * 1000:7.1f} ms")
    print(f"  whole audio  median {statistics.median(r[1] for r in runs) * 1000:7.1f} ms")
    print(f"  audio size   {runs[0][2] / 1024:.0f} KiB")

    model_dir = whisper_model_prepare()
    started = time.perf_counter()
    transcriber = FasterWhisperTranscriber(model_dir=model_dir, cpu_threads=2)
    load = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as work:
        wav = Path(work) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), TEXT], check=True)
        seconds = audio_inspect(wav).duration
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            transcript = transcriber.transcribe(wav, language="en")
            timings.append(time.perf_counter() - started)
    compute = statistics.median(timings)
    print(f"faster-whisper {model_dir.name}, int8, 2 threads, {seconds:.1f} s of speech")
    print(f"  model load   {load * 1000:7.1f} ms")
    print(f"  transcribe   median {compute:.2f} s, real-time factor {compute / seconds:.2f}")
    print(f"  words        {len(transcript.words)}: {transcript.text[:80]}...")


if __name__ == "__main__":
    main()
