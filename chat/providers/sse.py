"""Server-Sent Events read raw from a vendor's byte stream (cheaper than the SDKs' typed events)."""

from collections.abc import AsyncIterator


class SSEParser:
    """The Server-Sent Events of a byte stream, fed one read at a time; comments skipped."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[tuple[str, bytes]]:
        """(event name, data) of each event the bytes so far complete."""
        buffer = self._buffer + chunk
        if b"\n\n" not in buffer and b"\r\n\r\n" not in buffer:
            self._buffer = buffer
            return []
        if b"\r" in buffer:
            buffer = buffer.replace(b"\r\n", b"\n")
        *frames, self._buffer = buffer.split(b"\n\n")
        events: list[tuple[str, bytes]] = []
        for frame in frames:
            event = ""
            data: list[bytes] = []
            for line in frame.split(b"\n"):
                if line.startswith(b"data:"):
                    data.append(line[6:] if line[5:6] == b" " else line[5:])
                elif line.startswith(b"event:"):
                    event = line[6:].strip().decode()
            if data:
                events.append((event, b"\n".join(data)))
        return events


async def sse_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[str, bytes]]:
    """(event name, data) of each Server-Sent Event in a byte stream; comments skipped."""
    parser = SSEParser()
    async for chunk in chunks:
        for event in parser.feed(chunk):
            yield event
