"""The courses API in OpenAPI: examples, documented errors and the inline response shapes."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

from courses.serializers import CourseBriefSerializer, ProgressOutputSerializer, SummarySerializer
from learnwithavi.openapi import EXAMPLE_TIME as NOW
from learnwithavi.openapi import ErrorExample, errors

COURSE_ID = "3f1c2a9e-8d4b-4c1e-9a7f-2b6d5e8c1a40"
VIDEO_ID = "7a2e4c6b-1d3f-4e5a-8b9c-0d1e2f3a4b5c"
OWNER_ID = "c0ffee00-1234-4abc-9def-0123456789ab"

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


def page_example(name: str, item: dict[str, Any]) -> OpenApiExample:
    return OpenApiExample(
        name,
        value={"count": 1, "next": None, "previous": None, "results": [item]},
        response_only=True,
    )


# --- Errors -----------------------------------------------------------------------------------

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


def course_errors(*cases: int | ErrorExample) -> dict[int, OpenApiResponse]:
    """Documented error responses (learnwithavi.openapi adds those every operation shares)."""
    return errors(*(ERRORS[case] if isinstance(case, int) else case for case in cases))


DELETED_EXAMPLE = OpenApiExample("Deleted", value=None, response_only=True, status_codes=[204])


# --- Courses ----------------------------------------------------------------------------------

COURSE_CREATE_EXAMPLES = [
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
]
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

# --- Videos -----------------------------------------------------------------------------------

VIDEO_WRITE_EXAMPLE = OpenApiExample(
    "New video",
    value={"youtubeId": "lwaDemoHe02", "title": "ירידה בגרדיאנט", "duration": 660},
    request_only=True,
)
VIDEO_MOVE_EXAMPLE = OpenApiExample("Move to the top", value={"orderIndex": 0}, request_only=True)
VIDEO_RESPONSE_EXAMPLE = OpenApiExample("Video", value=VIDEO_EXAMPLE, response_only=True)

# --- Progress ---------------------------------------------------------------------------------

COURSE_PROGRESS_RESPONSE = inline_serializer(
    "CourseProgress",
    {
        "course_id": serializers.UUIDField(),
        "progress": ProgressOutputSerializer(many=True),
        "summary": SummarySerializer(),
    },
)
COURSE_PROGRESS_EXAMPLE = OpenApiExample(
    "Progress",
    value={
        "courseId": COURSE_ID,
        "progress": [PROGRESS_EXAMPLE],
        "summary": SUMMARY_EXAMPLE,
    },
    response_only=True,
)
PROGRESS_WRITE_EXAMPLES = [
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
]
MY_COURSES_PROGRESS = inline_serializer(
    "MyCourseProgress",
    {"course": CourseBriefSerializer(), "summary": SummarySerializer()},
    many=True,
)
MY_COURSES_EXAMPLE = page_example(
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
