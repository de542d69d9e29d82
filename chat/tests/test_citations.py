from hypothesis import given
from hypothesis import strategies as st

from chat.citations import CitationFilter, clean_citations


def test_valid_citations_pass_and_are_listed_in_order():
    text, cited = clean_citations("A [2] and B [1][2].", source_count=3)
    assert text == "A [2] and B [1][2]."
    assert cited == [2, 1]


def test_unknown_numbers_are_dropped_with_the_space_before_them():
    text, cited = clean_citations("As said [9]. Also [0] here [1, 7].", source_count=2)
    assert text == "As said. Also here [1]."
    assert cited == [1]


def test_brackets_that_are_not_citations_stay():
    text, cited = clean_citations("See [the docs](x) and [] and [12 students]", source_count=2)
    assert text == "See [the docs](x) and [] and [12 students]"
    assert cited == []


def test_an_unfinished_bracket_at_the_end_is_released():
    text, _ = clean_citations("trailing [1", source_count=2)
    assert text == "trailing [1"


def test_hebrew_text_with_citations():
    text, cited = clean_citations("הגרדיאנט הוא וקטור [1] ולא [5].", source_count=1)
    assert text == "הגרדיאנט הוא וקטור [1] ולא."
    assert cited == [1]


@given(
    st.lists(st.sampled_from(["a", " ", "[", "]", "1", "2", "9", ",", "x", "\n", "[3]"])),
    st.lists(st.integers(min_value=1, max_value=5)),
)
def test_streaming_in_any_pieces_gives_the_same_text(parts, cuts):
    text = "".join(parts)
    whole, cited = clean_citations(text, source_count=2)
    streaming = CitationFilter(2)
    out, position = [], 0
    for cut in cuts:
        out.append(streaming.feed(text[position : position + cut]))
        position += cut
    out.append(streaming.feed(text[position:]))
    out.append(streaming.flush())
    assert "".join(out) == whole
    assert streaming.cited == cited
    for number in cited:
        assert 1 <= number <= 2
