import pytest

from rag.text import (
    index_text,
    normalize,
    prefix_variants,
    query_terms,
    tsquery_terms,
    tsquery_text,
)


def test_niqqud_punctuation_and_final_letters():
    assert normalize("שָׁלוֹם, עוֹלָם!") == "שלומ עולמ"
    assert normalize("ירידה־בגרדיאנט (SGD).") == "ירידה בגרדיאנט sgd"
    assert normalize("צ'אט ו\"ח") == "צאט וח"  # noqa: RUF001


@pytest.mark.parametrize(
    ("word", "variants"),
    [
        ("בגרדיאנט", ["גרדיאנט"]),
        ("ובגרדיאנט", ["בגרדיאנט", "גרדיאנט"]),
        ("שבמודל", ["במודל", "מודל", "ודל"]),  # over-stripping costs a little precision
        ("גרדיאנט", []),
        ("בית", []),  # the stem would be too short to mean anything
        ("model", []),
    ],
)
def test_prefix_variants(word, variants):
    assert prefix_variants(word) == variants


def test_index_text_holds_words_and_their_stripped_forms():
    words = index_text("ובגרדיאנט, המודל").split()
    assert {"ובגרדיאנט", "בגרדיאנט", "גרדיאנט", "המודל", "מודל"} <= set(words)


def test_query_terms_drop_question_words():
    assert query_terms("מה זה בגרדיאנט?") == [["בגרדיאנט", "גרדיאנט"]]
    assert query_terms("What is overfitting?") == [["overfitting"]]


def test_tsquery_is_an_or_of_quoted_lexemes():
    assert tsquery_text("ירידה בגרדיאנט") == "'ירידה' | 'בגרדיאנט' | 'גרדיאנט'"
    assert tsquery_text("מה זה?") == ""


def test_tsquery_terms_give_each_word_its_forms_by_configuration():
    """One entry per meaningful word, so the search can count how many of them a chunk holds."""
    assert tsquery_terms("What is ובגרדיאנט in splits?") == [
        {"simple": "'ובגרדיאנט' | 'בגרדיאנט' | 'גרדיאנט'"},
        {"simple": "'splits'", "english": "'splits'"},
    ]
    assert tsquery_terms("מה זה?") == []


def test_query_terms_give_an_irregular_verb_its_other_forms():
    """The `english` stemmer keeps "chosen" and "choose" apart; a query word finds both."""
    assert query_terms("How should the strength be chosen?") == [
        ["should"],
        ["strength"],
        ["chosen", "choose", "chose"],
    ]
    assert query_terms("choose") == [["choose", "chose", "chosen"]]
    # forms that are question words are dropped, ambiguous forms are not verbs here
    assert query_terms("done") == [["done"]]
    assert query_terms("left bound") == [["left"], ["bound"]]
    assert tsquery_terms("taught") == [
        {"simple": "'taught' | 'teach'", "english": "'taught' | 'teach'"}
    ]
