"""What every chat model speaks: the `ChatModel` protocol, its stream events, usage and errors.

These are our own types: a vendor's SDK objects are turned into them at the vendor's class, so
the relay, persistence and the rest of the chat never see an SDK type.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from chat.prompts import ChatPrompt


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + self.cache_write_tokens
        )


@dataclass(frozen=True, slots=True)
class TextDelta:
    """Text that arrived in one read from the vendor: `tokens` deltas joined."""

    text: str
    tokens: int = 1


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """The vendor's own keep-alive (Anthropic's `ping`): the stream is alive but silent."""


@dataclass(frozen=True)
class StreamEnd:
    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None


@dataclass(frozen=True)
class UsageUpdate:
    """Usage known mid-stream (input tokens at the start), kept in case the stream is cut."""

    usage: Usage


StreamEvent = TextDelta | KeepAlive | UsageUpdate | StreamEnd


class ProviderError(Exception):
    """A provider failed. `retryable`: overloaded, rate-limited, 5xx, timeout, connection."""

    def __init__(self, message: str, *, provider: str, retryable: bool, status: int | None = None):
        super().__init__(message)
        self.provider = provider
        self.retryable = retryable
        self.status = status


class ChatModel(Protocol):
    provider: str  # "anthropic", "openai", "local": what `done` and usage rows name
    model: str
    paid: bool  # paid calls write an AIUsage row
    # A read returns all the text that has arrived (so pausing between reads coalesces it);
    # False when each read is one upstream chunk, i.e. one token (httpx's chunked decoding).
    buffered_reads: bool

    def stream(self, prompt: ChatPrompt) -> AsyncIterator[StreamEvent]:
        """Text deltas (one per read from the vendor), then one StreamEnd. Raises ProviderError."""
        ...
