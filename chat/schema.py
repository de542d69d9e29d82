"""/api/chat in the OpenAPI schema: a plain async view, so drf-spectacular cannot see it."""

from typing import Any

_STRING = {"type": "string"}
_UUID = {"type": "string", "format": "uuid"}

CHAT_REQUEST = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {**_STRING, "minLength": 1, "maxLength": 10000},
        "videoId": _UUID,
        "courseId": _UUID,
        "conversationId": {**_UUID, "description": "Continue a stored conversation (owner)."},
        "position": {"type": "number", "minimum": 0, "description": "Playback second."},
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

SSE_DESCRIPTION = """\
Server-Sent Events, one JSON object per `data:` line; comment lines (`: ping`) keep the
connection open.

    data: {"type": "content", "content": "…"}            (many)
    data: {"type": "done", "sources": [...], "fullContent": "…", "provider": "anthropic|openai|local", "conversationId": "…"|null, "messageId": 123|null}
    data: {"type": "error", "error": "…", "code": "provider_unavailable|provider_error"}

Each source: number, chunkId, videoId, youtubeId, title, startTime, endTime, url, text, score.
`messageId` (signed-in learners) is the stored answer, for POST /api/messages/{id}/feedback.
"""  # noqa: E501  the event lines are examples


def document_chat_stream(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: adds POST /api/chat."""
    error = {"$ref": "#/components/schemas/ChatError"}
    result.setdefault("components", {}).setdefault("schemas", {}).update(
        {
            "ChatRequest": CHAT_REQUEST,
            "ChatError": {
                "type": "object",
                "properties": {"error": _STRING, "code": _STRING, "timestamp": _STRING},
            },
        }
    )
    result.setdefault("paths", {})["/api/chat"] = {
        "post": {
            "operationId": "chat_stream",
            "summary": "Ask the tutor: the answer streams as Server-Sent Events",
            "tags": ["chat"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ChatRequest"}}
                },
            },
            "responses": {
                "200": {
                    "description": SSE_DESCRIPTION,
                    "content": {"text/event-stream": {"schema": _STRING}},
                },
                **{
                    status: {
                        "description": description,
                        "content": {"application/json": {"schema": error}},
                    }
                    for status, description in (
                        ("400", "Invalid body, message, history or ids"),
                        ("401", "Not signed in (when anonymous chat is off) or a bad token"),
                        ("403", "CSRF token missing (session callers)"),
                        ("404", "Video, course or conversation not visible"),
                        ("429", "Rate limit or daily token budget"),
                    )
                },
            },
        }
    }
    return result
