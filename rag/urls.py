from django.urls import URLPattern, URLResolver, path

from rag.apis import SearchApi, VideoTranscriptApi, VideoTranscriptVttApi

urlpatterns: list[URLPattern | URLResolver] = [
    path("search", SearchApi.as_view(), name="search"),
    path(
        "videos/<uuid:video_id>/transcript",
        VideoTranscriptApi.as_view(),
        name="video-transcript",
    ),
    path(
        "videos/<uuid:video_id>/transcript.vtt",
        VideoTranscriptVttApi.as_view(),
        name="video-transcript-vtt",
    ),
]
