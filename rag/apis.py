"""The rag REST API: hybrid search, and a video's transcript (read, upload). Views stay thin."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsSignedInForWrites, is_platform_admin
from courses.permissions import can_manage_course
from courses.selectors import course_visible_to, video_visible_to, videos_visible_to
from learnwithavi.casing import underscoreize_multi
from learnwithavi.errors import (
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ValidationFailed,
)
from learnwithavi.openapi import ErrorExample, errors
from learnwithavi.parsers import CamelCaseFormParser, CamelCaseJSONParser, CamelCaseMultiPartParser
from learnwithavi.renderers import CamelCaseJSONRenderer
from rag.models import TranscriptSource
from rag.parsers import FORMATS
from rag.recording_checks import recording_too_large
from rag.recordings import recording_upload
from rag.search_sql import MAX_K
from rag.selectors import hybrid_search, transcript_chunks, transcript_vtt
from rag.services import transcript_upload
from rag.types import SearchHit
from voice.audio import audio_sniff
from voice.uploads import MULTIPART_OVERHEAD, LimitedTemporaryFileUploadHandler

# --- Serializers (snake_case here, camelCase on the wire: learnwithavi.casing) -----------------


class SearchInputSerializer(serializers.Serializer[dict[str, Any]]):
    q = serializers.CharField(max_length=500, trim_whitespace=True)
    video = serializers.UUIDField(required=False)
    course = serializers.UUIDField(required=False)
    k = serializers.IntegerField(min_value=1, max_value=MAX_K, default=8)
    position = serializers.FloatField(min_value=0, max_value=7 * 24 * 3600, required=False)


class SearchHitSerializer(serializers.Serializer[SearchHit]):
    chunk_id = serializers.IntegerField()
    video_id = serializers.UUIDField()
    youtube_id = serializers.CharField()
    video_title = serializers.CharField()
    start_time = serializers.FloatField()
    end_time = serializers.FloatField()
    url = serializers.CharField()
    text = serializers.CharField()
    score = serializers.FloatField()


class SearchOutputSerializer(serializers.Serializer[Any]):
    query = serializers.CharField()
    mode = serializers.ChoiceField(choices=["hybrid", "vector", "keyword"])
    hits = SearchHitSerializer(many=True)


class ChunkOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    text = serializers.CharField()
    start_time = serializers.FloatField()
    end_time = serializers.FloatField()


class TranscriptOutputSerializer(serializers.Serializer[Any]):
    video_id = serializers.UUIDField()
    youtube_id = serializers.CharField()
    transcript_status = serializers.CharField()
    transcript_error = serializers.CharField(allow_null=True)
    transcript_progress = serializers.IntegerField(
        help_text=_("percent of the transcript's processing done (100 once ready)")
    )
    chunks = ChunkOutputSerializer(many=True)


class TranscriptUploadInputSerializer(serializers.Serializer[dict[str, Any]]):
    file = serializers.FileField(required=False)
    content = serializers.CharField(required=False, trim_whitespace=False)
    format = serializers.ChoiceField(choices=FORMATS, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("file")) == bool(attrs.get("content")):
            raise serializers.ValidationError(
                _("Send either a transcript file or its content, not both.")
            )
        return attrs


class TranscriptUploadOutputSerializer(serializers.Serializer[TranscriptSource]):
    upload_id = serializers.IntegerField(source="pk")
    video_id = serializers.UUIDField()
    format = serializers.CharField()
    status = serializers.CharField()
    transcript_status = serializers.CharField(source="video.transcript_status")


NOT_FOUND = (
    ErrorExample(404, "course_not_found", "Not found."),
    ErrorExample(404, "video_not_found", "Not found."),
)

# --- Views --------------------------------------------------------------------------------------


class SearchApi(APIView):
    rate_limit_scope = "search"

    @extend_schema(
        operation_id="search",
        parameters=[SearchInputSerializer],
        responses={200: SearchOutputSerializer} | errors(*NOT_FOUND),
        description="Hybrid (vector + full-text) search over the transcripts the caller may see.",
    )
    def get(self, request: Request) -> Response:
        params = SearchInputSerializer(data=underscoreize_multi(request.query_params))
        params.is_valid(raise_exception=True)
        data = params.validated_data
        video_id, course_id = data.get("video"), data.get("course")
        video_ids = None
        if video_id is not None:
            video_visible_to(user=request.user, video_id=video_id)
        if course_id is not None:
            course_visible_to(user=request.user, course_id=course_id)
        if video_id is None and course_id is None and not is_platform_admin(request.user):
            video_ids = list(videos_visible_to(user=request.user).values_list("id", flat=True))
        result = hybrid_search(
            query=data["q"],
            video_id=video_id,
            course_id=course_id,
            video_ids=video_ids,
            k=data["k"],
            position=data.get("position"),
        )
        output = {"query": data["q"], "mode": result.mode, "hits": result.hits}
        return Response(SearchOutputSerializer(output).data)


def transcript_progress(video: Any) -> int:
    """The video's transcript progress in percent: 100 once ready."""
    return 100 if video.transcript_status == "ready" else int(video.transcript_progress)


class VideoTranscriptApi(APIView):
    parser_classes = [CamelCaseMultiPartParser, CamelCaseFormParser, CamelCaseJSONParser]
    permission_classes = [IsSignedInForWrites]  # reads are public, an upload needs sign-in

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # A recording may be large: refuse it by its declared length, else stream it to disk
        # and stop at the cap, before anything reads the body.
        if request.method == "POST":
            limit = settings.RAG_RECORDING_MAX_BYTES
            declared = request.META.get("CONTENT_LENGTH") or "0"
            if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
                raise recording_too_large()
            request.upload_handlers = [LimitedTemporaryFileUploadHandler(request, limit=limit)]
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        operation_id="video_transcript",
        responses={200: TranscriptOutputSerializer} | errors(NOT_FOUND[1]),
    )
    def get(self, request: Request, video_id: str) -> Response:
        video = video_visible_to(user=request.user, video_id=video_id)
        manager = can_manage_course(user=request.user, course=video.course)
        output = {
            "video_id": video.pk,
            "youtube_id": video.youtube_id,
            "transcript_status": video.transcript_status,
            "transcript_error": (video.transcript_error or None) if manager else None,
            "transcript_progress": transcript_progress(video),
            "chunks": transcript_chunks(video_id=video.pk),
        }
        return Response(TranscriptOutputSerializer(output).data)

    @extend_schema(
        operation_id="video_transcript_upload",
        request={
            "multipart/form-data": TranscriptUploadInputSerializer,
            "application/json": TranscriptUploadInputSerializer,
        },
        responses={
            202: TranscriptUploadOutputSerializer,
            200: inline_serializer(
                "TranscriptUnchanged", {"upload_id": serializers.IntegerField()}
            ),
        }
        | errors(
            ErrorExample(400, "transcript_format", "Unknown transcript format."),
            ErrorExample(400, "transcript_empty", "The transcript is empty."),
            ErrorExample(
                403,
                "not_course_owner",
                "Only the course's instructor or an admin may upload its transcripts.",
            ),
            NOT_FOUND[1],
        ),
        description=(
            "Upload a transcript (VTT, SRT, JSON or [mm:ss] text) or a recording (mp3, wav, "
            "m4a, ogg/opus, webm, mp4, mkv, flac; told by content, at most "
            "RAG_RECORDING_MAX_BYTES and RAG_RECORDING_MAX_SECONDS); starts an ingest job. A "
            "recording is transcribed first: transcriptProgress on the video follows it."
        ),
    )
    def post(self, request: Request, video_id: str) -> Response:
        video = video_visible_to(user=request.user, video_id=video_id)
        if not can_manage_course(user=request.user, course=video.course):
            raise PermissionDenied(
                _("Only the course's instructor or an admin may upload its transcripts."),
                code="not_course_owner",
            )
        params = TranscriptUploadInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        upload: UploadedFile | None = data.get("file")
        if upload is not None and audio_sniff(_head(upload)) is not None:
            previous = video.transcript_status
            source = recording_upload(
                video=video,
                path=Path(cast(TemporaryUploadedFile, upload).temporary_file_path()),
                filename=upload.name or "",
                user=request.user,
            )
            unchanged = source.status != TranscriptSource.Status.PENDING and previous == "ready"
            source.video = video
            return Response(
                TranscriptUploadOutputSerializer(source).data, status=200 if unchanged else 202
            )
        if upload is not None:
            if (upload.size or 0) > settings.RAG_TRANSCRIPT_MAX_BYTES:
                raise PayloadTooLarge(_("The transcript file is too large."))
            content: str | bytes = b"".join(upload.chunks())
            filename = upload.name or ""
        else:
            content, filename = data["content"], ""
        if not content:
            raise ValidationFailed(_("The transcript is empty."), code="transcript_empty")
        previous_ready = video.transcript_status
        source = transcript_upload(
            video=video,
            content=content,
            filename=filename,
            format=data.get("format"),
            user=request.user,
        )
        unchanged = source.status != TranscriptSource.Status.PENDING and previous_ready == "ready"
        source.video = video
        return Response(
            TranscriptUploadOutputSerializer(source).data, status=200 if unchanged else 202
        )


def _head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    return head if isinstance(head, bytes) else head.encode()


class VttRenderer(BaseRenderer):
    media_type = "text/vtt"
    format = "vtt"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return data.encode() if isinstance(data, str) else b""


class VideoTranscriptVttApi(APIView):
    renderer_classes = [VttRenderer, CamelCaseJSONRenderer]

    @extend_schema(
        operation_id="video_transcript_vtt",
        parameters=[OpenApiParameter("format", exclude=True)],
        responses={
            (200, "text/vtt"): OpenApiResponse(
                OpenApiTypes.STR, description="The stored transcript as WebVTT captions."
            ),
        }
        | errors(
            NOT_FOUND[1],
            ErrorExample(404, "transcript_missing", "This video has no transcript yet."),
        ),
        description=(
            "The video's stored transcript as WebVTT, for the player's captions, or to correct "
            "a machine transcript and upload it back (which re-reads as the same cues)."
        ),
    )
    def get(self, request: Request, video_id: str) -> HttpResponse:
        video = video_visible_to(user=request.user, video_id=video_id)
        content = transcript_vtt(video_id=video.pk)
        if content is None:
            raise NotFound(_("This video has no transcript yet."), code="transcript_missing")
        response = HttpResponse(content, content_type="text/vtt; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{video.youtube_id}.vtt"'
        return response

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # Errors keep the one JSON error shape, whatever the client accepted.
        if isinstance(response, Response) and response.exception:
            request.accepted_renderer = CamelCaseJSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)
