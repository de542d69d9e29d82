"""API authentication classes. More (a Clerk JWT class) join DEFAULT_AUTHENTICATION_CLASSES."""

from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request


class BearerTokenAuthentication(TokenAuthentication):
    """DRF tokens sent as `Authorization: Bearer <key>` (or DRF's own `Token <key>`)."""

    keyword = "Bearer"

    def authenticate(self, request: Request):  # type: ignore[no-untyped-def]  # DRF's own signature
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.startswith("Token "):
            request.META["HTTP_AUTHORIZATION"] = "Bearer " + header[len("Token ") :]
        return super().authenticate(request)
