"""Merging cues into retrieval-sized chunks that keep exact start and end times."""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.parsers import Cue

_TOKEN = re.compile(r"\w+|[^\w\s]")

# ~120 tokens (roughly 30-60 s of speech) is where the e5 model and BM25-style ranking both
# do well; a cue or two of overlap keeps an answer that straddles a boundary findable.
TARGET_TOKENS = 120
MAX_SECONDS = 60.0
OVERLAP_TOKENS = 25
# Cues said this long before the next chunk's first cue are not carried into it: after a long
# pause (a recording's silence) the overlap would pull the chunk's start time back by minutes.
OVERLAP_MAX_GAP_SECONDS = 15.0


@dataclass(frozen=True)
class Chunk:
    position: int
    start: float
    end: float
    text: str

    @property
    def content_hash(self) -> str:
        payload = f"{self.start:.3f}|{self.end:.3f}|{self.text}"
        return hashlib.sha256(payload.encode()).hexdigest()


def estimate_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


def chunk_cues(
    cues: Sequence[Cue],
    *,
    target_tokens: int = TARGET_TOKENS,
    max_seconds: float = MAX_SECONDS,
    overlap_tokens: int = OVERLAP_TOKENS,
) -> list[Chunk]:
    """Greedy merge: a chunk closes when it reaches the token target or the time span."""
    chunks: list[Chunk] = []
    current: list[Cue] = []
    tokens = 0
    fresh = 0  # cues in `current` that no closed chunk holds yet

    def close() -> None:
        chunks.append(
            Chunk(
                position=len(chunks),
                start=current[0].start,
                end=max(cue.end for cue in current),
                text=" ".join(cue.text for cue in current),
            )
        )

    for cue in cues:
        cue_tokens = estimate_tokens(cue.text)
        too_long = current and cue.end - current[0].start > max_seconds
        if current and (tokens + cue_tokens > target_tokens or too_long):
            close()
            # Carry the last cues (up to the overlap budget) into the next chunk.
            carried: list[Cue] = []
            carried_tokens = 0
            for previous in reversed(current[1:]):
                size = estimate_tokens(previous.text)
                if carried_tokens + size > overlap_tokens:
                    break
                if cue.start - previous.end > OVERLAP_MAX_GAP_SECONDS:
                    break
                carried.insert(0, previous)
                carried_tokens += size
            current, tokens, fresh = carried, carried_tokens, 0
        current.append(cue)
        tokens += cue_tokens
        fresh += 1
    if fresh:
        close()
    return chunks
