"""The comparison point for bench/chat_load.py: a bare ASGI app that relays the same stream.

No Django, no database, no retrieval: read the request, stream Claude's answer through the
same `anthropic` SDK from the same fake server, write each delta as the same SSE event. What
the real endpoint costs beyond this is our overhead. RELAY_TRANSPORT=aiohttp puts the SDK on
its DefaultAioHttpClient (the transport the chat uses by default), else the SDK's httpx.
"""

import json
import os
from typing import Any

import anthropic

client = anthropic.AsyncAnthropic(
    api_key="sk-ant-bench",
    base_url=os.environ["ANTHROPIC_BASE_URL"],
    max_retries=0,
    http_client=(
        anthropic.DefaultAioHttpClient()
        if os.environ.get("RELAY_TRANSPORT") == "aiohttp"
        else anthropic.DefaultAsyncHttpxClient()
    ),
)


async def sse_events(chunks: Any) -> Any:
    buffer = b""
    async for chunk in chunks:
        buffer += chunk
        *frames, buffer = buffer.split(b"\n\n")
        for frame in frames:
            name, data = "", b""
            for line in frame.split(b"\n"):
                if line.startswith(b"data: "):
                    data = line[6:]
                elif line.startswith(b"event: "):
                    name = line[7:].decode()
            if data:
                yield name, data


def event(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    question = json.loads(body or b"{}").get("message", "")
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")],
        }
    )
    parts: list[str] = []
    stream = await client.messages.create(
        model="claude-bench",
        max_tokens=400,
        system=[{"type": "text", "text": "bench"}],
        messages=[{"role": "user", "content": question}],
        stream=True,
    )
    async with stream:
        # Raw events, as chat.providers reads them (the SDK's typed events cost more).
        async for name, data in sse_events(stream.response.aiter_bytes()):
            if name == "content_block_delta":
                text = json.loads(data)["delta"].get("text", "")
                parts.append(text)
                await send(
                    {
                        "type": "http.response.body",
                        "body": event({"type": "content", "content": text}),
                        "more_body": True,
                    }
                )
    done = {"type": "done", "sources": [], "fullContent": "".join(parts), "provider": "bare"}
    await send({"type": "http.response.body", "body": event(done), "more_body": False})
