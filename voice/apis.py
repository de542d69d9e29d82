"""Voice API: transcription (a DRF view) and the OpenAPI description of the speech stream."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from learnwithavi.errors import ValidationFailed
from learnwithavi.openapi import ErrorExample, errors
from learnwithavi.parsers import CamelCaseJSONParser, CamelCaseMultiPartParser
from voice.services import language_validate, speech_transcribe
from voice.uploads import MULTIPART_OVERHEAD, LimitedTemporaryFileUploadHandler, upload_too_large

TOO_LARGE = ErrorExample(413, "audio_too_large", "The audio file is too large (at most 25 MB).")
NOT_AUDIO = ErrorExample(
    415,
    "unsupported_audio_format",
    "This is not an audio file we accept (wav, mp3, ogg/opus, webm, m4a, flac).",
)
NO_STT = ErrorExample(503, "stt_unavailable", "Speech recognition is not available on this server.")
USE_BROWSER = ErrorExample(
    422,
    "tts_use_browser",
    "No voice on the server speaks this language. Use the browser's speech instead.",
)
NOT_JSON = ErrorExample(415, "unsupported_media_type", "Send the request as JSON.")


@extend_schema_field({"type": "string", "enum": ["he", "en"]})
class VoiceLanguageField(serializers.CharField):
    """One of VOICE_LANGUAGES; checked by the service (code unsupported_language)."""


@extend_schema_field({"type": "string", "enum": ["he", "en", "", None], "nullable": True})
class OptionalVoiceLanguageField(VoiceLanguageField):
    """One of VOICE_LANGUAGES, or left out (empty, null) to be recognised from the text."""


class TtsTextField(serializers.CharField):
    """The text to speak. The view answers one past VOICE_TTS_MAX_CHARS with its own error
    (text_too_long), so the field's validator keeps a larger bound; the schema has the real one."""

    def openapi_schema(self) -> dict[str, Any]:
        return {"maxLength": settings.VOICE_TTS_MAX_CHARS}


class VoicePermission(BasePermission):
    """Signed-in users only, unless VOICE_REQUIRE_AUTH is false."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if settings.VOICE_REQUIRE_AUTH:
            return IsAuthenticated().has_permission(request, view)
        return AllowAny().has_permission(request, view)


class TranscriptWordSerializer(serializers.Serializer[Any]):
    word = serializers.CharField()
    start = serializers.FloatField(help_text=_("seconds from the start of the audio"))
    end = serializers.FloatField()


class TranscribeApi(APIView):
    permission_classes = [VoicePermission]
    parser_classes = [CamelCaseMultiPartParser]
    rate_limit_scope = "transcribe"

    class TranscribeInputSerializer(serializers.Serializer[Any]):
        audio = serializers.FileField(
            help_text=_("wav, mp3, ogg/opus, webm, m4a or flac; told by content, at most 25 MB")
        )
        language = VoiceLanguageField(default="he", help_text=_("he (default) or en"))

    class TranscriptSerializer(serializers.Serializer[Any]):
        text = serializers.CharField()
        words = TranscriptWordSerializer(many=True)
        duration = serializers.FloatField()
        language = serializers.CharField()
        provider = serializers.CharField()

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # Before anything reads the body (CSRF checks read request.POST): stream it to disk,
        # and refuse it as soon as it passes the limit.
        limit = settings.VOICE_STT_MAX_BYTES
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
            raise upload_too_large(limit)
        request.upload_handlers = [LimitedTemporaryFileUploadHandler(request, limit=limit)]
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        summary="Transcribe speech",
        description=(
            "Multipart upload of one audio file in the field `audio` (at most 25 MB; the "
            "format is told by the file's content). Answers the text with word timings, from "
            "OpenAI Whisper when configured, else the local faster-whisper model."
        ),
        request={"multipart/form-data": TranscribeInputSerializer},
        responses={200: TranscriptSerializer}
        | errors(
            ErrorExample(400, "audio_field_missing", "Send the audio file in the field 'audio'."),
            ErrorExample(400, "audio_truncated", "The audio file is truncated."),
            TOO_LARGE,
            NOT_AUDIO,
            NO_STT,
        ),
    )
    def post(self, request: Request) -> Response:
        if "audio" not in request.FILES and request.FILES:
            raise ValidationFailed(
                _("Send the audio file in the field 'audio'."), code="audio_field_missing"
            )
        serializer = self.TranscribeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["audio"]
        result = speech_transcribe(
            path=Path(upload.temporary_file_path()),
            language=language_validate(serializer.validated_data["language"]),
            user=request.user,
        )
        transcript = result.transcript
        return Response(
            self.TranscriptSerializer(
                {
                    "text": transcript.text,
                    "words": [
                        {"word": w.word, "start": w.start, "end": w.end} for w in transcript.words
                    ],
                    "duration": transcript.duration,
                    "language": transcript.language,
                    "provider": result.provider,
                }
            ).data
        )


_AUDIO = "Speech, streamed: MP3 from ElevenLabs or WAV from espeak-ng (see X-TTS-Provider)."


class TtsApi(APIView):
    """Schema only: the endpoint itself is the async stream in voice.streams."""

    permission_classes = [VoicePermission]
    parser_classes = [CamelCaseJSONParser]

    class TtsInputSerializer(serializers.Serializer[Any]):
        text = TtsTextField(
            max_length=100_000, help_text=_("at most VOICE_TTS_MAX_CHARS (2,000) characters")
        )
        language = OptionalVoiceLanguageField(
            required=False,
            allow_blank=True,
            allow_null=True,
            help_text=_("he or en; recognised from the text when left out"),
        )
        voice = serializers.RegexField(
            r"^[A-Za-z0-9_-]{1,64}$",
            required=False,
            allow_blank=True,
            allow_null=True,
            help_text=_("an ElevenLabs voice id; espeak-ng has one voice per language"),
        )

    @extend_schema(
        summary="Text to speech",
        description=(
            "Audio streamed as it is produced: audio/mpeg from ElevenLabs when configured, "
            "else audio/wav from espeak-ng for the languages it speaks intelligibly (English). "
            "Without either for the language (Hebrew with no ElevenLabs key) the answer is 422 "
            "with code `tts_use_browser`: the client should use the browser's speech synthesis "
            "(503 with the same code when every configured voice failed). "
            "`language` is he or en, else recognised from the text; identical requests are "
            "replayed from a cache (X-TTS-Cache: hit)."
        ),
        request=TtsInputSerializer,
        responses={
            (200, "audio/mpeg"): OpenApiResponse(OpenApiTypes.BINARY, description=_AUDIO),
            (200, "audio/wav"): OpenApiResponse(OpenApiTypes.BINARY, description=_AUDIO),
        }
        | errors(
            ErrorExample(400, "text_too_long", "The text is too long (at most 2000 characters)."),
            NOT_JSON,
            USE_BROWSER,
            ErrorExample(
                503,
                "tts_use_browser",
                "Speech could not be generated right now. Use the browser's speech instead.",
            ),
        ),
        parameters=[
            OpenApiParameter(
                name, str, OpenApiParameter.HEADER, response=[200], description=description
            )
            for name, description in (
                ("X-TTS-Provider", "Who spoke: elevenlabs or espeak-ng"),
                ("X-TTS-Cache", "hit when replayed from the cache, else miss"),
                ("Content-Language", "The language spoken: he or en"),
            )
        ],
    )
    def post(self, request: Request) -> Response:  # pragma: no cover - never routed
        raise NotImplementedError


def with_schema(view: Callable[..., Any], schema_view: type[APIView]) -> Callable[..., Any]:
    """Let drf-spectacular describe a plain (async) Django view through a DRF view's schema."""
    setattr(view, "cls", schema_view)  # noqa: B010  the attributes DRF's as_view() sets
    setattr(view, "initkwargs", {})  # noqa: B010
    return view
