from django.urls import URLPattern, URLResolver, path

from chat.apis import ConversationApi, ConversationsApi
from chat.feedback_apis import MessageFeedbackApi
from chat.streams import chat_api
from chat.usage_apis import UsageApi

urlpatterns: list[URLPattern | URLResolver] = [
    path("chat", chat_api, name="chat"),
    path("conversations", ConversationsApi.as_view(), name="conversations"),
    path("conversations/<uuid:conversation_id>", ConversationApi.as_view(), name="conversation"),
    path("usage", UsageApi.as_view(), name="usage"),
    path(
        "messages/<int:message_id>/feedback", MessageFeedbackApi.as_view(), name="message-feedback"
    ),
]
