"""The chat's wire format: Server-Sent Events, each encoded once.

A content event is the JSON text of its piece between two constant byte strings; `done`
reuses those encoded pieces for `fullContent` instead of serialising the whole answer again
(JSON escapes character by character, so the pieces' escapes joined are the answer's).
Key names are camelCase, as everywhere on the wire (learnwithavi.casing), and are converted
once: at import for a source's keys and `fullContent`, once per answer for `done`'s fields;
never per content event.
"""

import json
from typing import Any

from learnwithavi.casing import camel
from rag.types import SearchHit

HEARTBEAT = b": ping\n\n"

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


_SOURCE_KEYS = tuple(
    camel(name)
    for name in (
        "number", "chunk_id", "video_id", "youtube_id", "title", "start_time", "end_time", "url",
        "text", "score",
    )
)  # fmt: skip
_FULL_CONTENT = camel("full_content")


def source_payload(number: int, hit: SearchHit) -> dict[str, Any]:
    values = (
        number,
        hit.chunk_id,
        str(hit.video_id),
        hit.youtube_id,
        hit.video_title,
        hit.start_time,
        hit.end_time,
        hit.url,
        hit.text,
        round(hit.score, 4),
    )
    return dict(zip(_SOURCE_KEYS, values, strict=True))


def sse_event(payload: dict[str, Any]) -> bytes:
    return f"data: {_encode(payload)}\n\n".encode()


_CONTENT_HEAD = b'data: {"type":"content","content":'
_TAIL = b"}\n\n"


class AnswerEvents:
    """The events of one answer. Each piece is JSON-escaped once: for its content event, and
    again never (`done`'s `fullContent` joins the escaped pieces)."""

    __slots__ = ("_escaped", "_pieces")

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._escaped: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self._pieces)

    def add(self, text: str) -> str:
        """Record text that was said without an event of its own (the learner had left)."""
        self._pieces.append(text)
        self._escaped.append(_encode(text)[1:-1])
        return text

    def content(self, text: str) -> bytes:
        quoted = _encode(text)
        self._pieces.append(text)
        self._escaped.append(quoted[1:-1])
        return _CONTENT_HEAD + quoted.encode() + _TAIL

    def done(self, *, sources: list[dict[str, Any]], **fields: Any) -> bytes:
        """`{"type":"done","sources":…,"fullContent":…, **fields}` as an event, `fields`
        named in snake_case (`message_id` is sent as `messageId`)."""
        head = _encode({"type": "done", "sources": sources})[:-1]
        rest = _encode({camel(name): value for name, value in fields.items()})[1:]
        separator = "," if fields else ""
        full = "".join(self._escaped)
        return f'data: {head},"{_FULL_CONTENT}":"{full}"{separator}{rest}\n\n'.encode()
