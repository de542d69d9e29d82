from django.urls import path

from accounts.apis import ClerkWebhookApi, MeApi, SessionApi, TokenApi

urlpatterns = [
    path("auth/token", TokenApi.as_view(), name="auth-token"),
    path("auth/session", SessionApi.as_view(), name="auth-session"),
    path("me", MeApi.as_view(), name="me"),
    path("webhooks/clerk", ClerkWebhookApi.as_view(), name="clerk-webhook"),
]
