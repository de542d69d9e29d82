"""/api/chat in the OpenAPI schema: a plain async view, so drf-spectacular cannot see it."""

from typing import Any

from django.conf import settings

from learnwithavi.openapi import ErrorExample, error_response_object

_STRING = {"type": "string"}
_UUID = {"type": "string", "format": "uuid"}
# An id the caller may leave out, send as null, or send empty.
_OPTIONAL_ID = {"anyOf": [{**_UUID, "nullable": True}, {"type": "string", "enum": [""]}]}
# A character that survives the server's cleaning (control characters out, whitespace trimmed).
_NOT_BLANK = r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"

CHAT_REQUEST = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {**_STRING, "minLength": 1, "maxLength": 10000, "pattern": _NOT_BLANK},
        "videoId": _OPTIONAL_ID,
        "courseId": _OPTIONAL_ID,
        "conversationId": {
            **_OPTIONAL_ID,
            "description": "Continue a stored conversation (owner).",
        },
        "position": {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 86400, "nullable": True},
                {"type": "string", "enum": [""]},
            ],
            "description": "Playback second.",
        },
        "conversationHistory": {
            "type": "array",
            "maxItems": 20,
            "description": "For callers without a stored conversation.",
            "items": {
                "type": "object",
                "required": ["role", "content"],
                "properties": {"role": {"enum": ["user", "assistant"]}, "content": _STRING},
            },
        },
        "context": {
            "type": "object",
            "description": "Compatibility: only chunk ids are used; their text is reloaded.",
            "properties": {"chunks": {"type": "array", "items": {"type": "object"}}},
        },
    },
}

_SOURCE = {
    "type": "object",
    "description": "A transcript passage the answer cites as [number].",
    "required": [
        "number", "chunkId", "videoId", "youtubeId", "title", "startTime", "endTime", "url",
        "text", "score",
    ],
    "properties": {
        "number": {"type": "integer", "minimum": 1},
        "chunkId": {"type": "integer"},
        "videoId": _UUID,
        "youtubeId": _STRING,
        "title": _STRING,
        "startTime": {"type": "number", "description": "Seconds into the video"},
        "endTime": {"type": "number"},
        "url": {**_STRING, "description": "Opens the video at startTime"},
        "text": _STRING,
        "score": {"type": "number"},
    },
}  # fmt: skip
EVENTS = {
    "ChatSource": _SOURCE,
    "ChatContentEvent": {
        "type": "object",
        "description": "A piece of the answer; append `content` to what came before.",
        "required": ["type", "content"],
        "properties": {"type": {"enum": ["content"]}, "content": _STRING},
    },
    "ChatDoneEvent": {
        "type": "object",
        "description": "The last event of a complete answer.",
        "required": ["type", "sources", "fullContent", "provider", "conversationId"],
        "properties": {
            "type": {"enum": ["done"]},
            "sources": {"type": "array", "items": {"$ref": "#/components/schemas/ChatSource"}},
            "fullContent": _STRING,
            "provider": {"enum": ["anthropic", "openai", "local"]},
            "conversationId": {
                **_UUID,
                "nullable": True,
                "description": "The stored conversation (signed-in callers), else null",
            },
            "messageId": {
                "type": "integer",
                "nullable": True,
                "description": "The stored answer (signed-in callers), for its feedback; else null",
            },
        },
    },
    "ChatErrorEvent": {
        "type": "object",
        "description": "Ends an answer that failed after the stream opened (instead of done).",
        "required": ["type", "error", "code"],
        "properties": {
            "type": {"enum": ["error"]},
            "error": {**_STRING, "description": "Translated, user-friendly"},
            "code": {"enum": ["provider_unavailable", "provider_error"]},
        },
    },
    "ChatEvent": {
        "description": "The JSON of one `data:` line of the chat stream.",
        "oneOf": [
            {"$ref": f"#/components/schemas/{name}"}
            for name in ("ChatContentEvent", "ChatDoneEvent", "ChatErrorEvent")
        ],
        "discriminator": {
            "propertyName": "type",
            "mapping": {
                kind: f"#/components/schemas/Chat{kind.capitalize()}Event"
                for kind in ("content", "done", "error")
            },
        },
    },
}

SSE_DESCRIPTION = """\
Server-Sent Events (`text/event-stream`). Each event is one `data:` line holding a JSON
`ChatEvent` (see the components `ChatContentEvent`, `ChatDoneEvent`, `ChatErrorEvent`), then a
blank line; comment lines (`: ping`) keep an idle connection open and carry no data.

    data: {"type":"content","content":"…"}          (many)
    data: {"type":"done","sources":[ChatSource…],"fullContent":"…","provider":"local","conversationId":null,"messageId":null}
    data: {"type":"error","error":"…","code":"provider_unavailable"}   (instead of done)

Sources are the passages the answer cites as [n], each checked against what the model was sent.
`messageId` (signed-in learners) is the stored answer, for POST /api/messages/{id}/feedback.
"""  # noqa: E501  the event lines are examples
SSE_EXAMPLE = (
    'data: {"type":"content","content":"Overfitting means the model learns the noise [1]."}\n\n'
    ": ping\n\n"
    'data: {"type":"done","sources":[{"number":1,"chunkId":42,'
    '"videoId":"7a2e4c6b-1d3f-4e5a-8b9c-0d1e2f3a4b5c","youtubeId":"lwaDemoHe01",'
    '"title":"What is machine learning?","startTime":125.0,"endTime":140.5,'
    '"url":"https://www.youtube.com/watch?v=lwaDemoHe01&t=125s",'
    '"text":"A model that fits the noise…","score":0.8731}],'
    '"fullContent":"Overfitting means the model learns the noise [1].","provider":"local",'
    '"conversationId":null}\n\n'
)
ERRORS = (
    ErrorExample(400, "message_empty", "message: ask a question."),
    ErrorExample(400, "message_too_long", "message: at most 10000 characters."),
    ErrorExample(400, "malformed_json", "The request body is not valid JSON."),
    ErrorExample(401, "not_authenticated", "Sign in to do this."),
    ErrorExample(401, "authentication_failed", "The credentials are not valid."),
    ErrorExample(403, "csrf_failed", "The CSRF token is missing or not valid."),
    ErrorExample(404, "video_not_found", "Not found."),
    ErrorExample(404, "conversation_not_found", "Not found."),
    ErrorExample(413, "payload_too_large", "The request body is too large."),
    ErrorExample(429, "rate_limited", "Too many requests. Please wait a moment and try again."),
    ErrorExample(
        429,
        "token_budget_exceeded",
        "You have used today's tutor budget. It renews at midnight UTC.",
    ),
)


def document_chat_stream(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: adds POST /api/chat."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(
        {"ChatRequest": CHAT_REQUEST, **EVENTS}
    )
    # Signed in (token or session) or, when CHAT_ALLOW_ANONYMOUS, not at all.
    security: list[dict[str, list[str]]] = [{"cookieAuth": []}, {"bearerAuth": []}]
    if settings.CHAT_ALLOW_ANONYMOUS:
        security.append({})
    responses: dict[str, Any] = {
        "200": {
            "description": SSE_DESCRIPTION,
            "headers": {
                "Cache-Control": {"schema": {"enum": ["no-cache"]}},
                "X-Accel-Buffering": {"schema": {"enum": ["no"]}},
            },
            "content": {
                "text/event-stream": {
                    # One event, as OpenAPI 3.2's itemSchema has it; its data is a ChatEvent.
                    "schema": {
                        "type": "object",
                        "required": ["data"],
                        "properties": {
                            "event": {"enum": ["message"]},
                            "data": {
                                **_STRING,
                                "contentMediaType": "application/json",
                                "contentSchema": {"$ref": "#/components/schemas/ChatEvent"},
                            },
                        },
                    },
                    "example": SSE_EXAMPLE,
                }
            },
        }
    }
    for status in sorted({error.status for error in ERRORS}):
        responses[str(status)] = error_response_object(
            status, *(error for error in ERRORS if error.status == status)
        )
    result.setdefault("paths", {})["/api/chat"] = {
        "post": {
            "operationId": "chat_stream",
            "summary": "Ask the tutor: the answer streams as Server-Sent Events",
            "description": (
                "Anyone may ask when CHAT_ALLOW_ANONYMOUS is on (the default); signed-in "
                "callers' conversations are stored. Validation, authentication, the rate "
                "limit and the daily budget are checked before the stream opens and fail as "
                "JSON errors."
            ),
            "tags": ["chat"],
            "security": security,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ChatRequest"}}
                },
            },
            "responses": responses,
        }
    }
    return result
