"""Conversation history of the signed-in learner: list and detail, owner only."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.models import Conversation, Message
from chat.selectors import conversation_detail, conversation_list
from learnwithavi.openapi import ErrorExample, errors
from learnwithavi.pagination import paginated_response, paginated_schema


class ConversationOutputSerializer(serializers.ModelSerializer[Conversation]):
    videoId = serializers.UUIDField(source="video_id", allow_null=True)  # noqa: N815  camelCase API
    courseId = serializers.UUIDField(source="course_id", allow_null=True)  # noqa: N815
    videoTitle = serializers.CharField(source="video.title", allow_null=True, default=None)  # noqa: N815
    messageCount = serializers.IntegerField(source="message_count", read_only=True)  # noqa: N815
    createdAt = serializers.DateTimeField(source="created_at")  # noqa: N815
    updatedAt = serializers.DateTimeField(source="updated_at")  # noqa: N815

    class Meta:
        model = Conversation
        fields = (
            "id",
            "title",
            "videoId",
            "courseId",
            "videoTitle",
            "messageCount",
            "createdAt",
            "updatedAt",
        )


class MessageOutputSerializer(serializers.ModelSerializer[Message]):
    createdAt = serializers.DateTimeField(source="created_at")  # noqa: N815

    class Meta:
        model = Message
        fields = ("id", "role", "content", "sources", "status", "provider", "createdAt")


class ConversationDetailOutputSerializer(ConversationOutputSerializer):
    messageCount = None  # type: ignore[assignment]  # noqa: N815  the messages are listed instead
    messages = MessageOutputSerializer(many=True)

    class Meta(ConversationOutputSerializer.Meta):
        fields = (
            "id",
            "title",
            "videoId",
            "courseId",
            "videoTitle",
            "createdAt",
            "updatedAt",
            "messages",
        )


class ConversationsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="conversations_list",
        summary="My conversations with the tutor, newest first",
        responses=paginated_schema(
            "PaginatedConversationList", ConversationOutputSerializer(many=True)
        ),
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            request, self, conversation_list(user=request.user), ConversationOutputSerializer
        )


class ConversationApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="conversation_retrieve",
        summary="One of my conversations with its messages and cited sources",
        responses={200: ConversationDetailOutputSerializer}
        | errors(ErrorExample(404, "conversation_not_found", "Not found.")),
    )
    def get(self, request: Request, conversation_id: Any) -> Response:
        conversation = conversation_detail(user=request.user, conversation_id=conversation_id)
        return Response(ConversationDetailOutputSerializer(conversation).data)
