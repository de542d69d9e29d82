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
