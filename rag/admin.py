"""Admin: upload a transcript for a video (starts the same ingest job as the API), browse chunks.

A video's admin page can link here with `/admin/rag/transcriptsource/add/?video=<id>`.
"""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can_author_courses, is_platform_admin
from courses.models import Video
from courses.permissions import can_manage_course
from learnwithavi.errors import ApplicationError, BrokerUnavailable
from rag.models import TranscriptChunk, TranscriptSource
from rag.parsers import FORMATS
from voice.audio import audio_sniff


def _is_recording(upload: UploadedFile) -> bool:
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    return audio_sniff(head) is not None


@contextmanager
def _on_disk(upload: UploadedFile) -> Iterator[Path]:
    """The upload's path: its temporary file, or a copy of a small upload kept in memory."""
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    with tempfile.NamedTemporaryFile(suffix=Path(upload.name or "").suffix) as copy:
        for block in upload.chunks():
            copy.write(block)
        copy.flush()
        yield Path(copy.name)


class TranscriptUploadForm(forms.ModelForm[TranscriptSource]):
    file = forms.FileField(
        label=_("Transcript file"),
        help_text=_(
            "VTT, SRT, JSON or [mm:ss] text; or a recording to transcribe (mp3, wav, m4a, "
            "ogg/opus, webm, mp4, mkv, flac)."
        ),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("", _("From the file name")), *[(f, f) for f in FORMATS]],
        required=False,
    )

    class Meta:
        model = TranscriptSource
        fields = ("video",)

    def clean(self) -> dict[str, Any]:
        from rag.recording_checks import recording_check
        from rag.services import transcript_check

        cleaned = super().clean() or {}
        upload = cleaned.get("file")
        if upload is not None and _is_recording(upload):
            try:
                with _on_disk(upload) as path:
                    recording_check(path=path)
            except ApplicationError as error:
                raise forms.ValidationError(str(error), code=error.code) from None
        elif upload is not None:
            try:
                transcript_check(
                    content=b"".join(upload.chunks()),
                    filename=upload.name or "",
                    format=cleaned.get("format") or None,
                )
            except ApplicationError as error:
                raise forms.ValidationError(str(error), code=error.code) from None
        return cleaned


@admin.register(TranscriptSource)
class TranscriptSourceAdmin(admin.ModelAdmin[TranscriptSource]):
    form = TranscriptUploadForm
    list_display = (
        "video", "format", "status", "video_status", "video_progress", "chunk_count", "created_at",
    )  # fmt: skip
    list_filter = ("status", "format")
    search_fields = ("video__title", "video__youtube_id", "filename")
    list_select_related = ("video",)
    readonly_fields = (
        "video", "format", "filename", "status", "error", "chunk_count", "content_hash",
        "uploaded_by", "created_at", "processed_at", "language", "transcribed_by",
        "recording_seconds", "content",
    )  # fmt: skip

    @admin.display(description=_("Video transcript status"))
    def video_status(self, source: TranscriptSource) -> str:
        return str(source.video.get_transcript_status_display())

    @admin.display(description=_("Transcript progress"))
    def video_progress(self, source: TranscriptSource) -> str:
        video = source.video
        return f"{100 if video.transcript_status == 'ready' else video.transcript_progress}%"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("video", "file", "format")
        return self.readonly_fields

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is not None:
            return super().get_form(request, obj, change=change, fields=(), **kwargs)
        return super().get_form(request, obj, change=change, **kwargs)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "video":
            kwargs["queryset"] = self._manageable_videos(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _manageable_videos(self, request: HttpRequest) -> QuerySet[Video]:
        videos = Video.objects.select_related("course").order_by("course__title", "order_index")
        if is_platform_admin(request.user):
            return videos
        return videos.filter(course__owner_id=request.user.pk)

    def get_queryset(self, request: HttpRequest) -> QuerySet[TranscriptSource]:
        sources = super().get_queryset(request).defer("content")
        if is_platform_admin(request.user):
            return sources
        return sources.filter(video__course__owner_id=request.user.pk)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: TranscriptSource, form: Any, change: bool
    ) -> None:
        from rag.recordings import recording_upload
        from rag.services import transcript_upload

        video = form.cleaned_data["video"]
        if not can_manage_course(user=request.user, course=video.course):
            raise PermissionError("not the course's owner")
        upload = form.cleaned_data["file"]
        if _is_recording(upload):
            with _on_disk(upload) as path:
                source = recording_upload(
                    video=video, path=path, filename=upload.name or "", user=request.user
                )
        else:
            source = transcript_upload(
                video=video,
                content=b"".join(upload.chunks()),
                filename=upload.name or "",
                format=form.cleaned_data.get("format") or None,
                user=request.user,
            )
        obj.pk = source.pk
        obj.video = source.video
        obj.status = source.status
        obj.created_at = source.created_at
        messages.info(request, _("The transcript was accepted; ingestion has started."))

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        # The job is queued when the admin's transaction commits; with the broker down the upload
        # is taken back (rag.services) and the instructor is told so, on the same form.
        try:
            return super().add_view(request, form_url, extra_context)
        except BrokerUnavailable as error:
            for _message in messages.get_messages(request):
                pass  # drop "accepted; ingestion has started"
            messages.error(request, str(error.message))
            return HttpResponseRedirect(request.get_full_path())

    # Instructors upload for their own courses without needing model permissions.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and can_author_courses(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_staff and can_author_courses(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and can_author_courses(request.user)


@admin.register(TranscriptChunk)
class TranscriptChunkAdmin(admin.ModelAdmin[TranscriptChunk]):
    list_display = ("video", "position", "start_time", "end_time", "embedding_model")
    list_filter = ("embedding_model",)
    search_fields = ("text", "video__youtube_id", "video__title")
    list_select_related = ("video",)
    ordering = ("video", "position")
    fields = (
        "video",
        "position",
        "start_time",
        "end_time",
        "text",
        "embedding_model",
        "content_hash",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_staff and can_author_courses(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and can_author_courses(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[TranscriptChunk]:
        chunks = super().get_queryset(request).defer("embedding", "search_vector", "search_text")
        if is_platform_admin(request.user):
            return chunks
        return chunks.filter(video__course__owner_id=request.user.pk)
