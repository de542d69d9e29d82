"""The courses API's input and output serializers: the frontend's camelCase names."""

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
    courseId = serializers.UUIDField(source="course_id")  # noqa: N815  the frontend's camelCase
    youtubeId = serializers.CharField(source="youtube_id")  # noqa: N815
    orderIndex = serializers.IntegerField(source="order_index")  # noqa: N815
    transcriptStatus = serializers.CharField(source="transcript_status")  # noqa: N815
    transcriptProgress = serializers.SerializerMethodField(  # noqa: N815
        help_text=_("percent of the transcript's processing done (100 once ready)")
    )
    createdAt = serializers.DateTimeField(source="created_at")  # noqa: N815
    updatedAt = serializers.DateTimeField(source="updated_at")  # noqa: N815

    class Meta:
        model = Video
        fields = (
            "id",
            "courseId",
            "youtubeId",
            "title",
            "duration",
            "orderIndex",
            "transcriptStatus",
            "transcriptProgress",
            "createdAt",
            "updatedAt",
        )

    def get_transcriptProgress(self, video: Video) -> int:  # noqa: N802  DRF's method name
        return 100 if video.transcript_status == "ready" else int(video.transcript_progress)


class CourseOutputSerializer(serializers.ModelSerializer[Course]):
    slug = UnicodeSlugField()
    ownerId = serializers.UUIDField(source="owner_id")  # noqa: N815
    ownerName = serializers.SerializerMethodField()  # noqa: N815
    isPublished = serializers.BooleanField(source="is_published")  # noqa: N815
    videoCount = serializers.IntegerField(source="video_count")  # noqa: N815
    totalDuration = serializers.IntegerField(source="total_duration")  # noqa: N815
    createdAt = serializers.DateTimeField(source="created_at")  # noqa: N815
    updatedAt = serializers.DateTimeField(source="updated_at")  # noqa: N815

    class Meta:
        model = Course
        fields: tuple[str, ...] = (
            "id",
            "slug",
            "title",
            "description",
            "difficulty",
            "language",
            "ownerId",
            "ownerName",
            "isPublished",
            "videoCount",
            "totalDuration",
            "createdAt",
            "updatedAt",
        )

    def get_ownerName(self, course: Course) -> str:  # noqa: N802  field name
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
    isPublished = serializers.BooleanField(source="is_published", default=False)  # noqa: N815


class CourseFilterSerializer(serializers.Serializer[dict[str, Any]]):
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    owner = serializers.UUIDField(required=False, help_text="Owner's user id")
    search = serializers.CharField(max_length=200, required=False, allow_blank=True)
    ordering = serializers.ChoiceField(
        choices=list(COURSE_ORDERINGS), required=False, default="-createdAt"
    )
    page = serializers.IntegerField(min_value=1, required=False)
    pageSize = serializers.IntegerField(min_value=1, max_value=100, required=False)  # noqa: N815


class VideoInputSerializer(serializers.Serializer[dict[str, Any]]):
    youtubeId = serializers.CharField(  # noqa: N815
        source="youtube_id",
        min_length=11,
        max_length=11,
        validators=[RegexValidator(YOUTUBE_ID_PATTERN, _("Not a YouTube video id."))],
    )
    title = serializers.CharField(max_length=200, validators=[plain_text])
    duration = serializers.IntegerField(min_value=1, max_value=MAX_DURATION)
    orderIndex = serializers.IntegerField(  # noqa: N815
        source="order_index", min_value=0, max_value=100_000, required=False
    )


class ProgressInputSerializer(serializers.Serializer[dict[str, Any]]):
    videoId = serializers.UUIDField(source="video_id")  # noqa: N815
    lastPosition = serializers.IntegerField(  # noqa: N815
        source="last_position", min_value=0, max_value=MAX_DURATION
    )
    completed = serializers.BooleanField(required=False)


class ProgressOutputSerializer(serializers.ModelSerializer[UserProgress]):
    videoId = serializers.UUIDField(source="video_id")  # noqa: N815
    lastPosition = serializers.IntegerField(source="last_position")  # noqa: N815
    completedAt = serializers.DateTimeField(source="completed_at", allow_null=True)  # noqa: N815
    updatedAt = serializers.DateTimeField(source="updated_at")  # noqa: N815

    class Meta:
        model = UserProgress
        fields = ("videoId", "lastPosition", "completed", "completedAt", "updatedAt")


class ResumeSerializer(serializers.Serializer[Any]):
    videoId = serializers.UUIDField()  # noqa: N815
    youtubeId = serializers.CharField()  # noqa: N815
    title = serializers.CharField()
    position = serializers.IntegerField()


class SummarySerializer(serializers.Serializer[Any]):
    videosTotal = serializers.IntegerField()  # noqa: N815
    videosCompleted = serializers.IntegerField()  # noqa: N815
    percentComplete = serializers.IntegerField()  # noqa: N815
    resume = ResumeSerializer(allow_null=True)
    lastActivityAt = serializers.DateTimeField(allow_null=True)  # noqa: N815


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
            "videoId": video.pk,
            "youtubeId": video.youtube_id,
            "title": video.title,
            "position": summary.resume_position,
        }
    )
    return SummarySerializer(
        {
            "videosTotal": summary.videos_total,
            "videosCompleted": summary.videos_completed,
            "percentComplete": summary.percent_complete,
            "resume": resume,
            "lastActivityAt": summary.last_activity_at,
        }
    ).data
