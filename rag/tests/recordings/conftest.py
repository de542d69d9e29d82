"""Fixtures of the recording tests: a video, the recordings directory, a speech provider.

`fake_openai` here replaces rag's embeddings-only fake: a recording needs OpenAI's audio
endpoint as well, on the same server (as the real base URL serves both).
"""

from pathlib import Path

import pytest

from courses.models import Language
from courses.tests.factories import CourseFactory, VideoFactory
from rag.providers import _build
from rag.tests.recordings.helpers import FakeOpenAI
from testing.fake_openai_audio import API_KEY
from voice.providers import _openai
from voice.whisper_model import whisper_model_prepare


@pytest.fixture
def video(instructor):
    course = CourseFactory(owner=instructor, language=Language.ENGLISH)
    return VideoFactory(course=course, duration=600)


@pytest.fixture
def recordings_dir(tmp_path, settings):
    settings.RAG_RECORDING_DIR = str(tmp_path / "recordings")
    return Path(settings.RAG_RECORDING_DIR)


@pytest.fixture
def local_whisper(settings, recordings_dir):
    """The local Whisper base model, prepared as the voice tests prepare it (var/whisper-base)."""
    settings.WHISPER_MODEL_DIR = str(whisper_model_prepare())
    settings.OPENAI_API_KEY = ""
    return settings


@pytest.fixture
def fake_openai(settings, recordings_dir):
    with FakeOpenAI() as fake:
        settings.OPENAI_API_KEY = API_KEY
        settings.OPENAI_BASE_URL = f"{fake.base_url}/v1"
        settings.WHISPER_MODEL_DIR = ""
        _build.cache_clear()
        _openai.cache_clear()
        fake.transcript.words = [
            ("Backpropagation", 0.5, 1.2),
            ("computes", 1.2, 1.6),
            ("gradients.", 1.6, 2.2),
            ("Momentum", 3.0, 3.5),
            ("helps.", 3.5, 4.0),
        ]
        fake.transcript.duration = 10.0
        yield fake
    _build.cache_clear()
    _openai.cache_clear()
