import uuid

from chat.extractive import compose_answer
from chat.prompts import (
    Turn,
    build_prompt,
    context_block,
    detect_language,
    format_timestamp,
    max_tokens_for,
    trim_history,
)
from rag.types import SearchHit

VIDEO = uuid.uuid4()


def hit(chunk_id, text, start=0.0, score=0.5, title="Lesson"):
    return SearchHit(chunk_id, VIDEO, "lwaTestEn01", title, start, start + 10, text, score)


def test_language_of_the_question():
    assert detect_language("מה זה גרדיאנט?") == "he"
    assert detect_language("What is a gradient?") == "en"
    assert detect_language("מה ההבדל בין L1 ל-L2?") == "he"
    assert detect_language("1234") == "en"


def test_max_tokens_adapts_between_400_and_800():
    assert max_tokens_for("What is dropout?") == 400
    assert max_tokens_for("Explain dropout") == 600
    assert max_tokens_for("הסבר בבקשה את ההבדל בין " + "מילה " * 60) == 800
    assert all(400 <= max_tokens_for(q) <= 800 for q in ["", "?" * 500, "why " * 900])


def test_history_keeps_the_latest_turns_within_the_budget_starting_with_the_learner():
    history = [Turn("user", "q" * 350), Turn("assistant", "a" * 350)] * 5
    kept = trim_history(history, token_budget=250)
    assert kept[0].role == "user"
    assert kept == history[-len(kept) :]
    assert sum(len(t.content) for t in kept) <= 250 * 3.5


def test_sources_are_numbered_quoted_and_in_a_stable_order():
    a, b = hit(1, "later <b>part</b>", start=50), hit(2, "first part", start=5)
    prompt = build_prompt(question="q", sources=[a, b, a], history=[], history_token_budget=100)
    assert [s.chunk_id for s in prompt.sources] == [2, 1]
    block = context_block(prompt.sources)
    assert '<source number="1"' in block
    assert 'start="0:05"' in block
    assert "&lt;b&gt;part&lt;/b&gt;" in block
    assert prompt.context == block


def test_timestamps():
    assert format_timestamp(65.9) == "1:05"
    assert format_timestamp(3725) == "1:02:05"


def test_extractive_answer_quotes_the_best_sentences_with_citations():
    sources = [
        hit(1, "Welcome to the course. Today we study many things.", start=0),
        hit(2, "Overfitting happens when a model memorizes noise. It fails on new data.", start=30),
    ]
    answer = compose_answer("When does overfitting happen?", sources)
    assert answer.startswith("Here is what the video says:")
    # The next sentence ("It ...") continues the quoted one, so it is kept with it.
    assert "(0:30) Overfitting happens when a model memorizes noise. It fails on new data. [2]" in (
        answer
    )
    assert "Welcome" not in answer


def test_extractive_answer_frames_a_hebrew_question_in_hebrew_even_from_english_text():
    sources = [hit(1, "Regularization keeps the weights small.")]
    answer = compose_answer("מה עושה regularization?", sources)
    assert answer.startswith("כך נאמר בסרטון")
    assert "[1]" in answer


def test_extractive_answer_without_sources_says_so_in_the_questions_language():
    assert "לא מצאתי" in compose_answer("מה זה?", [])
    assert "could not find" in compose_answer("What is it?", [])
