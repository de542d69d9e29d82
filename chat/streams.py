"""POST /api/chat: the streaming tutor, a plain async view under ASGI.

Authentication, the rate limit, validation and every database read happen before the first
byte, so each of them fails as an ordinary JSON error (raised here, shaped by
ApiErrorMiddleware). Then the answer streams as Server-Sent Events (chat.services.chat_stream).
"""

import json
import unicodedata
import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.authentication import arequest_user
from chat.prompts import Turn
from chat.services import ChatInput, chat_prepare, chat_stream
from learnwithavi.casing import camel
from learnwithavi.errors import (
    ApplicationError,
    NotAuthenticated,
    ValidationFailed,
)
from learnwithavi.ratelimit import acheck_request

MAX_MESSAGE_CHARS = 10_000
MAX_HISTORY_TURNS = 20
MAX_HISTORY_CHARS = 40_000
MAX_CONTEXT_CHUNKS = 20
_KEEP_CONTROL = {"\n", "\t"}
# The body's keys as the wire spells them (learnwithavi.casing), converted once, at import.
_VIDEO_ID, _COURSE_ID, _CONVERSATION_ID, _HISTORY = map(
    camel, ("video_id", "course_id", "conversation_id", "conversation_history")
)


def clean_text(value: str) -> str:
    """The text without control characters (newlines and tabs stay), stripped."""
    return "".join(
        ch for ch in value if ch in _KEEP_CONTROL or unicodedata.category(ch) != "Cc"
    ).strip()


def _uuid_field(body: dict[str, Any], name: str) -> uuid.UUID | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationFailed(
            _("%(field)s is not a valid id.") % {"field": name}, details={name: value}
        ) from None


def parse_chat_input(raw: bytes) -> ChatInput:
    """The validated request body. Raises ValidationFailed or a malformed_json error."""
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: [[[[...
        raise ApplicationError(
            _("The request body is not valid JSON."), code="malformed_json"
        ) from None
    if not isinstance(body, dict):
        raise ValidationFailed(_("The request body must be a JSON object."))
    # Only a \u escape can smuggle in a lone surrogate, which no UTF-8 encoder (logs, the
    # database, the vendors' SDKs) accepts.
    if b"\\u" in raw and (field := _field_with_surrogates(body)):
        raise ValidationFailed(
            _("%(field)s: surrogate characters are not allowed.") % {"field": field}
        )
    message = body.get("message")
    if not isinstance(message, str):
        raise ValidationFailed(_("message: this field is required."), code="message_required")
    message = clean_text(message)
    if not message:
        raise ValidationFailed(_("message: ask a question."), code="message_empty")
    if len(message) > MAX_MESSAGE_CHARS:
        raise ValidationFailed(
            _("message: at most %(limit)d characters.") % {"limit": MAX_MESSAGE_CHARS},
            code="message_too_long",
        )
    return ChatInput(
        message=message,
        video_id=_uuid_field(body, _VIDEO_ID),
        course_id=_uuid_field(body, _COURSE_ID),
        conversation_id=_uuid_field(body, _CONVERSATION_ID),
        history=_parse_history(body.get(_HISTORY)),
        chunk_ids=_parse_chunk_ids(body.get("context")),
        position=_parse_position(body.get("position")),
    )


def _field_with_surrogates(body: dict[str, Any]) -> str | None:
    """The first top-level field holding a lone surrogate (its name, or "body" if it is one)."""
    for name, value in body.items():
        try:
            name.encode()
        except UnicodeEncodeError:
            return "body"
        try:
            json.dumps(value, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            return name
    return None


def _parse_history(value: Any) -> list[Turn]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValidationFailed(_("conversationHistory must be a list of turns."))
    if len(value) > MAX_HISTORY_TURNS:
        raise ValidationFailed(
            _("conversationHistory: at most %(limit)d turns.") % {"limit": MAX_HISTORY_TURNS},
            code="history_too_long",
        )
    turns: list[Turn] = []
    total = 0
    for item in value:
        role = item.get("role") if isinstance(item, dict) else None
        content = item.get("content") if isinstance(item, dict) else None
        if role not in ("user", "assistant") or not isinstance(content, str):
            raise ValidationFailed(
                _("conversationHistory: each turn needs a role (user or assistant) and content.")
            )
        content = clean_text(content)[:MAX_MESSAGE_CHARS]
        total += len(content)
        if content:
            turns.append(Turn(role=role, content=content))
    if total > MAX_HISTORY_CHARS:
        raise ValidationFailed(
            _("conversationHistory: at most %(limit)d characters in all.")
            % {"limit": MAX_HISTORY_CHARS},
            code="history_too_long",
        )
    return turns


def _parse_chunk_ids(context: Any) -> list[int]:
    """The seed's `context.chunks`: only the ids are used (their text is reloaded)."""
    if not isinstance(context, dict):
        return []
    chunks = context.get("chunks") or []
    if not isinstance(chunks, list):
        raise ValidationFailed(_("context.chunks must be a list."))
    ids: list[int] = []
    for chunk in chunks[:MAX_CONTEXT_CHUNKS]:
        value = chunk.get("id") if isinstance(chunk, dict) else chunk
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            ids.append(int(value))
    return ids


def _parse_position(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        position = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("position must be a number of seconds.")) from None
    if position < 0 or position != position or position > 86_400:
        raise ValidationFailed(_("position must be a number of seconds."))
    return position


# Exempt from the CSRF middleware: bearer clients need no token; session users are checked
# by arequest_user, after it knows how the caller signed in.
@csrf_exempt
@require_POST
async def chat_api(request: HttpRequest) -> StreamingHttpResponse:
    user = await arequest_user(request)
    if not user.is_authenticated and not settings.CHAT_ALLOW_ANONYMOUS:
        raise NotAuthenticated()
    await acheck_request(request, "chat", user)
    data = parse_chat_input(request.body)
    prepared = await chat_prepare(user=user, data=data)
    response = StreamingHttpResponse(chat_stream(prepared), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
