"""API authentication classes. More (a Clerk JWT class) join DEFAULT_AUTHENTICATION_CLASSES."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

_SCHEMES = (b"bearer", b"token")


class BearerTokenAuthentication(TokenAuthentication):
    """DRF tokens sent as `Authorization: Bearer <key>` (or DRF's own `Token <key>`)."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in _SCHEMES:
            return None  # another scheme: leave it to the next authentication class
        if len(parts) != 2:
            raise AuthenticationFailed(_("Invalid token header."))
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise AuthenticationFailed(_("Invalid token header.")) from None
        return self.authenticate_credentials(key)
