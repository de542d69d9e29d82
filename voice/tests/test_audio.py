"""Audio formats told by content, and whole-file checks."""

import subprocess
import wave

import pytest

from learnwithavi.errors import UnsupportedMediaType, ValidationFailed
from voice.audio import MP3, audio_inspect, audio_sniff
from voice.tests.audio_files import FORMATS, tone
from voice.tests.helpers import espeak_wav


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_is_recognised_and_measured(tmp_path, name):
    info = audio_inspect(tone(tmp_path, name, seconds=1.0))
    assert info.format.name == name
    assert info.duration == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"hello world",
        b"%PDF-1.7",
        b"\x89PNG\r\n\x1a\n",
        b"RIFF\x00\x00\x00\x00AVI ",
        b"\xff\x00",
    ],
)
def test_other_content_is_not_audio(head):
    assert audio_sniff(head) is None


def test_mp3_frames_without_an_id3_tag_are_recognised():
    assert audio_sniff(b"\xff\xfb\x90\x64" + bytes(60)) is MP3
    assert audio_sniff(b"\xff\xff\xff\xff" + bytes(60)) is None  # reserved values


def test_a_streamed_wav_with_placeholder_sizes_is_whole(tmp_path):
    path = tmp_path / "streamed.wav"
    with path.open("wb") as out:
        command = ["espeak-ng", "-v", "en-us", "--stdout", "Hello there"]
        subprocess.run(command, stdout=out, check=True)  # noqa: S603  a fixed test command
    assert path.read_bytes()[4:8] == b"\x24\xf0\xff\x7f"  # espeak-ng's "unknown size"
    assert audio_inspect(path).duration > 0.5


def test_a_truncated_wav_is_refused(tmp_path):
    path = espeak_wav("Testing one two three", tmp_path / "speech.wav")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(ValidationFailed) as excinfo:
        audio_inspect(path)
    assert excinfo.value.code == "audio_truncated"


def test_text_named_wav_is_unsupported(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("not audio")
    with pytest.raises(UnsupportedMediaType):
        audio_inspect(path)


def test_a_wav_with_no_samples_is_empty(tmp_path):
    path = tmp_path / "nothing.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
    with pytest.raises(ValidationFailed) as excinfo:
        audio_inspect(path)
    assert excinfo.value.code == "audio_empty"
