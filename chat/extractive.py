"""The local answerer: a short answer composed of the most relevant transcript sentences.

No model and no network. Each sentence of the retrieved sources is scored by:
- the question's terms it contains, each weighted by its rarity among the retrieved sentences
  (IDF), matched on `rag.text` normalised words with their Hebrew one-letter prefixes stripped
  ("בירידה" finds "ירידה") and light English suffix stripping ("overfits" finds "overfitting");
- for a "what is X" question, whether it defines X ("X הוא ...", "נקראת X", "X is / means /
  refers to ...", "is called X");
- its neighbours: a sentence right after a transcript question that matches ("What happens if
  ...?") is where the answer is, and the question itself answers nothing;
- a little for the source's retrieval score and for being in the question's language.
A sentence held by overlapping chunks counts once per video, and its neighbours are found across
those chunks. The best few are quoted most relevant first (then in time order), each with its [n]
citation and the time the sentence is said, estimated by its character position between the
chunk's start and end. A sentence that continues the quoted one ("It ...", "היא ...", the second
half of an answer) is kept with it; when only another source holds it, both are cited ([1][2]).
"""

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from chat.prompts import Language, detect_language, format_timestamp
from rag.text import STOP_WORDS, normalize, prefix_variants
from rag.types import SearchHit

MAX_SENTENCES = 3
# A bullet scoring below this share of the best one is noise, not an answer.
MIN_RELATIVE_SCORE = 0.45
# A sentence this short says little alone: the next one is quoted with it.
SHORT_SENTENCE_WORDS = 8
MAX_BULLET_WORDS = 60

# A sentence ends at . ! ? followed by a space (not inside "0.5"), or at a line break.
_SENTENCE = re.compile(r"\S.*?(?:[.!?؟。]+(?=\s|$)|(?=\n)|$)", re.S)
_QUESTION_MARK = re.compile(r"[?؟]\s*$")

# Question words and fillers that carry no topic (compared in `rag.text.normalize` form).
_QUESTION_STOP_WORDS = frozenset(
    normalize(word)
    for word in STOP_WORDS
    | {
        "איך", "מהו", "מהי", "מהם", "מהן", "מדוע", "כיצד", "קורה", "קורים", "עושה", "עושים",
        "לעשות", "אפשר", "צריך", "צריכים", "כדי", "בשביל", "בבקשה", "הסבר", "תסביר", "אומר",
        "אומרת", "are", "were", "does", "did", "happens", "happen", "happening", "mean", "means",
        "should", "would", "could", "do", "if", "very", "really", "please", "explain", "tell",
        "me", "about", "there", "their", "our", "my", "your", "its", "an", "so", "than", "then",
        "into",
    }
)  # fmt: skip

# "what is X": the question words after which the focus term comes.
_DEFINITION_QUESTION = re.compile(
    r"^(?:מה\s+(?:זה|זו|זאת|הוא|היא|הם|הן)|מהו|מהי|מהם|מהן|מה\s+פירוש|מה\s+המשמעות\s+של|"
    r"what\s+(?:is|are|was|were|does)(?:\s+(?:a|an|the))?|define|what's(?:\s+(?:a|an|the))?)\s+"
    r"(?P<focus>.+)$",
    re.IGNORECASE,
)
# Words that end the focus term: "the learning rate IN gradient descent".
_FOCUS_END = frozenset(
    {"in", "of", "for", "when", "with", "during", "on", "at", "mean", "do", "used", "and", "or"}
)
MAX_FOCUS_WORDS = 2
# Copulas and defining words (normalised): "X הוא ...", "X is ...", "X means ...", and also
# "the first kind is X", "the most famous one is X".
_COPULAS = frozenset(
    {"הוא", "היא", "הם", "הנ", "זה", "זו", "פירושו", "פירושה", "כלומר", "מוגדר", "מוגדרת",
     "is", "are", "means", "refers", "describes"}
)  # fmt: skip
# Naming words before the term: "נקראת X", "is called X", "known as X", "we call X".
_NAMING = frozenset(
    {"נקרא", "נקראת", "נקראימ", "נקראות", "קוראימ", "מכונה", "called", "call", "known", "named",
     "termed"}
)  # fmt: skip
# Words that open a sentence continuing the previous one.
_CONTINUES = frozenset(
    {"היא", "הוא", "הם", "הנ", "זה", "זו", "זאת", "ולכנ", "לכנ", "כלומר", "כך", "אז", "אבל",
     "it", "its", "this", "that", "thats", "they", "these", "those", "so", "but", "which",
     "because", "here"}
)  # fmt: skip
# Weights of the score's parts, on the scale of a full match of the question's terms (1.0).
DEFINITION_WEIGHT = 1.0
FOCUS_MENTION = 0.3
AFTER_QUESTION = 0.8  # the sentence right after a transcript question that matches
NEIGHBOUR = 0.2
QUESTION_SENTENCE = 0.3  # a transcript question asks; it does not answer
FOCUS_TERM_WEIGHT = 2.0


def _english_stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            if suffix in ("ing", "ed") and len(word) > 4 and word[-1] == word[-2]:
                word = word[:-1]  # "overfitting" -> "overfitt" -> "overfit"
            return word
    return word


def word_forms(word: str) -> set[str]:
    """A normalised word with its prefix-stripped (Hebrew) or stemmed (English) forms."""
    forms = {word, *prefix_variants(word)}
    if word.isascii():
        forms.add(_english_stem(word))
    return forms


def terms(text: str) -> set[str]:
    """Every form of every word of the text, for matching."""
    found: set[str] = set()
    for word in normalize(text).split():
        found |= word_forms(word)
    return found


def question_terms(question: str) -> list[set[str]]:
    """The question's meaningful words, each as the set of its forms."""
    wanted: list[set[str]] = []
    for word in dict.fromkeys(normalize(question).split()):
        if word in _QUESTION_STOP_WORDS or len(word) < 2:
            continue
        forms = {f for f in word_forms(word) if f not in _QUESTION_STOP_WORDS}
        if forms:
            wanted.append(forms)
    return wanted


def focus_terms(question: str) -> list[set[str]]:
    """What a "what is X" question asks to define (up to two words), else nothing."""
    match = _DEFINITION_QUESTION.match(question.strip().rstrip("?؟ .!"))
    if match is None:
        return []
    focus: list[set[str]] = []
    for word in normalize(match["focus"]).split():
        if word in _FOCUS_END or len(focus) == MAX_FOCUS_WORDS:
            break
        if word in _QUESTION_STOP_WORDS:
            continue
        focus.append(word_forms(word))
    return focus


@dataclass(frozen=True)
class Sentence:
    number: int  # the source's [n]
    position: int  # order inside the source
    text: str
    score: float
    start: float = 0.0  # estimated second at which it is said
    also: int | None = None  # the source of an appended next sentence, when it is another one


@dataclass
class _Unit:
    """One transcript sentence, once per video however many overlapping chunks hold it."""

    text: str
    words: list[set[str]]  # each normalised word's forms, in order
    forms: set[str]
    is_question: bool
    number: int  # the best-scored source holding it
    position: int
    start: float
    prior: float = 0.0
    # Every source holding it: number -> (position, estimated start, prior).
    places: dict[int, tuple[int, float, float]] = field(default_factory=dict)
    previous: "_Unit | None" = None
    following: "_Unit | None" = None
    match: float = 0.0
    score: float = 0.0


def _split(hit: SearchHit) -> list[tuple[int, str]]:
    """(character offset, sentence) of each sentence of a source."""
    parts = [(m.start(), m.group().strip()) for m in _SENTENCE.finditer(hit.text)]
    return [(offset, text) for offset, text in parts if text] or [(0, hit.text.strip())]


def sentence_time(hit: SearchHit, offset: int) -> float:
    """When the text at `offset` is said: interpolated between the chunk's start and end."""
    length = len(hit.text.rstrip())
    if length <= 0 or hit.end_time <= hit.start_time:
        return hit.start_time
    share = min(max(offset / length, 0.0), 1.0)
    return hit.start_time + share * (hit.end_time - hit.start_time)


def _units(question: str, sources: Sequence[SearchHit]) -> list[_Unit]:
    """The sources' sentences, deduplicated per video and linked to their neighbours."""
    language = detect_language(question)
    best_hit = max((max(hit.score, 0.0) for hit in sources), default=0.0) or 1.0
    units: dict[tuple[object, str], _Unit] = {}
    for number, hit in enumerate(sources, start=1):
        prior = 0.1 * max(hit.score, 0.0) / best_hit
        prior += 0.1 if detect_language(hit.text) == language else 0.0
        previous: _Unit | None = None
        for position, (offset, text) in enumerate(_split(hit)):
            normalized = normalize(text).split()
            start = sentence_time(hit, offset)
            key = (hit.video_id, " ".join(normalized) or text)
            unit = units.get(key)
            if unit is None:
                words = [word_forms(w) for w in normalized]
                unit = units[key] = _Unit(
                    text=text,
                    words=words,
                    forms=set().union(*words) if words else set(),
                    is_question=bool(_QUESTION_MARK.search(text)),
                    number=number,
                    position=position,
                    start=start,
                    prior=prior,
                )
            elif prior > unit.prior:
                # Neighbouring chunks overlap: a sentence counts once, under its best source.
                unit.number, unit.position, unit.prior = number, position, prior
                unit.start = start
            unit.places[number] = (position, start, prior)
            if previous is not None:
                previous.following = previous.following or unit
                unit.previous = unit.previous or previous
            previous = unit
    return list(units.values())


def _focus_at(words: list[set[str]], focus: list[set[str]]) -> tuple[int, int] | None:
    """(first, last) word index of the focus term's first whole occurrence."""
    for first in range(len(words) - len(focus) + 1):
        if all(words[first + i] & term for i, term in enumerate(focus)):
            return first, first + len(focus) - 1
    return None


def _defines(words: list[set[str]], focus: list[set[str]]) -> float:
    """How much a sentence defines the focus term X, from 0 (absent) to 1.

    1 for "X is ..." opening the sentence and for "called X" / "נקראת X"; 0.8 for "X is"
    later in the sentence and for "the most famous one is X"; FOCUS_MENTION otherwise.
    """
    at = _focus_at(words, focus) if focus else None
    if at is None:
        return 0.0
    first, last = at
    after = words[last + 1 : last + 3]
    before = words[max(0, first - 3) : first]
    if any(forms & _NAMING for forms in words[max(0, first - 2) : first]):
        return 1.0
    if any(forms & _COPULAS for forms in after):
        return 1.0 if first <= 2 else 0.8
    if any(forms & (_NAMING | _COPULAS) for forms in before):
        return 0.8
    return FOCUS_MENTION


def _score(question: str, units: list[_Unit], focus: list[set[str]]) -> None:
    wanted = question_terms(question)
    # Rarer terms weigh more: a word in every retrieved sentence (the lecture's topic) says
    # little about which sentence answers.
    weights = []
    for term in wanted:
        df = sum(1 for unit in units if unit.forms & term)
        weight = math.log((len(units) + 1) / (df + 0.5)) if df else 0.0
        # In "what is X in Y", X is what is asked; Y only places it.
        weights.append(FOCUS_TERM_WEIGHT * weight if any(term & f for f in focus) else weight)
    possible = sum(weights) or 1.0
    for unit in units:
        matched = sum(w for term, w in zip(wanted, weights, strict=True) if term & unit.forms)
        unit.match = matched / possible + DEFINITION_WEIGHT * _defines(unit.words, focus)
    for unit in units:
        own = unit.match * (QUESTION_SENTENCE if unit.is_question else 1.0)
        # The answer follows the transcript's own question; neighbours add context.
        context = 0.0
        if unit.previous is not None:
            share = AFTER_QUESTION if unit.previous.is_question else NEIGHBOUR
            context = share * unit.previous.match
        if unit.following is not None and not unit.following.is_question:
            context = max(context, NEIGHBOUR * unit.following.match)
        unit.score = own + context + unit.prior if own + context > 0 else 0.0


def _continues(unit: _Unit, following: _Unit, focus: list[set[str]]) -> bool:
    """Whether the next sentence belongs in the same bullet."""
    if following.is_question:
        return False
    opening = normalize(following.text).split()[:1]
    at = _focus_at(unit.words, focus) if focus else None
    answers_transcript_question = (
        unit.previous is not None
        and unit.previous.is_question
        and AFTER_QUESTION * unit.previous.match > unit.match
    )
    return (
        len(unit.words) < SHORT_SENTENCE_WORDS
        # The answer to the transcript's own question often takes two sentences.
        or answers_transcript_question
        or bool(opening and opening[0] in _CONTINUES)
        # "The most famous one is dropout." introduces the term: the next sentence explains it.
        or (at is not None and at[1] == len(unit.words) - 1)
    )


def best_sentences(
    question: str, sources: Sequence[SearchHit], *, limit: int = MAX_SENTENCES
) -> list[Sentence]:
    """The sentences that answer best, most relevant first, each timed where it is said.

    A sentence's text may hold the sentence after it, when that one continues it.
    """
    units = _units(question, sources)
    focus = focus_terms(question)
    _score(question, units, focus)
    ranked = sorted(
        (unit for unit in units if unit.score > 0),
        key=lambda u: (-round(u.score, 6), u.start, u.number),
    )
    if not ranked:
        # Nothing shares a word with the question: the top source's opening still helps.
        hit = sources[0]
        offset, text = _split(hit)[0]
        return [Sentence(1, 0, text, hit.score, sentence_time(hit, offset))]
    floor = ranked[0].score * MIN_RELATIVE_SCORE
    used: set[int] = set()
    chosen: list[Sentence] = []
    for unit in ranked:
        if len(chosen) == limit or unit.score < floor:
            break
        if id(unit) in used:
            continue  # already quoted as the continuation of another bullet
        parts = [unit]
        following = unit.following
        if (
            following is not None
            and id(following) not in used
            and _continues(unit, following, focus)
            and len(unit.words) + len(following.words) <= MAX_BULLET_WORDS
        ):
            parts.append(following)
        used.update(id(part) for part in parts)
        number, also = unit.number, None
        if len(parts) == 2 and number not in parts[1].places:
            # Cite a source that holds both sentences, else both sources.
            both = [n for n in unit.places if n in parts[1].places]
            if both:
                number = max(both, key=lambda n: unit.places[n][2])
            else:
                also = parts[1].number
        position, start, _prior = unit.places[number]
        text = " ".join(part.text for part in parts)
        chosen.append(Sentence(number, position, text, unit.score, start, also))
    return chosen


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
    language = detect_language(question)
    phrases = PHRASES[language]
    if not sources:
        return phrases["not_found"]
    sentences = best_sentences(question, sources)
    languages = {detect_language(sources[s.number - 1].text) for s in sentences}
    same_language = language in languages
    lines = [phrases["intro"] if same_language else phrases["intro_other_language"]]
    for sentence in sentences:
        cited = f"[{sentence.number}]" + (f"[{sentence.also}]" if sentence.also else "")
        lines.append(f"• ({format_timestamp(sentence.start)}) {sentence.text} {cited}")
    lines.append(phrases["outro"])
    return "\n".join(lines)
