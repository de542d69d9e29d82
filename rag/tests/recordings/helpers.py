"""Recordings made for the tests (espeak-ng speaks, sox pads with silence and joins), and
OpenAI's audio and embeddings endpoints on one fake server."""

import subprocess
from pathlib import Path

from testing.fake_http import RecordedRequest, Reply
from testing.fake_openai_audio import FakeOpenAIAudio
from testing.fake_openai_embeddings import FakeOpenAIEmbeddings


def transcript_url(video, suffix=""):
    return f"/api/videos/{video.pk}/transcript{suffix}"


def run_command(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603  our own arguments


def speech(
    directory: Path, parts: list[str | float], name: str = "lecture.ogg"
) -> tuple[Path, list[float]]:
    """A recording: each string spoken by espeak-ng (English), each number seconds of silence.

    Returns the file and the second at which each spoken part starts.
    """
    pieces, starts = [], []
    elapsed = 0.0
    for index, part in enumerate(parts):
        piece = directory / f"part-{index}.wav"
        if isinstance(part, str):
            spoken = directory / f"spoken-{index}.wav"
            run_command("espeak-ng", "-v", "en-us", "-s", "150", "-w", str(spoken), part)
            run_command("sox", str(spoken), "-r", "16000", "-c", "1", str(piece))
            starts.append(elapsed)
        else:
            run_command("sox", "-n", "-r", "16000", "-c", "1", str(piece), "trim", "0", str(part))
        pieces.append(str(piece))
        length = subprocess.check_output(["soxi", "-D", str(piece)])  # noqa: S603, S607
        elapsed += float(length)
    path = directory / name
    run_command("sox", *pieces, str(path))
    return path, starts


def tone_wav(directory: Path, seconds: float, name: str = "tone.wav") -> Path:
    """`seconds` of a quiet tone (sox): audio that needs no real speech."""
    path = directory / name
    run_command(
        "sox", "-n", "-r", "16000", "-c", "1", str(path), "synth", str(seconds), "sine", "300"
    )
    return path


def upload(client, video, path: Path, **headers):
    """POST a file to the video's transcript endpoint, as a multipart upload."""
    with path.open("rb") as file:
        return client.post(transcript_url(video), {"file": file}, format="multipart", **headers)


class FakeOpenAI(FakeOpenAIAudio):
    """OpenAI's audio and embeddings endpoints on one server, as the real base URL serves both."""

    def __init__(self) -> None:
        super().__init__()
        self.embeddings = FakeOpenAIEmbeddings()  # only its handler is used

    def handle(self, request: RecordedRequest) -> Reply:
        if request.path.rstrip("/").endswith("/embeddings"):
            return self.embeddings.handle(request)
        return super().handle(request)
