from django.urls import path

from accounts.apis import MeApi, TokenApi

urlpatterns = [
    path("auth/token", TokenApi.as_view(), name="auth-token"),
    path("me", MeApi.as_view(), name="me"),
]
