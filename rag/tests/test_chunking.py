from hypothesis import given
from hypothesis import strategies as st

from rag.chunking import chunk_cues, estimate_tokens
from rag.parsers import Cue


def _cues(count, words=20, seconds=5.0):
    return [Cue(i * seconds, i * seconds + seconds, f"word{i} " * words) for i in range(count)]


def test_chunks_respect_the_token_target_and_keep_exact_times():
    cues = _cues(20)
    chunks = chunk_cues(cues, target_tokens=60, max_seconds=1000, overlap_tokens=0)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(estimate_tokens(c.text) <= 60 for c in chunks)
    assert chunks[0].start == 0.0
    assert chunks[0].end == 15.0
    assert chunks[-1].end == cues[-1].end
    # Without overlap, every cue is in exactly one chunk.
    assert sum(c.text.count("word") for c in chunks) == 20 * 20


def test_overlap_repeats_the_last_cue_of_the_previous_chunk():
    chunks = chunk_cues(_cues(6), target_tokens=60, max_seconds=1000, overlap_tokens=25)
    assert chunks[1].start == chunks[0].end - 5.0
    assert chunks[1].text.startswith("word2 ")


def test_time_span_closes_a_chunk():
    chunks = chunk_cues(_cues(10, words=2, seconds=20), target_tokens=1000, max_seconds=45)
    assert all(c.end - c.start <= 45 for c in chunks)


def test_content_hash_changes_with_text_or_time():
    a, b = chunk_cues(_cues(1))[0], chunk_cues([Cue(0.5, 5.0, "word0 " * 20)])[0]
    assert a.content_hash != b.content_hash
    assert a.content_hash == chunk_cues(_cues(1))[0].content_hash


@given(
    st.lists(
        st.tuples(st.floats(0, 5000), st.floats(0, 30), st.integers(1, 80)),
        min_size=1,
        max_size=60,
    )
)
def test_every_cue_lands_in_a_chunk_within_its_times(raw):
    cues = sorted(
        (Cue(start, start + length, "w " * words) for start, length, words in raw),
        key=lambda c: c.start,
    )
    chunks = chunk_cues(cues)
    assert chunks[0].start == cues[0].start
    assert max(c.end for c in chunks) == max(c.end for c in cues)
    assert all(c.start <= c.end for c in chunks)
    assert sum(1 for _ in chunks) >= 1


def test_no_overlap_is_carried_across_a_long_pause():
    before = [Cue(float(i), float(i) + 1, f"word{i}") for i in range(5)]
    after = [Cue(70.0 + i, 71.0 + i, f"later{i}") for i in range(3)]
    chunks = chunk_cues([*before, *after])
    assert [chunk.start for chunk in chunks] == [0.0, 70.0]
    assert chunks[1].text == "later0 later1 later2"
