"""What rag hands to other apps: plain dataclasses, never querysets or SDK types.

This is the contract between `rag.selectors.hybrid_search` and its callers (the search API,
the chat stream). Fields may be added; none may change meaning.
"""

import uuid
from dataclasses import dataclass, field
from typing import Literal

SearchMode = Literal["hybrid", "vector", "keyword"]


@dataclass(frozen=True)
class SearchHit:
    chunk_id: int
    video_id: uuid.UUID
    youtube_id: str
    video_title: str
    start_time: float
    end_time: float
    text: str
    score: float

    @property
    def url(self) -> str:
        """A link that opens the video at the chunk's first second."""
        return f"https://www.youtube.com/watch?v={self.youtube_id}&t={int(self.start_time)}s"


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit] = field(default_factory=list)
    # "keyword" when the embedding provider failed and search fell back to full-text only.
    mode: SearchMode = "hybrid"
