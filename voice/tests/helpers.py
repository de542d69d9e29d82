"""Helpers of the voice tests."""

import subprocess
from pathlib import Path

from asgiref.sync import sync_to_async


async def read_stream(response) -> bytes:
    return b"".join([chunk async for chunk in response.streaming_content])


@sync_to_async
def usage_rows(**filters):
    from learnwithavi.models import AIUsage

    return list(AIUsage.objects.filter(**filters).order_by("created_at"))


def espeak_wav(text: str, path: Path, *, rate: int = 16000) -> Path:
    """English speech by espeak-ng, resampled by sox into a WAV with a proper header."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(raw), text], check=True)  # noqa: S603, S607  fixed commands of the test set-up
    subprocess.run(["sox", str(raw), "-r", str(rate), "-c", "1", str(path)], check=True)  # noqa: S603, S607  fixed commands of the test set-up
    raw.unlink()
    return path
