"""The courses REST API: courses, their videos, and learners' progress. Views stay thin."""

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import IsInstructorOrAdminForWrites, IsSignedInForWrites
from courses.models import Course
from courses.permissions import can_manage_course
from courses.schema import (
    COURSE_CREATE_EXAMPLES,
    COURSE_DETAIL_EXAMPLE,
    COURSE_EXAMPLE,
    COURSE_PROGRESS_EXAMPLE,
    COURSE_PROGRESS_RESPONSE,
    COURSE_WRITE_EXAMPLE,
    DELETED_EXAMPLE,
    DUPLICATE_SLUG,
    MY_COURSES_EXAMPLE,
    MY_COURSES_PROGRESS,
    NOT_AN_AUTHOR,
    PROGRESS_WRITE_EXAMPLES,
    VIDEO_EXAMPLE,
    VIDEO_MOVE_EXAMPLE,
    VIDEO_NOT_FOUND,
    VIDEO_RESPONSE_EXAMPLE,
    VIDEO_WRITE_EXAMPLE,
    course_errors,
    page_example,
)
from courses.selectors import (
    course_detail,
    course_list,
    course_progress,
    course_videos,
    course_visible_to,
    started_course_progress,
    started_courses,
    video_visible_to,
)
from courses.serializers import (
    CourseBriefSerializer,
    CourseDetailOutputSerializer,
    CourseFilterSerializer,
    CourseInputSerializer,
    CourseOutputSerializer,
    ProgressInputSerializer,
    ProgressOutputSerializer,
    VideoInputSerializer,
    VideoOutputSerializer,
    summary_data,
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
from learnwithavi.casing import underscoreize_multi
from learnwithavi.errors import PermissionDenied
from learnwithavi.pagination import Pagination, paginated_response, paginated_schema


def _managed(*, user: Any, course: Course) -> Course:
    """`course` if `user` may change it; else PermissionDenied (they can see it, but not edit)."""
    if not can_manage_course(user=user, course=course):
        raise PermissionDenied(
            _("Only the course's instructor or an admin may change it."), code="not_course_owner"
        )
    return course


# --- Courses --------------------------------------------------------------------------------


class CoursesApi(APIView):
    """GET: the courses you may see. POST: create one (instructors and admins)."""

    permission_classes = [IsInstructorOrAdminForWrites]

    @extend_schema(
        summary="List courses",
        operation_id="courses_list",
        parameters=[CourseFilterSerializer],
        responses={200: paginated_schema("PaginatedCourseList", CourseOutputSerializer(many=True))}
        | course_errors(400),
        examples=[page_example("Courses", COURSE_EXAMPLE)],
    )
    def get(self, request: Request) -> Response:
        filters = CourseFilterSerializer(data=underscoreize_multi(request.query_params))
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
        | course_errors(400, 401, NOT_AN_AUTHOR, DUPLICATE_SLUG),
        examples=COURSE_CREATE_EXAMPLES,
    )
    def post(self, request: Request) -> Response:
        data = CourseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        owner: User = request.user  # type: ignore[assignment]  # the permission class checked it
        course = course_create(owner=owner, **data.validated_data)
        detail = course_detail(user=request.user, course_id=course.pk)
        return Response(CourseDetailOutputSerializer(detail).data, status=201)


class CourseApi(APIView):
    """One course: read (with its videos in order), replace, update, delete."""

    permission_classes = [IsSignedInForWrites]

    @extend_schema(
        summary="A course with its videos",
        responses={200: CourseDetailOutputSerializer} | course_errors(404),
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
        responses={200: CourseDetailOutputSerializer}
        | course_errors(400, 401, 403, 404, DUPLICATE_SLUG),
        examples=[COURSE_WRITE_EXAMPLE, COURSE_DETAIL_EXAMPLE],
    )
    def put(self, request: Request, course_id: str) -> Response:
        return self._update(request, course_id, partial=False)

    @extend_schema(
        summary="Update some of a course's fields (owner, admin)",
        request=CourseInputSerializer,
        responses={200: CourseDetailOutputSerializer}
        | course_errors(400, 401, 403, 404, DUPLICATE_SLUG),
        examples=[COURSE_WRITE_EXAMPLE, COURSE_DETAIL_EXAMPLE],
    )
    def patch(self, request: Request, course_id: str) -> Response:
        return self._update(request, course_id, partial=True)

    @extend_schema(
        summary="Delete a course, its videos and progress (owner, admin)",
        responses={204: None} | course_errors(401, 403, 404),
        examples=[DELETED_EXAMPLE],
    )
    def delete(self, request: Request, course_id: str) -> Response:
        course = _managed(
            user=request.user, course=course_visible_to(user=request.user, course_id=course_id)
        )
        course_delete(course=course)
        return Response(status=204)


# --- Videos -------------------------------------------------------------------------------


class CourseVideosApi(APIView):
    """A course's videos in order; POST adds one (at `orderIndex`, default the end)."""

    permission_classes = [IsSignedInForWrites]

    @extend_schema(
        summary="A course's videos, in order",
        responses={200: paginated_schema("PaginatedVideoList", VideoOutputSerializer(many=True))}
        | course_errors(404),
        examples=[page_example("Videos", VIDEO_EXAMPLE)],
    )
    def get(self, request: Request, course_id: str) -> Response:
        course = course_visible_to(user=request.user, course_id=course_id)
        videos = course_videos(course=course)
        return paginated_response(request, self, videos, VideoOutputSerializer)

    @extend_schema(
        summary="Add a video to a course (owner, admin)",
        request=VideoInputSerializer,
        responses={201: VideoOutputSerializer} | course_errors(400, 401, 403, 404, 409),
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
        responses={200: VideoOutputSerializer} | course_errors(VIDEO_NOT_FOUND),
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
        responses={200: VideoOutputSerializer} | course_errors(400, 401, 403, VIDEO_NOT_FOUND, 409),
        examples=[VIDEO_WRITE_EXAMPLE, VIDEO_RESPONSE_EXAMPLE],
    )
    def put(self, request: Request, video_id: str) -> Response:
        return self._update(request, video_id, partial=False)

    @extend_schema(
        summary="Update a video; orderIndex moves it (owner, admin)",
        request=VideoInputSerializer,
        responses={200: VideoOutputSerializer} | course_errors(400, 401, 403, VIDEO_NOT_FOUND, 409),
        examples=[VIDEO_MOVE_EXAMPLE, VIDEO_RESPONSE_EXAMPLE],
    )
    def patch(self, request: Request, video_id: str) -> Response:
        return self._update(request, video_id, partial=True)

    @extend_schema(
        summary="Delete a video; later videos move up (owner, admin)",
        responses={204: None} | course_errors(401, 403, VIDEO_NOT_FOUND),
        examples=[DELETED_EXAMPLE],
    )
    def delete(self, request: Request, video_id: str) -> Response:
        video = video_visible_to(user=request.user, video_id=video_id)
        _managed(user=request.user, course=video.course)
        video_delete(video=video)
        return Response(status=204)


# --- Progress -------------------------------------------------------------------------------


class CourseProgressApi(APIView):
    """The signed-in user's own progress in a course: GET rows and summary, POST upserts one."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="My progress in a course",
        responses={200: COURSE_PROGRESS_RESPONSE} | course_errors(401, 404),
        examples=[COURSE_PROGRESS_EXAMPLE],
    )
    def get(self, request: Request, course_id: str) -> Response:
        user: User = request.user  # type: ignore[assignment]  # IsAuthenticated
        course = course_visible_to(user=user, course_id=course_id)
        progress = course_progress(user=user, course=course)
        return Response(
            {
                "course_id": course.pk,
                "progress": ProgressOutputSerializer(progress.rows, many=True).data,
                "summary": summary_data(progress),
            }
        )

    @extend_schema(
        summary="Record my position in a video of the course",
        request=ProgressInputSerializer,
        responses={200: ProgressOutputSerializer, 201: ProgressOutputSerializer}
        | course_errors(400, 401, 404),
        examples=PROGRESS_WRITE_EXAMPLES,
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
        responses={200: paginated_schema("PaginatedMyProgressList", MY_COURSES_PROGRESS)}
        | course_errors(401),
        examples=[MY_COURSES_EXAMPLE],
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
