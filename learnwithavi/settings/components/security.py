"""Rate limits, trusted proxies and the browser security headers (every response;
learnwithavi/middleware.py)."""

# django-csp's policy values
from csp.constants import NONCE, NONE, SELF

from learnwithavi.settings.components.environment import env

# Rate limits per scope: "N/period", period in s, m, h or d.
RATE_LIMITS = {
    "api": env.str("RATE_LIMIT_API", default="300/m"),
    "auth": env.str("RATE_LIMIT_AUTH", default="20/m"),
    "search": env.str("RATE_LIMIT_SEARCH", default="60/m"),
    "chat": env.str("RATE_LIMIT_CHAT", default="10/m"),
    "tts": env.str("RATE_LIMIT_TTS", default="5/m"),
    "transcribe": env.str("RATE_LIMIT_TRANSCRIBE", default="10/m"),
    # The admin's sign-in: per client address, and per account from browsers that have not
    # signed in to it before (accounts/admin_login.py).
    "admin_login": env.str("RATE_LIMIT_ADMIN_LOGIN", default="10/m"),
    "admin_login_account": env.str("RATE_LIMIT_ADMIN_LOGIN_ACCOUNT", default="10/h"),
    # Feedback posts per client (POST /api/messages/{id}/feedback).
    "feedback": env.str("RATE_LIMIT_FEEDBACK", default="30/m"),
}
# Proxy headers (X-Forwarded-For) are believed only when the direct peer is one of these.
TRUSTED_PROXIES: list[str] = env.list("TRUSTED_PROXIES", default=[])

# No inline script runs without the request's nonce; views widen the policy for themselves
# (the demo page lets YouTube in with csp.decorators.csp_update).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # Inline style attributes and <style> blocks (the admin, Swagger UI, the demo page).
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features no page of ours uses are switched off (the demo page may use the microphone).
PERMISSIONS_POLICY = env.str(
    "PERMISSIONS_POLICY",
    default=(
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(self), payment=(), usb=(), browsing-topics=()"
    ),
)
X_FRAME_OPTIONS = "DENY"
