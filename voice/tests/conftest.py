"""Fixtures of the voice tests: fake vendors, token-authenticated async clients, audio files."""

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient
from rest_framework.authtoken.models import Token

from testing.fake_elevenlabs import API_KEY as ELEVENLABS_KEY
from testing.fake_elevenlabs import FakeElevenLabs
from testing.fake_openai_audio import API_KEY as OPENAI_KEY
from testing.fake_openai_audio import FakeOpenAIAudio


@pytest.fixture
def no_voice_vendors(settings):
    """No ElevenLabs or OpenAI key and no local Whisper model: the bare default."""
    settings.ELEVENLABS_API_KEY = ""
    settings.OPENAI_API_KEY = ""
    settings.WHISPER_MODEL_DIR = ""
    return settings


@pytest.fixture
def fake_elevenlabs(no_voice_vendors):
    with FakeElevenLabs() as fake:
        no_voice_vendors.ELEVENLABS_API_KEY = ELEVENLABS_KEY
        no_voice_vendors.ELEVENLABS_BASE_URL = fake.base_url
        yield fake


@pytest.fixture
def fake_openai(no_voice_vendors):
    with FakeOpenAIAudio() as fake:
        no_voice_vendors.OPENAI_API_KEY = OPENAI_KEY
        no_voice_vendors.OPENAI_BASE_URL = f"{fake.base_url}/v1"
        yield fake


@pytest.fixture
def token(student):
    return Token.objects.create(user=student).key


class BearerAsyncClient(AsyncClient):
    """AsyncClient that sends a bearer token with every request, as the frontend does."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def generic(self, *args, headers=None, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        return super().generic(*args, headers=headers, **kwargs)


@pytest.fixture
def auth_client(token):
    return BearerAsyncClient(token)


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections():
    """Async views and helpers query from asgiref's worker thread: close its connection, or
    the test database cannot be dropped at the end."""
    yield
    await sync_to_async(connections.close_all)()
