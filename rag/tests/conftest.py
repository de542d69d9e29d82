import pytest
from django.test import override_settings

from courses.tests.factories import CourseFactory, VideoFactory
from rag.providers import _build
from testing.fake_openai_embeddings import FakeOpenAIEmbeddings

VTT = """WEBVTT

00:00.000 --> 00:12.000
שלום לכולם, היום נדבר על ירידה בגרדיאנט.

00:12.000 --> 00:30.000
הגרדיאנט הוא וקטור הנגזרות החלקיות של פונקציית ההפסד.

00:30.000 --> 00:48.000
Regularization keeps the weights of the models small.
"""


@pytest.fixture
def course(instructor):
    return CourseFactory(owner=instructor, slug="intro-to-machine-learning")


@pytest.fixture
def demo_videos(course):
    """The demo course's three videos with their transcripts ingested (local model)."""
    from rag.demo import ingest_demo_transcripts

    videos = {
        "he01": VideoFactory(
            course=course, youtube_id="lwaDemoHe01", title="מהי למידת מכונה?", duration=540
        ),
        "he02": VideoFactory(
            course=course, youtube_id="lwaDemoHe02", title="ירידה בגרדיאנט", duration=660
        ),
        "en01": VideoFactory(
            course=course,
            youtube_id="lwaDemoEn01",
            title="Overfitting and regularization",
            duration=600,
        ),
    }
    assert ingest_demo_transcripts() == 3
    for video in videos.values():
        video.refresh_from_db()
    return videos


@pytest.fixture
def fake_openai():
    """A fake OpenAI embeddings server, and settings that make it the active provider."""
    with (
        FakeOpenAIEmbeddings() as fake,
        override_settings(
            OPENAI_API_KEY="sk-test-embeddings",
            OPENAI_BASE_URL=fake.base_url,
            RAG_EMBEDDING_TIMEOUT=0.5,
            RAG_EMBEDDING_BACKOFF=0.001,
        ),
    ):
        _build.cache_clear()
        yield fake
    _build.cache_clear()


_local_vectors: dict[tuple[str, bool], list[float]] = {}


@pytest.fixture(autouse=True, scope="session")
def _remember_local_vectors():
    """The real local model, but each text is embedded once per test process.

    The demo transcripts are ingested by many tests; the model is deterministic, so computing
    their ~100 chunk vectors again for each test would only cost time.
    """
    from rag.providers import LocalE5Embedder

    original = LocalE5Embedder._encode

    def remembered(self, texts, *, is_query):
        missing = [t for t in dict.fromkeys(texts) if (t, is_query) not in _local_vectors]
        if missing:
            for text, vector in zip(
                missing, original(self, missing, is_query=is_query), strict=True
            ):
                _local_vectors[(text, is_query)] = vector
        return [_local_vectors[(text, is_query)] for text in texts]

    setattr(LocalE5Embedder, "_encode", remembered)  # noqa: B010  mypy: method assignment
    yield
    setattr(LocalE5Embedder, "_encode", original)  # noqa: B010
