from django.urls import URLPattern, URLResolver, path

from voice.apis import TranscribeApi, TtsApi, with_schema
from voice.streams import tts_stream

urlpatterns: list[URLPattern | URLResolver] = [
    path("tts", with_schema(tts_stream, TtsApi), name="voice-tts"),
    path("transcribe", TranscribeApi.as_view(), name="voice-transcribe"),
]
