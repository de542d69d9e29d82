"""The id of the request being served, for log lines and the X-Request-ID header."""

import re
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_VALID_INCOMING_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")


def new_request_id(incoming: str | None) -> str:
    """Keep a caller's well-formed id (so traces join up across services), else make one."""
    if incoming and _VALID_INCOMING_ID.match(incoming):
        return incoming
    return str(uuid.uuid4())
