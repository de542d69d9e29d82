"""GET /api/courses/{id}/insights: what the course's learners ask, for its instructor."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.models import AnswerFeedback
from courses.permissions import can_manage_course
from courses.selectors import course_visible_to
from insights.selectors import course_insights, insights_period
from learnwithavi.errors import PermissionDenied
from learnwithavi.openapi import ErrorExample, errors


class BinSerializer(serializers.Serializer[Any]):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    questions = serializers.IntegerField()


class HotspotSerializer(BinSerializer):
    examples = serializers.ListField(child=serializers.CharField())
    url = serializers.URLField(help_text="Opens the video at the hotspot's first second.")


class UnansweredSerializer(serializers.Serializer[Any]):
    question = serializers.CharField()
    position = serializers.FloatField(allow_null=True)
    asked_at = serializers.DateTimeField()


class FeedbackCommentSerializer(serializers.Serializer[Any]):
    rating = serializers.ChoiceField(choices=AnswerFeedback.Rating.choices)
    comment = serializers.CharField()
    question = serializers.CharField()


class FeedbackSummarySerializer(serializers.Serializer[Any]):
    up = serializers.IntegerField()
    down = serializers.IntegerField()
    comments = FeedbackCommentSerializer(many=True)


class VideoInsightsSerializer(serializers.Serializer[Any]):
    video_id = serializers.UUIDField()
    title = serializers.CharField()
    youtube_id = serializers.CharField()
    duration = serializers.IntegerField()
    questions = serializers.IntegerField()
    unanswered_count = serializers.IntegerField()
    bin_seconds = serializers.IntegerField()
    timeline = BinSerializer(many=True)
    hotspots = HotspotSerializer(many=True, help_text="The busiest stretches first.")
    unanswered = UnansweredSerializer(many=True, help_text="The latest first.")
    feedback = FeedbackSummarySerializer()


class CourseInsightsSerializer(serializers.Serializer[Any]):
    course_id = serializers.UUIDField()
    title = serializers.CharField()
    # `from` is a Python keyword: the wire names are given through get_fields.
    questions = serializers.IntegerField()
    learners = serializers.IntegerField(help_text="Distinct signed-in learners who asked.")
    unanswered_count = serializers.IntegerField()
    videos = VideoInsightsSerializer(many=True)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        return {
            "course_id": fields["course_id"],
            "title": fields["title"],
            "from": serializers.DateTimeField(source="since"),
            "to": serializers.DateTimeField(source="until"),
            **{name: f for name, f in fields.items() if name not in ("course_id", "title")},
        }


class CourseInsightsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="course_insights",
        summary="Where the course's learners get stuck: questions per video timeline, "
        "hotspots, unanswered questions, feedback (the course's instructor and admins)",
        parameters=[
            OpenApiParameter(
                "from",
                OpenApiTypes.DATE,
                description="Start (YYYY-MM-DD; an ISO 8601 date and time is accepted too); "
                "default: `to` minus 30 days.",
            ),
            OpenApiParameter(
                "to",
                OpenApiTypes.DATE,
                description="End (a day is included whole); default: now.",
            ),
        ],
        responses={
            200: CourseInsightsSerializer,
        }
        | errors(
            ErrorExample(400, "invalid_period", "The period is empty: from must be before to."),
            ErrorExample(
                403,
                "not_course_owner",
                "Only the course's instructor or an admin may see its insights.",
            ),
            ErrorExample(404, "course_not_found", "Not found."),
        ),
    )
    def get(self, request: Request, course_id: Any) -> Response:
        course = course_visible_to(user=request.user, course_id=course_id)
        if not can_manage_course(user=request.user, course=course):
            raise PermissionDenied(
                _("Only the course's instructor or an admin may see its insights."),
                code="not_course_owner",
            )
        since, until = insights_period(
            since=request.query_params.get("from"), until=request.query_params.get("to")
        )
        insights = course_insights(course=course, since=since, until=until)
        return Response(CourseInsightsSerializer(insights).data)
