"""Hebrew-aware text normalisation, the same for indexing a chunk and for a search query.

Niqqud and cantillation marks are removed, punctuation becomes a space, final letters are
folded (ם→מ ...), Latin letters are lower-cased. A Hebrew word that starts with one of the
one-letter prefixes (vav, he, bet, lamed, mem, shin, kaf) is also indexed without them, so
"ובגרדיאנט" and "בגרדיאנט" both find "גרדיאנט". English stems come from the `english`
configuration of PostgreSQL; a query's irregular verb also finds its other forms ("chosen" finds
"choose"), which no stemmer joins.
"""

import re
import unicodedata

_MARKS = re.compile("[\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7]")
# Geresh, gershayim and apostrophes join a word (צ'אט, ת"א, don't); everything else splits.
_JOINERS = re.compile("[\u05f3\u05f4'\"`\u2019]")
_NOT_WORD = re.compile(r"[^0-9a-z\u05d0-\u05ea]+")
_FINALS = str.maketrans({"ך": "כ", "ם": "מ", "ן": "נ", "ף": "פ", "ץ": "צ"})  # noqa: RUF001
_HEBREW_WORD = re.compile("^[\u05d0-\u05ea]+$")
PREFIX_LETTERS = frozenset("והבלמשכ")
# A stripped form shorter than this is too ambiguous to be worth a match.
_MIN_STEM = 3
_MAX_PREFIXES = 3

# Question words and particles that would match every chunk under the `simple` configuration.
STOP_WORDS = frozenset(
    {
        "מה", "זה", "זו", "איכ", "למה", "מתי", "איפה", "מי", "האמ", "של", "את", "על", "עמ",
        "אני", "אתה", "הוא", "היא", "אנחנו", "הם", "יש", "אינ", "לא", "כנ", "גמ", "או",
        "אמ", "כי", "רק", "כל", "עוד", "אבל", "מאוד", "הזה", "הזאת", "אלה", "היה", "להיות",
        "the", "a", "an", "of", "to", "in", "is", "are", "was", "be", "and", "or", "what",
        "how", "why", "when", "where", "who", "does", "do", "did", "it", "this", "that",
        "for", "on", "with", "as", "by", "we", "you", "i", "can", "at", "from", "which",
    }
)  # fmt: skip

# Irregular English verbs (base, past, past participle) whose forms the Snowball stemmer keeps
# apart. Left out: verbs whose forms all stem alike, and forms that are common words of another
# meaning in lectures ("left", "bound", "mean", "light", "lay").
_IRREGULAR_VERBS = (
    "arise arose arisen; awake awoke awoken; beat beaten; become became; begin began begun; "
    "bend bent; bite bit bitten; bleed bled; blow blew blown; break broke broken; breed bred; "
    "bring brought; build built; burn burnt; buy bought; catch caught; choose chose chosen; "
    "cling clung; come came; creep crept; deal dealt; dig dug; do did done; draw drew drawn; "
    "dream dreamt; drink drank drunk; drive drove driven; eat ate eaten; fall fell fallen; "
    "feed fed; feel felt; fight fought; find found; flee fled; fly flew flown; "
    "forbid forbade forbidden; forget forgot forgotten; forgive forgave forgiven; "
    "freeze froze frozen; get got gotten; give gave given; go went gone; grow grew grown; "
    "hang hung; hear heard; hide hid hidden; hold held; keep kept; know knew known; lead led; "
    "lean leant; leap leapt; learn learnt; lend lent; lose lost; make made; meet met; "
    "mistake mistook mistaken; overcome overcame; pay paid; prove proven; rewrite rewrote "
    "rewritten; ride rode ridden; ring rang rung; rise rose risen; run ran; say said; see saw "
    "seen; seek sought; sell sold; send sent; shake shook shaken; shine shone; shoot shot; "
    "show shown; shrink shrank shrunk; sing sang sung; sink sank sunk; sit sat; sleep slept; "
    "slide slid; speak spoke spoken; speed sped; spend spent; spin spun; stand stood; "
    "steal stole stolen; stick stuck; sting stung; strike struck; strive strove striven; "
    "swear swore sworn; sweep swept; swim swam swum; swing swung; take took taken; "
    "teach taught; tear tore torn; tell told; think thought; throw threw thrown; "
    "understand understood; undo undid undone; wake woke woken; wear wore worn; "
    "weave wove woven; win won; withdraw withdrew withdrawn; write wrote written"
)
_VERB_FORMS: dict[str, tuple[str, ...]] = {
    form: tuple(other for other in forms if other != form)
    for forms in (verb.split() for verb in _IRREGULAR_VERBS.split(";"))
    for form in forms
}


def normalize(text: str) -> str:
    """The text's words, normalised and separated by single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _MARKS.sub("", text)
    text = _JOINERS.sub("", text.lower())
    text = text.translate(_FINALS)
    return " ".join(_NOT_WORD.sub(" ", text).split())


def prefix_variants(word: str) -> list[str]:
    """A Hebrew word's forms with up to three one-letter prefixes removed, longest first."""
    if not _HEBREW_WORD.match(word):
        return []
    variants = []
    stem = word
    for _ in range(_MAX_PREFIXES):
        if stem[0] not in PREFIX_LETTERS or len(stem) - 1 < _MIN_STEM:
            break
        stem = stem[1:]
        variants.append(stem)
    return variants


def index_text(text: str) -> str:
    """What the full-text column is built from: the words, then their prefix-stripped forms."""
    words = normalize(text).split()
    extra: list[str] = []
    for word in words:
        extra.extend(prefix_variants(word))
    return " ".join(words + extra)


def query_terms(query: str) -> list[list[str]]:
    """Each meaningful query word with its alternative forms (the word first)."""
    terms: list[list[str]] = []
    seen: set[str] = set()
    for word in normalize(query).split():
        if word in STOP_WORDS or word in seen or len(word) < 2:
            continue
        seen.add(word)
        alternatives = prefix_variants(word) or _VERB_FORMS.get(word, ())
        forms = [word, *[form for form in alternatives if form not in STOP_WORDS]]
        terms.append(forms)
    return terms


def tsquery_parts(query: str) -> dict[str, str]:
    """OR-tsquery texts by configuration: every word for `simple`, non-Hebrew ones for `english`.

    The index holds both (rag.models.TranscriptChunk.search_vector): an English word matches its
    exact form and, through the `english` configuration, its stem.
    """
    parts: dict[str, list[str]] = {"simple": [], "english": []}
    for forms in query_terms(query):
        if _HEBREW_WORD.match(forms[0]):
            parts["simple"].extend(forms)
        else:
            parts["simple"].extend(forms)
            parts["english"].extend(forms)
    # Lexemes are [0-9a-z\u05d0-\u05ea]+ only, so quoting them is all the escaping needed.
    return {
        config: " | ".join(f"'{lexeme}'" for lexeme in dict.fromkeys(lexemes))
        for config, lexemes in parts.items()
        if lexemes
    }


def tsquery_terms(query: str) -> list[dict[str, str]]:
    """Per meaningful query word, its OR-tsquery text by configuration (as `tsquery_parts`).

    The search counts how many of them a chunk matches: a chunk that holds more of the
    question's words ranks above one that repeats a single word.
    """
    terms: list[dict[str, str]] = []
    for forms in query_terms(query):
        text = " | ".join(f"'{lexeme}'" for lexeme in forms)
        terms.append(
            {"simple": text} if _HEBREW_WORD.match(forms[0]) else {"simple": text, "english": text}
        )
    return terms


def tsquery_text(query: str) -> str:
    """An OR-tsquery over every form of every query word; empty when nothing is left."""
    lexemes: list[str] = []
    for forms in query_terms(query):
        lexemes.extend(forms)
    # Lexemes are [0-9a-z\u05d0-\u05ea]+ only, so quoting them is all the escaping needed.
    return " | ".join(f"'{lexeme}'" for lexeme in dict.fromkeys(lexemes))
