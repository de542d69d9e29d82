"""The courses API's input and output serializers (snake_case here, camelCase on the wire:
learnwithavi.casing)."""

from typing import Any

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from courses.models import YOUTUBE_ID_PATTERN, Course, Difficulty, Language, UserProgress, Video
from courses.selectors import COURSE_ORDERINGS, CourseProgress
from learnwithavi.openapi import UnicodeSlugField
from learnwithavi.validators import plain_multiline_text, plain_text

MAX_DURATION = 7 * 24 * 3600  # a week, in seconds: anything longer is a typo


class VideoOutputSerializer(serializers.ModelSerializer[Video]):
    course_id = serializers.UUIDField()
    youtube_id = serializers.CharField()
    order_index = serializers.IntegerField()
    transcript_status = serializers.CharField()
    transcript_progress = serializers.SerializerMethodField(
        help_text=_("percent of the transcript's processing done (100 once ready)")
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        model = Video
        fields = (
            "id",
            "course_id",
            "youtube_id",
            "title",
            "duration",
            "order_index",
            "transcript_status",
            "transcript_progress",
            "created_at",
            "updated_at",
        )

    def get_transcript_progress(self, video: Video) -> int:
        return 100 if video.transcript_status == "ready" else int(video.transcript_progress)


class CourseOutputSerializer(serializers.ModelSerializer[Course]):
    slug = UnicodeSlugField()
    owner_id = serializers.UUIDField()
    owner_name = serializers.SerializerMethodField()
    is_published = serializers.BooleanField()
    video_count = serializers.IntegerField()
    total_duration = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        model = Course
        fields: tuple[str, ...] = (
            "id",
            "slug",
            "title",
            "description",
            "difficulty",
            "language",
            "owner_id",
            "owner_name",
            "is_published",
            "video_count",
            "total_duration",
            "created_at",
            "updated_at",
        )

    def get_owner_name(self, course: Course) -> str:
        owner = course.owner
        return owner.get_full_name() or owner.email.split("@")[0]


class CourseDetailOutputSerializer(CourseOutputSerializer):
    videos = VideoOutputSerializer(many=True, read_only=True)

    class Meta(CourseOutputSerializer.Meta):
        fields = (*CourseOutputSerializer.Meta.fields, "videos")


class CourseInputSerializer(serializers.Serializer[dict[str, Any]]):
    title = serializers.CharField(max_length=200, validators=[plain_text])
    slug = UnicodeSlugField(max_length=120, required=False, validators=[plain_text])
    description = serializers.CharField(
        max_length=5000, allow_blank=True, default="", validators=[plain_multiline_text]
    )
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, default=Difficulty.BEGINNER)
    language = serializers.ChoiceField(choices=Language.choices, default=Language.HEBREW)
    is_published = serializers.BooleanField(default=False)


class CourseFilterSerializer(serializers.Serializer[dict[str, Any]]):
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    owner = serializers.UUIDField(required=False, help_text="Owner's user id")
    search = serializers.CharField(max_length=200, required=False, allow_blank=True)
    ordering = serializers.ChoiceField(
        choices=list(COURSE_ORDERINGS), required=False, default="-createdAt"
    )
    page = serializers.IntegerField(min_value=1, required=False)
    page_size = serializers.IntegerField(min_value=1, max_value=100, required=False)


class VideoInputSerializer(serializers.Serializer[dict[str, Any]]):
    youtube_id = serializers.CharField(
        min_length=11,
        max_length=11,
        validators=[RegexValidator(YOUTUBE_ID_PATTERN, _("Not a YouTube video id."))],
    )
    title = serializers.CharField(max_length=200, validators=[plain_text])
    duration = serializers.IntegerField(min_value=1, max_value=MAX_DURATION)
    order_index = serializers.IntegerField(min_value=0, max_value=100_000, required=False)


class ProgressInputSerializer(serializers.Serializer[dict[str, Any]]):
    video_id = serializers.UUIDField()
    last_position = serializers.IntegerField(min_value=0, max_value=MAX_DURATION)
    completed = serializers.BooleanField(required=False)


class ProgressOutputSerializer(serializers.ModelSerializer[UserProgress]):
    video_id = serializers.UUIDField()
    last_position = serializers.IntegerField()
    completed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()

    class Meta:
        model = UserProgress
        fields = ("video_id", "last_position", "completed", "completed_at", "updated_at")


class ResumeSerializer(serializers.Serializer[Any]):
    video_id = serializers.UUIDField()
    youtube_id = serializers.CharField()
    title = serializers.CharField()
    position = serializers.IntegerField()


class SummarySerializer(serializers.Serializer[Any]):
    videos_total = serializers.IntegerField()
    videos_completed = serializers.IntegerField()
    percent_complete = serializers.IntegerField()
    resume = ResumeSerializer(allow_null=True)
    last_activity_at = serializers.DateTimeField(allow_null=True)


class CourseBriefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    title = serializers.CharField()
    language = serializers.CharField()
    difficulty = serializers.CharField()


def summary_data(progress: CourseProgress) -> dict[str, Any]:
    summary = progress.summary
    video = summary.resume_video
    resume = (
        None
        if video is None
        else {
            "video_id": video.pk,
            "youtube_id": video.youtube_id,
            "title": video.title,
            "position": summary.resume_position,
        }
    )
    return SummarySerializer(
        {
            "videos_total": summary.videos_total,
            "videos_completed": summary.videos_completed,
            "percent_complete": summary.percent_complete,
            "resume": resume,
            "last_activity_at": summary.last_activity_at,
        }
    ).data
