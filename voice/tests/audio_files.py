"""Small audio files of every accepted format, encoded by PyAV (FFmpeg) for the tests."""

from pathlib import Path

import av
import numpy as np

# (container format, codec, sample rate, file suffix)
FORMATS = {
    "wav": ("wav", "pcm_s16le", 16000, ".wav"),
    "mp3": ("mp3", "libmp3lame", 44100, ".mp3"),
    "ogg": ("ogg", "libopus", 48000, ".ogg"),
    "webm": ("webm", "libopus", 48000, ".webm"),
    "m4a": ("mp4", "aac", 44100, ".m4a"),
    "flac": ("flac", "flac", 16000, ".flac"),
}


def tone(directory: Path, name: str, seconds: float = 1.0) -> Path:
    """`seconds` of a 440 Hz tone in the format `name` (a key of FORMATS)."""
    container, codec, rate, suffix = FORMATS[name]
    path = directory / f"tone-{name}{suffix}"
    t = np.arange(int(rate * seconds)) / rate
    samples = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16).reshape(1, -1)
    with av.open(str(path), "w", format=container) as output:
        stream = output.add_stream(codec, rate=rate, layout="mono")
        assert isinstance(stream, av.AudioStream)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.rate = rate
        for packet in stream.encode(frame):
            output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return path
