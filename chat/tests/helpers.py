"""Posting to /api/chat and reading its SSE bodies in tests."""

import json


def parse_events(body: bytes) -> tuple[list[dict], int]:
    """(data events, heartbeat comment count) of an SSE body."""
    events, heartbeats = [], 0
    for frame in body.decode().split("\n\n"):
        if not frame:
            continue
        if frame.startswith(":"):
            heartbeats += 1
            continue
        assert frame.startswith("data: "), frame
        events.append(json.loads(frame[len("data: ") :]))
    return events, heartbeats


async def read_stream(response) -> tuple[list[dict], int]:
    body = b""
    async for chunk in response.streaming_content:
        body += chunk
    return parse_events(body)


async def post(client, body, **headers):
    """POST /api/chat with a JSON body (or raw bytes, sent as they are)."""
    return await client.post(
        "/api/chat",
        json.dumps(body) if not isinstance(body, bytes) else body,
        content_type="application/json",
        headers=headers,
    )
