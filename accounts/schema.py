"""OpenAPI: how the API's bearer authentication is documented (drf-spectacular extension)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # drf-spectacular's metaclass
    target_class = "accounts.authentication.BearerAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "Clerk session token (JWT) or API token",
            "description": (
                "A Clerk session token from the frontend (`await getToken()`), or an API token "
                "from POST /api/auth/token (staff scripts, demo users). The scheme is "
                "case-insensitive."
            ),
        }
