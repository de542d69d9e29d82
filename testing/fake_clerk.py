"""Clerk as tests meet it: session tokens minted the way Clerk mints them, Svix-signed webhooks,
and a fake Backend API on 127.0.0.1 (`/v1/jwks`, `/v1/users/{id}`).

`ClerkInstance` holds an RSA key pair made in the test and signs v2 session tokens with PyJWT
(RS256, a `kid` header, Clerk's claims). `FakeClerk` serves the instance's JWKS and user
objects with every field Clerk's API returns, so the real `clerk-backend-api` SDK parses them.
"""

import json
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from svix.webhooks import Webhook

from testing.fake_http import FakeUpstream, RecordedRequest, Reply

ISSUER = "https://learnwithavi-test.clerk.accounts.dev"
FRONTEND = "http://localhost:3000"


def new_clerk_id() -> str:
    return f"user_{secrets.token_hex(12)}"


class ClerkInstance:
    """One Clerk instance's signing key; `token()` mints its session tokens."""

    def __init__(self, kid: str | None = None) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = kid or f"ins_{secrets.token_hex(10)}"

    @property
    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    @property
    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def jwk(self) -> dict[str, Any]:
        key = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**key, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def claims(self, sub: str, **overrides: Any) -> dict[str, Any]:
        """A v2 session token's claims; an override of None removes the claim."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "azp": FRONTEND,
            "exp": now + 60,
            "fva": [0, -1],
            "iat": now,
            "iss": ISSUER,
            "jti": secrets.token_hex(10),
            "nbf": now - 10,
            "sid": f"sess_{secrets.token_hex(12)}",
            "sts": "active",
            "sub": sub,
            "v": 2,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(
        self,
        sub: str,
        *,
        kid: str | None = None,
        algorithm: str = "RS256",
        key: Any = None,
        **overrides: Any,
    ) -> str:
        headers = {"kid": kid or self.kid, "typ": "JWT", "cat": "cl_B7d4PD111AAA"}
        signing_key = self.private_pem if key is None else key
        return jwt.encode(
            self.claims(sub, **overrides), signing_key, algorithm=algorithm, headers=headers
        )


def clerk_user(
    clerk_id: str,
    *,
    email: str | None = "learner@example.com",
    first_name: str | None = "Dana",
    last_name: str | None = "Levi",
    public_metadata: Mapping[str, Any] | None = None,
    unsafe_metadata: Mapping[str, Any] | None = None,
    updated_at: int | None = None,
) -> dict[str, Any]:
    """A Clerk user object, as webhooks and `GET /v1/users/{id}` carry it (times in ms)."""
    now = int(time.time() * 1000)
    email_id = f"idn_{secrets.token_hex(8)}"
    addresses = []
    if email is not None:
        addresses = [
            {
                "id": f"idn_{secrets.token_hex(8)}",
                "object": "email_address",
                "email_address": "secondary@example.com",
                "reserved": False,
                "verification": None,
                "linked_to": [],
                "created_at": now,
                "updated_at": now,
            },
            {
                "id": email_id,
                "object": "email_address",
                "email_address": email,
                "reserved": False,
                "verification": {"status": "verified", "strategy": "email_code", "attempts": 1,
                                 "expire_at": now + 600_000, "object": "verification_otp"},
                "linked_to": [],
                "created_at": now,
                "updated_at": now,
            },
        ]  # fmt: skip
    return {
        "id": clerk_id,
        "object": "user",
        "external_id": None,
        "primary_email_address_id": email_id if email is not None else None,
        "primary_phone_number_id": None,
        "primary_web3_wallet_id": None,
        "username": None,
        "first_name": first_name,
        "last_name": last_name,
        "image_url": "https://img.clerk.com/placeholder",
        "has_image": False,
        "public_metadata": dict(public_metadata or {}),
        "private_metadata": {},
        "unsafe_metadata": dict(unsafe_metadata or {}),
        "email_addresses": addresses,
        "phone_numbers": [],
        "web3_wallets": [],
        "passkeys": [],
        "password_enabled": False,
        "two_factor_enabled": False,
        "totp_enabled": False,
        "backup_code_enabled": False,
        "mfa_enabled_at": None,
        "mfa_disabled_at": None,
        "external_accounts": [],
        "saml_accounts": [],
        "enterprise_accounts": [],
        "last_sign_in_at": now,
        "banned": False,
        "locked": False,
        "lockout_expires_in_seconds": None,
        "verification_attempts_remaining": 100,
        "updated_at": updated_at if updated_at is not None else now,
        "created_at": now,
        "delete_self_enabled": True,
        "create_organization_enabled": True,
        "last_active_at": now,
        "legal_accepted_at": None,
    }


def webhook_delivery(
    secret: str,
    payload: Mapping[str, Any],
    *,
    msg_id: str | None = None,
    timestamp: datetime | None = None,
) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of a Svix delivery, signed by svix's own signer."""
    msg_id = msg_id or f"msg_{secrets.token_hex(12)}"
    timestamp = timestamp or datetime.now(tz=UTC)
    body = json.dumps(payload)
    signature = Webhook(secret).sign(msg_id, timestamp, body)
    headers = {
        "svix-id": msg_id,
        "svix-timestamp": str(int(timestamp.timestamp())),
        "svix-signature": signature,
    }
    return body.encode(), headers


def user_event(event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": event_type,
        "object": "event",
        "timestamp": int(time.time() * 1000),
        "data": dict(data),
        "event_attributes": {"http_request": {"client_ip": "", "user_agent": ""}},
    }


class FakeClerk(FakeUpstream):
    """Clerk's Backend API: the JWKS of `instances`, and the users in `users` (by id)."""

    def __init__(self, *instances: ClerkInstance) -> None:
        super().__init__()
        self.instances = list(instances)
        self.users: dict[str, dict[str, Any]] = {}

    def handle(self, request: RecordedRequest) -> Reply:
        if not request.headers.get("Authorization", "").startswith("Bearer sk_test_"):
            return Reply.json(_clerk_error("authentication_invalid", "Unauthorized"), status=401)
        path = request.path.split("?", 1)[0]
        if request.method == "GET" and path == "/v1/jwks":
            return Reply.json({"keys": [instance.jwk() for instance in self.instances]})
        if request.method == "GET" and path.startswith("/v1/users/"):
            user = self.users.get(path.removeprefix("/v1/users/"))
            if user is None:
                return Reply.json(_clerk_error("resource_not_found", "not found"), status=404)
            return Reply.json(user)
        return Reply.json(_clerk_error("resource_not_found", "not found"), status=404)

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]


def _clerk_error(code: str, message: str) -> dict[str, Any]:
    return {
        "errors": [{"message": message, "long_message": message, "code": code, "meta": {}}],
        "clerk_trace_id": secrets.token_hex(8),
    }
