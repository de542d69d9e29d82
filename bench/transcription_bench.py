"""Recording ingestion benchmark: a long lecture transcribed by the local model. Prints figures.

A recording of `--minutes` of English speech is synthesised (espeak-ng, joined by sox with pauses
between sentences, as a 16 kHz mono Ogg/Vorbis file), then run through the same steps as
`rag.tasks.transcribe_recording`, without the database:

- decoding: PyAV decodes and resamples it into WAV pieces of RAG_RECORDING_PIECE_SECONDS
  (rag.audio_pieces.recording_pieces),
- transcribing: faster-whisper (whisper base, int8, CPU, WHISPER_CPU_THREADS threads) with word
  timestamps, piece by piece (voice.timed.transcribe_timed),
- embedding: the words chunked (rag.chunking) and embedded by the local e5 model.

It prints the real-time factor (compute seconds per second of audio) overall and per core (x the
threads used), the share of time in each step, and the process's peak resident memory, which
must not grow with the recording's length (it is decoded and transcribed piece by piece).

Run: .venv/bin/python bench/transcription_bench.py --minutes 60   (default 10)
"""

import argparse
import os
import resource
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

from rag.audio_pieces import RecordingTimings, recording_pieces  # noqa: E402
from rag.chunking import chunk_cues  # noqa: E402
from rag.providers import LocalE5Embedder  # noqa: E402
from rag.recordings import segment_cues  # noqa: E402
from voice.providers import FasterWhisperTranscriber, whisper_model_available  # noqa: E402
from voice.timed import transcribe_timed  # noqa: E402

SENTENCES = [
    "Welcome back to the course on machine learning.",
    "Today we look at how a neural network learns from its examples.",
    "We measure the error on every example and call it the loss.",
    "The gradient tells us in which direction the loss grows fastest.",
    "So we take a small step in the opposite direction.",
    "The size of that step is the learning rate.",
    "A learning rate that is too large makes the loss jump around.",
    "One that is too small makes training painfully slow.",
    "Momentum keeps some of the previous step and smooths the path.",
    "Regularization keeps the weights small and fights overfitting.",
    "Pause the video whenever you like and ask the tutor a question.",
    "Next time we will talk about convolutional networks.",
]


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


def synthesise(directory: Path, minutes: float) -> Path:
    """About `minutes` of speech: the sentences, each followed by a pause, repeated."""
    parts = []
    for index, sentence in enumerate(SENTENCES):
        spoken = directory / f"s{index}.wav"
        _run("espeak-ng", "-v", "en-us", "-s", "160", "-w", str(spoken), sentence)
        part = directory / f"p{index}.wav"
        _run("sox", str(spoken), "-r", "16000", "-c", "1", str(part), "pad", "0", "0.8")
        parts.append(str(part))
    block = directory / "block.wav"
    _run("sox", *parts, str(block))
    seconds = float(subprocess.check_output(["soxi", "-D", str(block)]).decode())
    repeats = max(1, round(minutes * 60 / seconds))
    path = directory / "lecture.ogg"
    _run("sox", *([str(block)] * repeats), str(path))
    return path


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    if not whisper_model_available(settings.WHISPER_MODEL_DIR):
        raise SystemExit("No local Whisper model: run manage.py prepare_whisper_model first.")
    threads = settings.WHISPER_CPU_THREADS
    with tempfile.TemporaryDirectory(prefix="lwa-bench-") as scratch:
        directory = Path(scratch)
        recording = synthesise(directory, args.minutes)
        size_mb = recording.stat().st_size / 1024 / 1024
        transcriber = FasterWhisperTranscriber(
            model_dir=Path(settings.WHISPER_MODEL_DIR), cpu_threads=threads
        )
        embedder = LocalE5Embedder(num_threads=settings.LOCAL_EMBEDDING_THREADS)
        embedder.embed_passages(["warm-up"])
        memory_before = peak_memory_mb()
        timings = RecordingTimings()
        cues = []
        audio_seconds = 0.0
        pieces = 0
        peaks: list[float] = []
        pieces_dir = directory / "pieces"
        pieces_dir.mkdir()
        for piece in recording_pieces(
            recording,
            directory=pieces_dir,
            piece_seconds=settings.RAG_RECORDING_PIECE_SECONDS,
            max_seconds=24 * 3600,
            timings=timings,
        ):
            started = time.perf_counter()
            result = transcribe_timed(transcriber, piece.path, language="en")
            timings.transcribing += time.perf_counter() - started
            cues.extend(segment_cues(list(result.segments), offset=piece.start))
            piece.path.unlink()
            audio_seconds = piece.start + piece.seconds
            pieces += 1
            peaks.append(peak_memory_mb())
        started = time.perf_counter()
        chunks = chunk_cues(cues)
        embedder.embed_passages([chunk.text for chunk in chunks])
        embedding = time.perf_counter() - started
    total = timings.decoding + timings.transcribing + embedding
    print(
        f"recording: {audio_seconds / 60:.1f} min of espeak-ng speech, Ogg/Vorbis {size_mb:.1f} "
        f"MB, {pieces} pieces of ~{settings.RAG_RECORDING_PIECE_SECONDS} s; {os.cpu_count()} "
        f"cores, whisper base int8 on {threads} threads"
    )
    print(f"  words: {len(cues)}, chunks: {len(chunks)}")
    print(f"  wall time          {total:8.1f} s")
    print(f"  real-time factor   {total / audio_seconds:8.3f}  (compute s per audio s)")
    print(
        f"  per core           {total * threads / audio_seconds:8.3f}  "
        f"(x {threads} threads: core-seconds per audio second)"
    )
    for name, seconds in (
        ("decoding", timings.decoding),
        ("transcribing", timings.transcribing),
        ("embedding", embedding),
    ):
        print(f"  {name:<13} {seconds:8.1f} s  {100 * seconds / total:5.1f} %")
    print(
        f"  peak memory (RSS)  {peak_memory_mb():8.0f} MB  "
        f"({memory_before:.0f} MB with both models loaded, before the recording)"
    )
    print("  peak RSS after each piece (MB): " + ", ".join(f"{peak:.0f}" for peak in peaks))


if __name__ == "__main__":
    main()
