import json
from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from svix.webhooks import Webhook, WebhookVerificationError

from accounts.authentication import BearerAuthentication
from accounts.clerk import ClerkSession
from accounts.models import User
from accounts.services import ClerkEvent, clerk_webhook_process, token_obtain, token_revoke
from learnwithavi.errors import ApplicationError, PermissionDenied, ServiceUnavailable
from learnwithavi.openapi import ErrorExample, errors


def _error(description: str, code: str, message: str, status: int) -> OpenApiResponse:
    """One documented error of these views, in the shared Error shape (learnwithavi.openapi)."""
    return errors(ErrorExample(status, code, message))[status]


INVALID_CREDENTIALS = ErrorExample(401, "invalid_credentials", "Sign in to do this.")


class UserOutputSerializer(serializers.ModelSerializer[User]):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    clerk_id = serializers.CharField(allow_null=True)

    class Meta:
        model = User
        fields = ("id", "email", "role", "first_name", "last_name", "clerk_id")


class TokenApi(APIView):
    """Sign in with e-mail and password for an API token; DELETE signs out (revokes it)."""

    rate_limit_scope = "auth"

    class InputSerializer(serializers.Serializer[dict[str, str]]):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    def get_permissions(self):  # type: ignore[no-untyped-def]  # DRF's own signature
        return [IsAuthenticated()] if self.request.method == "DELETE" else []

    @extend_schema(
        summary="Obtain an API token",
        request=InputSerializer,
        responses={
            200: inline_serializer(
                "TokenOutput", {"token": serializers.CharField(), "user": UserOutputSerializer()}
            )
        }
        | errors(INVALID_CREDENTIALS, 401),
        examples=[
            OpenApiExample(
                "Sign in",
                value={"email": "student@example.com", "password": "…"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = token_obtain(**data.validated_data)
        return Response({"token": token.key, "user": UserOutputSerializer(token.user).data})

    @extend_schema(summary="Revoke the API token (sign out)", request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        token_revoke(user=request.user)  # type: ignore[arg-type]  # IsAuthenticated guarantees a User
        return Response(status=204)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The signed-in user", responses=UserOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request.user).data)  # type: ignore[arg-type]  # IsAuthenticated


class SessionApi(APIView):
    """A Django session from a Clerk session token, so an instructor opens the admin directly."""

    authentication_classes = [BearerAuthentication]
    permission_classes = [IsAuthenticated]
    rate_limit_scope = "auth"

    @extend_schema(
        summary="Start a Django session (for the admin) from a Clerk session token",
        description=(
            "Send the Clerk session token as `Authorization: Bearer <token>` with "
            "`credentials: 'include'`: the response sets the `sessionid` cookie that `/admin/` "
            "reads. Our own API tokens are refused (403)."
        ),
        request=None,
        responses={
            200: OpenApiResponse(
                UserOutputSerializer,
                examples=[
                    OpenApiExample(
                        "Instructor",
                        value={
                            "id": "5f0c8a9e-2a64-4a5e-9d1b-0c3f4b7e8a21",
                            "email": "teacher@example.com",
                            "role": "instructor",
                            "firstName": "Avi",
                            "lastName": "Cohen",
                            "clerkId": "user_2abcDEFghiJKLmnoPQRstuVWXyz",
                        },
                        response_only=True,
                    )
                ],
            ),
            401: _error(
                "No valid token", "authentication_failed", "The credentials are not valid.", 401
            ),
            403: _error(
                "An API token, not a Clerk token",
                "clerk_token_required",
                "Sign in on the frontend to open a session.",
                403,
            ),
        },
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.auth, ClerkSession):
            raise PermissionDenied(
                _("Sign in on the frontend to open a session."), code="clerk_token_required"
            )
        user: Any = request.user
        login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
        return Response(UserOutputSerializer(user).data)


_WEBHOOK_EXAMPLE = {
    "type": "user.updated",
    "object": "event",
    "timestamp": 1767268800000,
    "data": {
        "id": "user_2abcDEFghiJKLmnoPQRstuVWXyz",
        "object": "user",
        "primary_email_address_id": "idn_2abc",
        "email_addresses": [{"id": "idn_2abc", "email_address": "learner@example.com"}],
        "first_name": "Dana",
        "last_name": "Levi",
        "public_metadata": {"role": "student"},
        "updated_at": 1767268800000,
    },
}


class ClerkWebhookApi(APIView):
    """Clerk's user events, verified with Svix; each delivery (`svix-id`) is applied once."""

    # The Svix signature is the authentication; Clerk retries are not rate-limited.
    authentication_classes: list[type] = []
    permission_classes: list[type] = []
    throttle_classes: list[type] = []

    @extend_schema(
        summary="Receive a Clerk webhook (user.created, user.updated, user.deleted)",
        description=(
            "Signed by Svix: `svix-id`, `svix-timestamp` (within 5 minutes) and `svix-signature` "
            "over the raw body. A delivery already processed answers 200 and changes nothing."
        ),
        parameters=[
            OpenApiParameter(name, str, OpenApiParameter.HEADER, required=True)
            for name in ("svix-id", "svix-timestamp", "svix-signature")
        ],
        request=inline_serializer(
            "ClerkWebhookEvent",
            {
                "type": serializers.CharField(),
                "object": serializers.CharField(),
                "data": serializers.JSONField(),
            },
        ),
        examples=[OpenApiExample("user.updated", value=_WEBHOOK_EXAMPLE, request_only=True)],
        responses={
            200: OpenApiResponse(
                inline_serializer(
                    "ClerkWebhookReceipt",
                    {"status": serializers.ChoiceField(choices=["processed", "duplicate"])},
                ),
                examples=[OpenApiExample("Processed", value={"status": "processed"})],
            ),
            400: _error(
                "Bad or stale signature, or a malformed payload",
                "invalid_signature",
                "The webhook signature is not valid.",
                400,
            ),
            503: _error(
                "CLERK_WEBHOOK_SIGNING_SECRET is not set",
                "webhooks_not_configured",
                "Clerk webhooks are not configured.",
                503,
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        secret = settings.CLERK_WEBHOOK_SIGNING_SECRET
        if not secret:
            raise ServiceUnavailable(
                _("Clerk webhooks are not configured."), code="webhooks_not_configured"
            )
        headers = {
            name: request.headers.get(name, "")
            for name in ("svix-id", "svix-timestamp", "svix-signature")
        }
        body = request.body
        try:
            Webhook(secret).verify(body, headers)
        except WebhookVerificationError:
            raise ApplicationError(
                _("The webhook signature is not valid."), code="invalid_signature"
            ) from None
        svix_id = headers["svix-id"]
        if len(svix_id) > 100:
            raise ApplicationError(_("The svix-id header is too long."), code="invalid_svix_id")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ApplicationError(
                _("The request body is not valid JSON."), code="malformed_json"
            ) from None
        event = ClerkEvent.from_payload(svix_id=svix_id, payload=payload)
        processed = clerk_webhook_process(event=event)
        return Response({"status": "processed" if processed else "duplicate"})
