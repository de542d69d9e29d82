"""Relaying a provider with failover: the first provider that speaks answers.

Providers are tried in order. One that fails (or stays silent past the first-token deadline)
before its first token hands over to the next; while they are silent, the relay reports
`IDLE` every heartbeat interval so the caller can keep the connection alive. Waiting for the
first token is the only part that runs in a task of its own (it must be cancellable at the
deadline without losing the heartbeats). After the first token failover is over, and the
relay reads the provider's stream directly in the caller's task: no task, no queue, no timer
per read. Between two reads it pauses `coalesce` seconds, so that the tokens that arrive
meanwhile are read, and leave, together. A silent provider is then bounded by the SDK's read
timeout; the vendor's own keep-alives become `IDLE` when the learner has heard nothing for a
heartbeat interval.
"""

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy

from chat.prompts import ChatPrompt
from chat.providers.base import (
    ChatModel,
    KeepAlive,
    ProviderError,
    StreamEnd,
    StreamEvent,
    TextDelta,
    Usage,
    UsageUpdate,
)

logger = logging.getLogger(__name__)


class Attempt:
    """One provider's try: what it said and cost, for its usage row."""

    __slots__ = ("finished", "model", "started", "success", "tokens", "usage")

    def __init__(self, model: ChatModel) -> None:
        self.model = model
        self.started = time.perf_counter()
        self.finished: float | None = None
        self.tokens = 0
        self.usage: Usage | None = None
        # AIUsage.success: False only when the provider failed (`end`). An attempt the learner
        # abandoned is never ended, and stays a success: leaving is no failure of the provider's.
        self.success = True

    def end(self, *, success: bool) -> None:
        self.finished = time.perf_counter()
        self.success = success


@dataclass(frozen=True)
class Finished:
    model: ChatModel
    usage: Usage


@dataclass(frozen=True)
class Failed:
    code: str
    message: Any


class _Idle:
    """Nothing to say for a heartbeat interval."""


IDLE = _Idle()

RelayItem = str | _Idle | Finished | Failed

_UNAVAILABLE = Failed(
    "provider_unavailable",
    gettext_lazy("The tutor is busy right now. Please try again in a moment."),
)
_CUT_SHORT = Failed(
    "provider_error",
    gettext_lazy("The tutor could not finish this answer. Please try again."),
)


async def _close(stream: AsyncIterator[StreamEvent]) -> None:
    """Close a provider's stream (its upstream response) if it is still open."""
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


class ProviderRelay:
    """The answer of the first provider in `models` that speaks, as text then an outcome.

    `attempts` lists every provider tried (for usage rows), the current one last.
    """

    def __init__(
        self,
        *,
        models: Sequence[ChatModel],
        prompt: ChatPrompt,
        first_token_timeout: float,
        heartbeat: float,
        coalesce: float,
    ) -> None:
        self.models = models
        self.prompt = prompt
        self.first_token_timeout = first_token_timeout
        self.heartbeat = heartbeat
        self.coalesce = coalesce
        self.attempts: list[Attempt] = []

    @property
    def current(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    async def _first_text(
        self, stream: AsyncIterator[StreamEvent], attempt: Attempt
    ) -> TextDelta | None:
        """The provider's first text (None: it ended without any), within the deadline."""
        async with asyncio.timeout(self.first_token_timeout):
            async for event in stream:
                if type(event) is TextDelta:
                    return event
                if isinstance(event, UsageUpdate | StreamEnd):
                    attempt.usage = event.usage
        return None

    async def items(self) -> AsyncGenerator[RelayItem, None]:
        """Text pieces and `IDLE`s, then one Finished or Failed."""
        for model in self.models:
            attempt = Attempt(model)
            self.attempts.append(attempt)
            stream = model.stream(self.prompt)
            waiting = asyncio.ensure_future(self._first_text(stream, attempt))
            try:
                while True:
                    done, _ = await asyncio.wait((waiting,), timeout=self.heartbeat)
                    if done:
                        break
                    yield IDLE
                first = waiting.result()
            except Exception as error:  # ProviderError, TimeoutError, or a bug in a provider
                attempt.end(success=False)
                await _close(stream)
                if not self._may_fail_over(model, error, said=False):
                    yield _CUT_SHORT
                    return
                continue
            finally:
                if not waiting.done():  # the learner left while we waited
                    waiting.cancel()
                    await asyncio.gather(waiting, return_exceptions=True)
                    await _close(stream)
            try:
                if first is not None:
                    attempt.tokens = first.tokens
                    yield first.text
                    coalesce = self.coalesce if model.buffered_reads else 0.0
                    async for item in self._rest(stream, attempt, coalesce):
                        yield item
                attempt.end(success=True)
                yield Finished(model, attempt.usage or Usage())
            except Exception as error:
                attempt.end(success=False)
                self._may_fail_over(model, error, said=True)
                yield _CUT_SHORT
            finally:
                await _close(stream)
            return
        yield _UNAVAILABLE

    async def _rest(
        self, stream: AsyncIterator[StreamEvent], attempt: Attempt, coalesce: float
    ) -> AsyncIterator[str | _Idle]:
        """After the first token: read directly, pausing `coalesce` seconds after each text
        (a provider whose reads return one token each is not paused: it would fall behind)."""
        loop = asyncio.get_running_loop()
        heartbeat = self.heartbeat
        said_at = loop.time()
        if coalesce:
            await asyncio.sleep(coalesce)
        async for event in stream:
            kind = type(event)
            if kind is TextDelta:
                attempt.tokens += event.tokens  # type: ignore[union-attr]  # a TextDelta
                yield event.text  # type: ignore[union-attr]  # a TextDelta
                if coalesce:
                    await asyncio.sleep(coalesce)
                said_at = loop.time()
            elif kind is KeepAlive:
                if loop.time() - said_at >= heartbeat:
                    said_at = loop.time()
                    yield IDLE
            else:
                attempt.usage = event.usage  # type: ignore[union-attr]  # UsageUpdate, StreamEnd

    @staticmethod
    def _may_fail_over(model: ChatModel, error: Exception, *, said: bool) -> bool:
        """Log the failure; whether the next provider may answer instead."""
        if not isinstance(error, ProviderError | TimeoutError):
            logger.error("Chat provider %s raised unexpectedly", model.provider, exc_info=error)
        logger.warning(
            "Chat provider %s failed (%s)%s",
            model.provider,
            error,
            "" if said else " before its first token",
        )
        if said:
            return False
        return isinstance(error, TimeoutError) or (
            isinstance(error, ProviderError) and error.retryable
        )
