"""The labelled benchmarks' corpus: a published course whose videos get the given transcripts.

Shared by retrieval_eval.py and answer_eval.py (run with Django set up, in a test database).
"""

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def ingest_course(transcripts: Mapping[str, str]) -> tuple[Any, dict[str, tuple[Any, str]]]:
    """(course, {youtube id: (video, transcript text)}) for `transcripts` (youtube id → path
    under the project root), ingested inline with the active embedding model."""
    from accounts.models import User
    from courses.models import Course, Video
    from rag.services import transcript_upload

    owner = User.objects.create_user("bench@example.test", role="instructor")
    course = Course.objects.create(slug="bench", title="Bench", owner=owner, is_published=True)
    videos: dict[str, tuple[Any, str]] = {}
    started = time.perf_counter()
    for index, (youtube_id, path) in enumerate(transcripts.items()):
        video = Video.objects.create(
            course=course, youtube_id=youtube_id, title=youtube_id, duration=3600,
            order_index=index,
        )  # fmt: skip
        content = (ROOT / path).read_text(encoding="utf-8")
        transcript_upload(video=video, content=content, filename=path, run_inline=True)
        videos[youtube_id] = (video, content)
    print(f"ingested {len(videos)} transcripts in {time.perf_counter() - started:.1f}s")
    return course, videos
