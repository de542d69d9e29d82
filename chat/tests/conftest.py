import pytest
from rest_framework.authtoken.models import Token

from courses.tests.factories import CourseFactory, VideoFactory
from testing.fake_anthropic import FakeAnthropic
from testing.fake_openai_chat import FakeOpenAIChat

ENGLISH_VTT = """WEBVTT

00:00.000 --> 00:20.000
Welcome to the lecture about overfitting and regularization.

00:20.000 --> 00:45.000
Overfitting happens when a model memorizes the noise in the training data instead of the pattern.

00:45.000 --> 01:10.000
Regularization adds a penalty on large weights, which keeps the model simple.

01:10.000 --> 01:40.000
Dropout randomly switches off neurons during training, another kind of regularization.
"""

HEBREW_VTT = """WEBVTT

00:00.000 --> 00:15.000
שלום לכולם, היום נדבר על ירידה בגרדיאנט.

00:15.000 --> 00:40.000
הגרדיאנט הוא וקטור הנגזרות החלקיות של פונקציית ההפסד.

00:40.000 --> 01:05.000
קצב הלמידה קובע כמה גדול הצעד שאנחנו עושים בכל איטרציה.
"""


@pytest.fixture(autouse=True)
def _async_clean_up(close_async_pool, close_async_test_connections):
    """Chat tests are mostly async: the pool and executor connections close after each."""


@pytest.fixture(autouse=True)
async def _close_vendor_clients():
    """The SDK clients (aiohttp sessions) belong to the test's event loop: close them with it."""
    yield
    from chat.providers.vendor import aclose_clients

    await aclose_clients()


@pytest.fixture(autouse=True)
def _quick_local_answers(settings):
    settings.CHAT_LOCAL_WORD_DELAY = 0.0
    settings.ANTHROPIC_API_KEY = ""
    settings.OPENAI_API_KEY = ""


@pytest.fixture
def course(instructor):
    return CourseFactory(owner=instructor, slug="chat-course", language="en")


def _ingest(video, content):
    from rag.services import transcript_upload

    transcript_upload(video=video, content=content, filename="t.vtt", run_inline=True)
    video.refresh_from_db()
    return video


@pytest.fixture
def video(course):
    video = VideoFactory(course=course, youtube_id="lwaTestEn01", title="Overfitting", duration=600)
    return _ingest(video, ENGLISH_VTT)


@pytest.fixture
def hebrew_video(course):
    video = VideoFactory(
        course=course, youtube_id="lwaTestHe01", title="ירידה בגרדיאנט", duration=600
    )
    return _ingest(video, HEBREW_VTT)


@pytest.fixture
def hidden_video(other_instructor):
    hidden = CourseFactory(owner=other_instructor, slug="hidden-course", is_published=False)
    return VideoFactory(course=hidden, youtube_id="lwaHidden01", title="Secret", duration=60)


@pytest.fixture
def student_token(student):
    return Token.objects.create(user=student).key


@pytest.fixture
def fake_anthropic(settings):
    with FakeAnthropic() as fake:
        settings.ANTHROPIC_API_KEY = "sk-ant-test-key-000000"
        settings.ANTHROPIC_BASE_URL = fake.base_url
        settings.ANTHROPIC_MODEL = "claude-haiku-4-5"
        settings.CHAT_LOCAL_FALLBACK = False
        yield fake


@pytest.fixture
def fake_openai_chat(settings):
    with FakeOpenAIChat() as fake:
        settings.OPENAI_API_KEY = "sk-test-openai-0000000000000000"
        settings.OPENAI_BASE_URL = fake.base_url + "/v1"
        yield fake
