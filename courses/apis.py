"""The courses REST API: courses, their videos, and learners' progress. Views stay thin."""

from collections.abc import Sequence
from typing import Any

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import IsInstructorOrAdminForWrites, IsSignedInForWrites
from courses.models import YOUTUBE_ID_PATTERN, Course, Difficulty, Language, UserProgress, Video
from courses.permissions import can_manage_course
from courses.selectors import (
    COURSE_ORDERINGS,
    CourseProgress,
    course_detail,
    course_list,
    course_progress,
    course_videos,
    course_visible_to,
    started_course_progress,
    started_courses,
    video_visible_to,
)
from courses.services import (
    course_create,
    course_delete,
    course_update,
    progress_upsert,
    video_create,
    video_delete,
    video_update,
)
from learnwithavi.errors import PermissionDenied
from learnwithavi.openapi import EXAMPLE_TIME as NOW
from learnwithavi.openapi import ErrorExample, UnicodeSlugField, errors
from learnwithavi.pagination import Pagination, paginated_response, paginated_schema
from learnwithavi.validators import plain_multiline_text, plain_text

MAX_DURATION = 7 * 24 * 3600  # a week, in seconds: anything longer is a typo
COURSE_ID = "3f1c2a9e-8d4b-4c1e-9a7f-2b6d5e8c1a40"
VIDEO_ID = "7a2e4c6b-1d3f-4e5a-8b9c-0d1e2f3a4b5c"
OWNER_ID = "c0ffee00-1234-4abc-9def-0123456789ab"


def _managed(*, user: Any, course: Course) -> Course:
    """`course` if `user` may change it; else PermissionDenied (they can see it, but not edit)."""
    if not can_manage_course(user=user, course=course):
        raise PermissionDenied(
            _("Only the course's instructor or an admin may change it."), code="not_course_owner"
        )
    return course


# --- Serializers: the frontend's camelCase names ----------------------------------------------


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


# --- OpenAPI examples ----------------------------------------------------------------------

VIDEO_EXAMPLE = {
    "id": VIDEO_ID,
    "courseId": COURSE_ID,
    "youtubeId": "lwaDemoHe01",
    "title": "מהי למידת מכונה?",
    "duration": 540,
    "orderIndex": 0,
    "transcriptStatus": "ready",
    "createdAt": NOW,
    "updatedAt": NOW,
}
COURSE_EXAMPLE = {
    "id": COURSE_ID,
    "slug": "intro-to-machine-learning",
    "title": "מבוא ללמידת מכונה",
    "description": "קורס מבוא קצר.",
    "difficulty": "beginner",
    "language": "he",
    "ownerId": OWNER_ID,
    "ownerName": "Avi",
    "isPublished": True,
    "videoCount": 3,
    "totalDuration": 1800,
    "createdAt": NOW,
    "updatedAt": NOW,
}
SUMMARY_EXAMPLE = {
    "videosTotal": 3,
    "videosCompleted": 1,
    "percentComplete": 33,
    "resume": {
        "videoId": VIDEO_ID,
        "youtubeId": "lwaDemoHe02",
        "title": "ירידה בגרדיאנט",
        "position": 125,
    },
    "lastActivityAt": NOW,
}
PROGRESS_EXAMPLE = {
    "videoId": VIDEO_ID,
    "lastPosition": 125,
    "completed": False,
    "completedAt": None,
    "updatedAt": NOW,
}


def _page_example(name: str, item: dict[str, Any]) -> OpenApiExample:
    return OpenApiExample(
        name,
        value={"count": 1, "next": None, "previous": None, "results": [item]},
        response_only=True,
    )


NOT_OWNER = ErrorExample(
    403, "not_course_owner", "Only the course's instructor or an admin may change it."
)
NOT_AN_AUTHOR = ErrorExample(403, "permission_denied", "You are not allowed to do this.")
COURSE_NOT_FOUND = ErrorExample(404, "course_not_found", "Not found.")
VIDEO_NOT_FOUND = ErrorExample(404, "video_not_found", "Not found.")
DUPLICATE_SLUG = ErrorExample(409, "duplicate_slug", "A course with this slug already exists.")
DUPLICATE_VIDEO = ErrorExample(
    409, "duplicate_youtube_id", "A video with this YouTube id already exists."
)
ERRORS: dict[int, ErrorExample] = {
    400: ErrorExample(400, "validation_error", "lastPosition: Ensure this value is >= 0."),
    401: ErrorExample(401, "not_authenticated", "Sign in to do this."),
    403: NOT_OWNER,
    404: COURSE_NOT_FOUND,
    409: DUPLICATE_VIDEO,
}


def _errors(*cases: int | ErrorExample) -> dict[int, OpenApiResponse]:
    """Documented error responses (learnwithavi.openapi adds those every operation shares)."""
    return errors(*(ERRORS[case] if isinstance(case, int) else case for case in cases))


# --- Courses --------------------------------------------------------------------------------


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


class CoursesApi(APIView):
    """GET: the courses you may see. POST: create one (instructors and admins)."""

    permission_classes = [IsInstructorOrAdminForWrites]

    @extend_schema(
        summary="List courses",
        operation_id="courses_list",
        parameters=[CourseFilterSerializer],
        responses={200: paginated_schema("PaginatedCourseList", CourseOutputSerializer(many=True))}
        | _errors(400),
        examples=[_page_example("Courses", COURSE_EXAMPLE)],
    )
    def get(self, request: Request) -> Response:
        filters = CourseFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        courses = course_list(
            user=request.user,
            difficulty=data.get("difficulty"),
            language=data.get("language"),
            owner_id=data.get("owner"),
            search=data.get("search"),
            ordering=data["ordering"],
        )
        return paginated_response(request, self, courses, CourseOutputSerializer)

    @extend_schema(
        summary="Create a course",
        request=CourseInputSerializer,
        responses={201: CourseDetailOutputSerializer}
        | _errors(400, 401, NOT_AN_AUTHOR, DUPLICATE_SLUG),
        examples=[
            OpenApiExample(
                "New course",
                value={
                    "title": "מבוא ללמידת מכונה",
                    "description": "קורס מבוא קצר.",
                    "difficulty": "beginner",
                    "language": "he",
                    "isPublished": False,
                },
                request_only=True,
            ),
            OpenApiExample(
                "Created",
                value={**COURSE_EXAMPLE, "videoCount": 0, "totalDuration": 0, "videos": []},
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = CourseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        owner: User = request.user  # type: ignore[assignment]  # the permission class checked it
        course = course_create(owner=owner, **data.validated_data)
        detail = course_detail(user=request.user, course_id=course.pk)
        return Response(CourseDetailOutputSerializer(detail).data, status=201)


COURSE_WRITE_EXAMPLE = OpenApiExample(
    "Publish",
    value={"title": "מבוא ללמידת מכונה", "isPublished": True},
    request_only=True,
)
COURSE_DETAIL_EXAMPLE = OpenApiExample(
    "Course with its videos",
    value={**COURSE_EXAMPLE, "videos": [VIDEO_EXAMPLE]},
    response_only=True,
)


class CourseApi(APIView):
    """One course: read (with its videos in order), replace, update, delete."""

    permission_classes = [IsSignedInForWrites]

    @extend_schema(
        summary="A course with its videos",
        responses={200: CourseDetailOutputSerializer} | _errors(404),
        examples=[COURSE_DETAIL_EXAMPLE],
    )
    def get(self, request: Request, course_id: str) -> Response:
        course = course_detail(user=request.user, course_id=course_id)
        return Response(CourseDetailOutputSerializer(course).data)

    def _update(self, request: Request, course_id: str, *, partial: bool) -> Response:
        course = _managed(
            user=request.user, course=course_visible_to(user=request.user, course_id=course_id)
        )
        data = CourseInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        course_update(course=course, data=data.validated_data)
        detail = course_detail(user=request.user, course_id=course.pk)
        return Response(CourseDetailOutputSerializer(detail).data)

    @extend_schema(
        summary="Replace a course's fields (owner, admin)",
        request=CourseInputSerializer,
        responses={200: CourseDetailOutputSerializer} | _errors(400, 401, 403, 404, DUPLICATE_SLUG),
        examples=[COURSE_WRITE_EXAMPLE, COURSE_DETAIL_EXAMPLE],
    )
    def put(self, request: Request, course_id: str) -> Response:
        return self._update(request, course_id, partial=False)

    @extend_schema(
        summary="Update some of a course's fields (owner, admin)",
        request=CourseInputSerializer,
        responses={200: CourseDetailOutputSerializer} | _errors(400, 401, 403, 404, DUPLICATE_SLUG),
        examples=[COURSE_WRITE_EXAMPLE, COURSE_DETAIL_EXAMPLE],
    )
    def patch(self, request: Request, course_id: str) -> Response:
        return self._update(request, course_id, partial=True)

    @extend_schema(
        summary="Delete a course, its videos and progress (owner, admin)",
        responses={204: None} | _errors(401, 403, 404),
        examples=[OpenApiExample("Deleted", value=None, response_only=True, status_codes=[204])],
    )
    def delete(self, request: Request, course_id: str) -> Response:
        course = _managed(
            user=request.user, course=course_visible_to(user=request.user, course_id=course_id)
        )
        course_delete(course=course)
        return Response(status=204)


# --- Videos -------------------------------------------------------------------------------

VIDEO_WRITE_EXAMPLE = OpenApiExample(
    "New video",
    value={"youtubeId": "lwaDemoHe02", "title": "ירידה בגרדיאנט", "duration": 660},
    request_only=True,
)
VIDEO_RESPONSE_EXAMPLE = OpenApiExample("Video", value=VIDEO_EXAMPLE, response_only=True)


class CourseVideosApi(APIView):
    """A course's videos in order; POST adds one (at `orderIndex`, default the end)."""

    permission_classes = [IsSignedInForWrites]

    @extend_schema(
        summary="A course's videos, in order",
        responses={200: paginated_schema("PaginatedVideoList", VideoOutputSerializer(many=True))}
        | _errors(404),
        examples=[_page_example("Videos", VIDEO_EXAMPLE)],
    )
    def get(self, request: Request, course_id: str) -> Response:
        course = course_visible_to(user=request.user, course_id=course_id)
        videos = course_videos(course=course)
        return paginated_response(request, self, videos, VideoOutputSerializer)

    @extend_schema(
        summary="Add a video to a course (owner, admin)",
        request=VideoInputSerializer,
        responses={201: VideoOutputSerializer} | _errors(400, 401, 403, 404, 409),
        examples=[VIDEO_WRITE_EXAMPLE, VIDEO_RESPONSE_EXAMPLE],
    )
    def post(self, request: Request, course_id: str) -> Response:
        course = _managed(
            user=request.user, course=course_visible_to(user=request.user, course_id=course_id)
        )
        data = VideoInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        video = video_create(course=course, **data.validated_data)
        return Response(VideoOutputSerializer(video).data, status=201)


class VideoApi(APIView):
    """One video: read, replace, update (a new `orderIndex` reorders the course), delete."""

    permission_classes = [IsSignedInForWrites]

    @extend_schema(
        summary="A video",
        responses={200: VideoOutputSerializer} | _errors(VIDEO_NOT_FOUND),
        examples=[VIDEO_RESPONSE_EXAMPLE],
    )
    def get(self, request: Request, video_id: str) -> Response:
        return Response(
            VideoOutputSerializer(video_visible_to(user=request.user, video_id=video_id)).data
        )

    def _update(self, request: Request, video_id: str, *, partial: bool) -> Response:
        video = video_visible_to(user=request.user, video_id=video_id)
        _managed(user=request.user, course=video.course)
        data = VideoInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        video = video_update(video=video, data=data.validated_data)
        return Response(VideoOutputSerializer(video).data)

    @extend_schema(
        summary="Replace a video's fields (owner, admin)",
        request=VideoInputSerializer,
        responses={200: VideoOutputSerializer} | _errors(400, 401, 403, VIDEO_NOT_FOUND, 409),
        examples=[VIDEO_WRITE_EXAMPLE, VIDEO_RESPONSE_EXAMPLE],
    )
    def put(self, request: Request, video_id: str) -> Response:
        return self._update(request, video_id, partial=False)

    @extend_schema(
        summary="Update a video; orderIndex moves it (owner, admin)",
        request=VideoInputSerializer,
        responses={200: VideoOutputSerializer} | _errors(400, 401, 403, VIDEO_NOT_FOUND, 409),
        examples=[
            OpenApiExample("Move to the top", value={"orderIndex": 0}, request_only=True),
            VIDEO_RESPONSE_EXAMPLE,
        ],
    )
    def patch(self, request: Request, video_id: str) -> Response:
        return self._update(request, video_id, partial=True)

    @extend_schema(
        summary="Delete a video; later videos move up (owner, admin)",
        responses={204: None} | _errors(401, 403, VIDEO_NOT_FOUND),
        examples=[OpenApiExample("Deleted", value=None, response_only=True, status_codes=[204])],
    )
    def delete(self, request: Request, video_id: str) -> Response:
        video = video_visible_to(user=request.user, video_id=video_id)
        _managed(user=request.user, course=video.course)
        video_delete(video=video)
        return Response(status=204)


# --- Progress -------------------------------------------------------------------------------


class ProgressInputSerializer(serializers.Serializer[dict[str, Any]]):
    videoId = serializers.UUIDField(source="video_id")  # noqa: N815
    lastPosition = serializers.IntegerField(  # noqa: N815
        source="last_position", min_value=0, max_value=MAX_DURATION
    )
    completed = serializers.BooleanField(required=False)


class CourseProgressApi(APIView):
    """The signed-in user's own progress in a course: GET rows and summary, POST upserts one."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="My progress in a course",
        responses={
            200: inline_serializer(
                "CourseProgress",
                {
                    "courseId": serializers.UUIDField(),
                    "progress": ProgressOutputSerializer(many=True),
                    "summary": SummarySerializer(),
                },
            )
        }
        | _errors(401, 404),
        examples=[
            OpenApiExample(
                "Progress",
                value={
                    "courseId": COURSE_ID,
                    "progress": [PROGRESS_EXAMPLE],
                    "summary": SUMMARY_EXAMPLE,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, course_id: str) -> Response:
        user: User = request.user  # type: ignore[assignment]  # IsAuthenticated
        course = course_visible_to(user=user, course_id=course_id)
        progress = course_progress(user=user, course=course)
        return Response(
            {
                "courseId": course.pk,
                "progress": ProgressOutputSerializer(progress.rows, many=True).data,
                "summary": summary_data(progress),
            }
        )

    @extend_schema(
        summary="Record my position in a video of the course",
        request=ProgressInputSerializer,
        responses={
            200: ProgressOutputSerializer,
            201: ProgressOutputSerializer,
        }
        | _errors(400, 401, 404),
        examples=[
            OpenApiExample(
                "Watched to 2:05",
                value={"videoId": VIDEO_ID, "lastPosition": 125},
                request_only=True,
            ),
            OpenApiExample(
                "Finished",
                value={"videoId": VIDEO_ID, "lastPosition": 540, "completed": True},
                request_only=True,
            ),
            OpenApiExample("Recorded", value=PROGRESS_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request: Request, course_id: str) -> Response:
        user: User = request.user  # type: ignore[assignment]  # IsAuthenticated
        course = course_visible_to(user=user, course_id=course_id)
        data = ProgressInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        progress, created = progress_upsert(user=user, course=course, **data.validated_data)
        return Response(ProgressOutputSerializer(progress).data, status=201 if created else 200)


class MyProgressApi(APIView):
    """Every course the signed-in user has started, with its summary, most recent first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="My courses in progress",
        responses={
            200: paginated_schema(
                "PaginatedMyProgressList",
                inline_serializer(
                    "MyCourseProgress",
                    {"course": CourseBriefSerializer(), "summary": SummarySerializer()},
                    many=True,
                ),
            )
        }
        | _errors(401),
        examples=[
            _page_example(
                "My courses",
                {
                    "course": {
                        "id": COURSE_ID,
                        "slug": "intro-to-machine-learning",
                        "title": "מבוא ללמידת מכונה",
                        "language": "he",
                        "difficulty": "beginner",
                    },
                    "summary": SUMMARY_EXAMPLE,
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]  # IsAuthenticated
        paginator = Pagination()
        courses: Sequence[Course] = (
            paginator.paginate_queryset(started_courses(user=user), request, view=self) or []
        )
        results = []
        for course in courses:
            progress = started_course_progress(course=course)
            results.append(
                {
                    "course": CourseBriefSerializer(course).data,
                    "summary": summary_data(progress),
                }
            )
        return paginator.get_paginated_response(results)
