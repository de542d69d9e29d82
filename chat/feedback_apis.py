"""POST /api/messages/{id}/feedback: the learner rates one of the tutor's answers to them."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.models import AnswerFeedback
from chat.questions import MAX_FEEDBACK_COMMENT_CHARS, answer_feedback_set
from chat.streams import clean_text
from learnwithavi.openapi import ErrorExample, errors


class FeedbackInputSerializer(serializers.Serializer[Any]):
    rating = serializers.ChoiceField(choices=AnswerFeedback.Rating.choices)
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_FEEDBACK_COMMENT_CHARS,
        trim_whitespace=True,
    )


class FeedbackOutputSerializer(serializers.ModelSerializer[AnswerFeedback]):
    message_id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        model = AnswerFeedback
        fields = ("message_id", "rating", "comment", "created_at", "updated_at")


class MessageFeedbackApi(APIView):
    permission_classes = [IsAuthenticated]
    rate_limit_scope = "feedback"

    @extend_schema(
        operation_id="message_feedback",
        summary="Rate one of the tutor's answers to me (a second rating replaces the first)",
        request=FeedbackInputSerializer,
        responses={
            200: FeedbackOutputSerializer,
            201: FeedbackOutputSerializer,
        }
        | errors(ErrorExample(404, "message_not_found", "Not found.")),
    )
    def post(self, request: Request, message_id: int) -> Response:
        data = FeedbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        feedback, created = answer_feedback_set(
            user=request.user,
            message_id=message_id,
            rating=data.validated_data["rating"],
            comment=clean_text(data.validated_data.get("comment", "")),
        )
        return Response(
            FeedbackOutputSerializer(feedback).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
