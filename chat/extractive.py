"""The local answerer: a short answer composed of the most relevant transcript sentences.

No model and no network: each sentence of the retrieved sources is scored by the question's
words it contains (one-letter Hebrew prefixes are stripped on both sides), weighted
by the source's retrieval score. The best few are quoted in transcript order, each with its
[n] citation. Sources in the question's language are preferred when they answer as well.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from chat.prompts import Language, detect_language, format_timestamp
from rag.types import SearchHit

_SENTENCE_END = re.compile(r"(?<=[.!?؟。])\s+|\n+")
_WORD = re.compile(r"[\w\u0590-\u05FF']+", re.UNICODE)
_HEBREW_PREFIXES = ("וה", "שה", "בה", "לה", "מה", "כש", "ו", "ה", "ב", "ל", "מ", "ש", "כ")  # noqa: RUF001
_STOP_WORDS = frozenset(
    (
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "and",
        "or",
        "what",
        "how",
        "why",
        "when",
        "which",
        "who",
        "does",
        "do",
        "did",
        "it",
        "this",
        "that",
        "these",
        "those",
        "with",
        "about",
        "from",
        "can",
        "you",
        "your",
        "i",
        "me",
        "we",
        "they",
        "he",
        "she",
        "as",
        "by",
        "not",
        "מה",
        "איך",
        "למה",
        "מתי",
        "איפה",
        "מי",
        "של",
        "את",
        "על",
        "עם",
        "זה",
        "זו",
        "זאת",
        "הוא",
        "היא",
        "הם",
        "הן",
        "אני",
        "אתה",
        "יש",
        "אין",
        "גם",
        "כי",
        "אם",
        "או",
        "לא",
        "כן",
        "אבל",
        "רק",
        "כל",
    )
)
MAX_SENTENCES = 3


def _normalise(word: str) -> str:
    word = word.lower().strip("'")
    if re.match(r"[\u0590-\u05FF]", word) and len(word) > 3:
        for prefix in _HEBREW_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 2:
                return word[len(prefix) :]
    if len(word) > 4 and word.endswith("s"):
        return word[:-1]
    return word


def terms(text: str) -> set[str]:
    return {_normalise(w) for w in _WORD.findall(text) if w.lower() not in _STOP_WORDS}


@dataclass(frozen=True)
class Sentence:
    number: int  # the source's [n]
    position: int  # order inside the source
    text: str
    score: float


def _sentences(number: int, hit: SearchHit) -> list[tuple[int, str]]:
    parts = [p.strip() for p in _SENTENCE_END.split(hit.text) if p and p.strip()]
    return list(enumerate(parts or [hit.text.strip()]))


def best_sentences(
    question: str, sources: Sequence[SearchHit], *, limit: int = MAX_SENTENCES
) -> list[Sentence]:
    """The sentences that answer best, in source and transcript order."""
    wanted = terms(question)
    language = detect_language(question)
    scored: dict[str, Sentence] = {}
    for number, hit in enumerate(sources, start=1):
        same_language = detect_language(hit.text) == language
        for position, text in _sentences(number, hit):
            overlap = len(wanted & terms(text))
            if not overlap and wanted:
                continue
            score = overlap + 0.5 * max(hit.score, 0.0) + (0.25 if same_language else 0.0)
            key = " ".join(text.split()).lower()
            # Neighbouring chunks overlap: a sentence counts once, under its best source.
            if key not in scored or scored[key].score < score:
                scored[key] = Sentence(number, position, text, score)
    candidates = list(scored.values())
    if not candidates:
        # Nothing shares a word with the question: the top source's opening still helps.
        candidates = [
            Sentence(n, 0, _sentences(n, hit)[0][1], hit.score)
            for n, hit in enumerate(sources[:1], start=1)
        ]
    best = sorted(candidates, key=lambda s: -s.score)[:limit]
    return sorted(best, key=lambda s: (s.number, s.position))


# The answer's own words follow the question's language, not the page's: they are part of
# the answer, like the model's words, so they live here rather than in the UI catalog.
PHRASES: dict[Language, dict[str, str]] = {
    "en": {
        "not_found": "I could not find this in the video transcripts. Try rephrasing the "
        "question or asking about another part of the video.",
        "intro": "Here is what the video says:",
        "intro_other_language": "The video says this (quoted in its original language):",
        "outro": "Click a source to watch that moment.",
    },
    "he": {
        "not_found": "לא מצאתי את זה בתמלולי הסרטונים. נסו לנסח את השאלה אחרת "
        "או לשאול על חלק אחר של הסרטון.",
        "intro": "הנה מה שנאמר בסרטון:",
        "intro_other_language": "כך נאמר בסרטון (בשפת המקור):",
        "outro": "לחצו על מקור כדי לצפות ברגע הזה.",
    },
}


def compose_answer(question: str, sources: Sequence[SearchHit]) -> str:
    """The whole answer text, framed in the question's language, with [n] citations."""
    phrases = PHRASES[detect_language(question)]
    if not sources:
        return phrases["not_found"]
    sentences = best_sentences(question, sources)
    languages = {detect_language(sources[s.number - 1].text) for s in sentences}
    same_language = detect_language(question) in languages
    lines = [phrases["intro"] if same_language else phrases["intro_other_language"]]
    for sentence in sentences:
        at = format_timestamp(sources[sentence.number - 1].start_time)
        lines.append(f"• ({at}) {sentence.text} [{sentence.number}]")
    lines.append(phrases["outro"])
    return "\n".join(lines)
