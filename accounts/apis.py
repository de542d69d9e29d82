from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.services import token_obtain, token_revoke
from learnwithavi.openapi import ErrorExample, errors

INVALID_CREDENTIALS = ErrorExample(401, "invalid_credentials", "Sign in to do this.")


class UserOutputSerializer(serializers.ModelSerializer[User]):
    firstName = serializers.CharField(source="first_name")  # noqa: N815  the frontend's camelCase
    lastName = serializers.CharField(source="last_name")  # noqa: N815
    clerkId = serializers.CharField(source="clerk_id", allow_null=True)  # noqa: N815

    class Meta:
        model = User
        fields = ("id", "email", "role", "firstName", "lastName", "clerkId")


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
