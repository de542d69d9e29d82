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
from learnwithavi.fields import JSONDataField
from learnwithavi.openapi import ErrorExample, errors
from learnwithavi.pagination import paginated_response, paginated_schema


class ConversationOutputSerializer(serializers.ModelSerializer[Conversation]):
    video_id = serializers.UUIDField(allow_null=True)
    course_id = serializers.UUIDField(allow_null=True)
    video_title = serializers.CharField(source="video.title", allow_null=True, default=None)
    message_count = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        model = Conversation
        fields = (
            "id",
            "title",
            "video_id",
            "course_id",
            "video_title",
            "message_count",
            "created_at",
            "updated_at",
        )


class MessageOutputSerializer(serializers.ModelSerializer[Message]):
    created_at = serializers.DateTimeField()
    # Stored JSON: the cited sources as the chat sent them, sent back as they are.
    sources = JSONDataField(required=False)  # as the model field (a default) makes it

    class Meta:
        model = Message
        fields = ("id", "role", "content", "sources", "status", "provider", "created_at")


class ConversationDetailOutputSerializer(ConversationOutputSerializer):
    message_count = None  # type: ignore[assignment]  # the messages are listed instead
    messages = MessageOutputSerializer(many=True)

    class Meta(ConversationOutputSerializer.Meta):
        fields = (
            "id",
            "title",
            "video_id",
            "course_id",
            "video_title",
            "created_at",
            "updated_at",
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
