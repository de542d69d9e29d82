"""Start-up checks of the Clerk configuration (Django system checks)."""

from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from accounts.clerk import authorized_parties, is_configured, jwt_key


@register(Tags.security)
def clerk_settings_check(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """A bad PEM key refuses to start; a Clerk that can accept no token is a warning."""
    messages: list[CheckMessage] = []
    key = jwt_key()
    if key:
        try:
            valid = isinstance(load_pem_public_key(key.encode()), RSAPublicKey)
        except ValueError:
            valid = False
        if not valid:
            messages.append(
                Error(
                    "CLERK_JWT_KEY is not a PEM RSA public key.",
                    hint="Copy the PEM public key from the Clerk dashboard (API keys).",
                    id="accounts.E001",
                )
            )
    if is_configured() and not authorized_parties():
        messages.append(
            Warning(
                "Clerk is configured but no origin is trusted: every Clerk token is refused.",
                hint="Set CORS_ALLOWED_ORIGINS (or CLERK_AUTHORIZED_PARTIES).",
                id="accounts.W001",
            )
        )
    if is_configured() and not settings.CLERK_WEBHOOK_SIGNING_SECRET:
        messages.append(
            Warning(
                "CLERK_WEBHOOK_SIGNING_SECRET is not set: Clerk's user updates and deletions "
                "are refused.",
                hint="Add the webhook endpoint in the Clerk dashboard and copy its secret.",
                id="accounts.W002",
            )
        )
    return messages
