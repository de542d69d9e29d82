"""The frontend: cross-origin access and Clerk sign-in (accounts/)."""

from learnwithavi.settings.components.environment import env

# Origins of the learners' frontend (comma-separated, scheme://host[:port]). The one list of
# trusted frontends: CORS answers them, and Clerk tokens must name one of them as `azp`.
# Local settings default to the Next.js dev origins; production has no default.
CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = ("authorization", "content-type")
CORS_EXPOSE_HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "X-Request-ID",
    "X-TTS-Provider",
)
# Only POST /api/auth/session needs it (the frontend's fetch receives the admin's session
# cookie); a session-authenticated write from another origin still fails the CSRF check.
CORS_ALLOW_CREDENTIALS = True
CORS_PREFLIGHT_MAX_AGE = env.int("CORS_PREFLIGHT_MAX_AGE", default=600)
# The instance's PEM public key (Clerk dashboard, API keys): networkless verification. A value
# with literal \n escapes (as .env files carry it) is accepted.
CLERK_JWT_KEY = env.str("CLERK_JWT_KEY", default="")
# The Backend API secret: the JWKS when CLERK_JWT_KEY is unset, and new users' profiles.
CLERK_SECRET_KEY = env.str("CLERK_SECRET_KEY", default="")
CLERK_API_URL = env.str("CLERK_API_URL", default="https://api.clerk.com")
# Seconds the JWKS fetched with CLERK_SECRET_KEY is kept (an unknown kid refetches it sooner).
CLERK_JWKS_CACHE_SECONDS = env.int("CLERK_JWKS_CACHE_SECONDS", default=3600)
# The token's `iss` must equal this when set (https://<your-instance>.clerk.accounts.dev).
CLERK_ISSUER = env.str("CLERK_ISSUER", default="")
# Allowed `azp` (the origin that asked Clerk for the token); unset: CORS_ALLOWED_ORIGINS.
CLERK_AUTHORIZED_PARTIES: list[str] | None = env.list("CLERK_AUTHORIZED_PARTIES", default=None)
# Svix signing secret of the webhook endpoint (whsec_...); unset: webhooks are refused (503).
CLERK_WEBHOOK_SIGNING_SECRET = env.str("CLERK_WEBHOOK_SIGNING_SECRET", default="")
