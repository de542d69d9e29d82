"""Redacts secrets and personal data from every message that leaves the server or reaches a log.

Covered: Anthropic, OpenAI and ElevenLabs API keys, bearer tokens and key-like header or
parameter values, URLs with credentials and any database or broker URL, POSIX and Windows file
paths, e-mail addresses, IPv4 and IPv6 addresses.
"""

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

REDACTED = "[REDACTED]"

_API_KEY = re.compile(
    r"sk-ant-[A-Za-z0-9_\-]{8,}"  # Anthropic
    r"|sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{16,}"  # OpenAI
    r"|sk_[A-Za-z0-9]{24,}"  # ElevenLabs
    r"|\b[a-f0-9]{32}\b"  # ElevenLabs legacy keys: 32 hex characters
)
_KEY_NAME = (
    r"(?:x-|xi-)?api[_-]?key|authorization|access[_-]?token|refresh[_-]?token|"
    r"secret(?:[_-]?key)?|password|passwd|pwd|client[_-]?secret"
)
_KEY_SEPARATOR = r"\"?'?\s*[:=]\s*\"?'?"
# A key name after "bearer" ("Bearer x-api-key: …") introduces its own value: the bearer rule
# leaves it to _KEY_VALUE, which redacts the value (taking the name instead, it left the value).
_BEARER = re.compile(
    rf"(?i)\b(bearer|token|basic)(\s+)(?!(?:{_KEY_NAME}){_KEY_SEPARATOR})[A-Za-z0-9._~+/\-=]{{8,}}"
)
_KEY_VALUE = re.compile(rf"(?i)\b({_KEY_NAME})({_KEY_SEPARATOR})(?!\[REDACTED\])([^\s\"',;&}}]+)")
_SERVICE_URL = re.compile(
    r"(?i)\b(?:postgres(?:ql)?|psql|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|"
    r"sqlite|sqla|oracle|mssql|nats|mqtt|kafka|sentinel)(?:\+[a-z0-9]+)?://\S+"
)
_URL_WITH_CREDENTIALS = re.compile(r"(?i)\b[a-z][a-z0-9+.\-]*://[^\s/@]*:[^\s/@]*@\S+")
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_WINDOWS_PATH = re.compile(r"(?i)(?:\b[a-z]:[\\/]|\\\\[^\s\\]+\\)[^\s\"'<>|*?]*")
# Our own URL paths (/api/..., /admin/...) are not file paths and stay readable in logs.
_POSIX_PATH = re.compile(
    r"(?<![\w:/.\-~])(?!/(?:api|admin|static)/)~?(?:/[^\s/\"'<>|:;,()\[\]{}]+){2,}/?"
)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6_CANDIDATE = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[\w.]+)?")


def _redact_ipv6(match: re.Match[str]) -> str:
    token = match.group(0)
    stripped = token.strip(".:") if not token.startswith("::") else token.rstrip(".")
    try:
        ipaddress.IPv6Address(stripped.split("%")[0])
    except ValueError:
        try:
            ipaddress.IPv6Address(token.split("%")[0])
        except ValueError:
            return token
        return REDACTED
    return token.replace(stripped, REDACTED)


def _redact_ipv4(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv4Address(match.group(0))
    except ValueError:
        return match.group(0)
    return REDACTED


_STEPS: Sequence[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = (
    (_SERVICE_URL, REDACTED),
    (_URL_WITH_CREDENTIALS, REDACTED),
    (_API_KEY, REDACTED),
    (_BEARER, rf"\1\2{REDACTED}"),
    (_KEY_VALUE, rf"\1\2{REDACTED}"),
    (_EMAIL, REDACTED),
    (_WINDOWS_PATH, REDACTED),
    (_POSIX_PATH, REDACTED),
    (_IPV6_CANDIDATE, _redact_ipv6),
    (_IPV4, _redact_ipv4),
)


def sanitize(text: str) -> str:
    """Return `text` with every secret, credential, path and personal address redacted."""
    for pattern, replacement in _STEPS:
        text = pattern.sub(replacement, text)
    return text


_HEX_REQUEST_ID = re.compile(r"[a-f0-9]{32}")


def sanitize_request_id(value: str) -> str:
    """A request id as it may be logged: 32 hex digits (nginx's $request_id) stay readable.

    Anywhere else such a string is redacted (it may be a legacy ElevenLabs key); in the request
    id's own place it is the correlation id the log line exists to carry. Any other secret-like
    id is still redacted.
    """
    return value if _HEX_REQUEST_ID.fullmatch(value) else sanitize(value)


def sanitize_data(value: Any) -> Any:
    """Sanitize every string inside a JSON-like structure (dicts, lists, scalars)."""
    if isinstance(value, str):
        return sanitize(value)
    if isinstance(value, Mapping):
        return {key: sanitize_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [sanitize_data(item) for item in value]
    return value
