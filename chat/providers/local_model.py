"""The local extractive answerer: free, always there, the last in the fallback chain."""

import asyncio
from collections.abc import AsyncIterator

from chat.extractive import compose_answer
from chat.prompts import ChatPrompt
from chat.providers.base import StreamEnd, StreamEvent, TextDelta, Usage


class LocalChatModel:
    """The extractive answerer: quotes the best transcript sentences, word by word."""

    provider = "local"
    model = "extractive-v1"
    paid = False
    buffered_reads = True

    def __init__(self, *, word_delay: float = 0.0) -> None:
        self.word_delay = word_delay

    async def stream(self, prompt: ChatPrompt) -> AsyncIterator[StreamEvent]:
        answer = compose_answer(prompt.question, prompt.sources)
        words = [word + " " for word in answer.split(" ")]
        words[-1] = words[-1][:-1]
        delay = self.word_delay
        if not delay:
            for word in words:
                yield TextDelta(word)
                await asyncio.sleep(0)
        else:
            # Word n is due n delays after the start; a reader that comes back later (the
            # relay pauses between reads to coalesce) gets every word due by then at once.
            loop = asyncio.get_running_loop()
            started = loop.time()
            sent = 0
            while sent < len(words):
                due = min(len(words), int((loop.time() - started) / delay) + 1)
                if due <= sent:
                    await asyncio.sleep(started + sent * delay - loop.time())
                    continue
                yield TextDelta("".join(words[sent:due]), due - sent)
                sent = due
        yield StreamEnd(Usage(output_tokens=len(words)), "end_turn")
