"""The chat's wire format: Server-Sent Events, each encoded once.

A content event is the JSON text of its piece between two constant byte strings; `done`
reuses those encoded pieces for `fullContent` instead of serialising the whole answer again
(JSON escapes character by character, so the pieces' escapes joined are the answer's).
"""

import json
from typing import Any

from rag.types import SearchHit

HEARTBEAT = b": ping\n\n"

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def source_payload(number: int, hit: SearchHit) -> dict[str, Any]:
    return {
        "number": number,
        "chunkId": hit.chunk_id,
        "videoId": str(hit.video_id),
        "youtubeId": hit.youtube_id,
        "title": hit.video_title,
        "startTime": hit.start_time,
        "endTime": hit.end_time,
        "url": hit.url,
        "text": hit.text,
        "score": round(hit.score, 4),
    }


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
        """`{"type":"done","sources":…,"fullContent":…, **fields}` as an event."""
        head = _encode({"type": "done", "sources": sources})[:-1]
        rest = _encode(fields)[1:] if fields else "}"
        separator = "," if fields else ""
        full = "".join(self._escaped)
        return f'data: {head},"fullContent":"{full}"{separator}{rest}\n\n'.encode()
