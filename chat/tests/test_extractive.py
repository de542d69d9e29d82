"""The local extractive answerer: which sentences it quotes, in what order, at what time."""

import json
import re
import uuid
from typing import cast

import pytest
from django.test import AsyncClient

from chat.extractive import best_sentences, compose_answer, focus_terms, sentence_time
from chat.tests.helpers import read_stream
from courses.models import Video
from courses.tests.factories import VideoFactory
from rag.demo import DEMO_DIR
from rag.types import SearchHit

VIDEO = uuid.uuid4()
OTHER_VIDEO = uuid.uuid4()


def hit(chunk_id, text, start=0.0, end=None, score=0.5, video=VIDEO):
    end = start + 30 if end is None else end
    return SearchHit(chunk_id, video, "lwaTestHe01", "Lesson", start, end, text, score)


def bullets(answer):
    return [line for line in answer.splitlines() if line.startswith("• ")]


def shown_seconds(bullet: str) -> int:
    """The (m:ss) a bullet opens with, in seconds."""
    match = re.match(r"• \((\d+):(\d\d)\)", bullet)
    assert match is not None, bullet
    return int(match[1]) * 60 + int(match[2])


GRADIENT_DESCENT = [
    hit(
        1,
        "כלל העדכון הוא: תטא החדש שווה לתטא הישן פחות אטא כפול הגרדיאנט. "
        "אטא, האות היוונית הזאת, נקראת קצב הלמידה, learning rate. "
        "היא קובעת כמה גדול יהיה כל צעד.",
        start=125,
        end=156,
    ),
    hit(
        2,
        "עוד טיפ מעשי: לפני שמריצים ירידה בגרדיאנט, כדאי לנרמל את התכונות. "
        "לסיכום: ירידה בגרדיאנט מעדכנת את הפרמטרים בכיוון ההפוך לגרדיאנט, "
        "בצעדים שגודלם נקבע על ידי קצב הלמידה.",
        start=594,
        end=630,
    ),
    hit(3, "היום נלמד איך עושים את זה בפועל, עם ירידה בגרדיאנט.", start=15, end=24),
]


def test_a_definition_question_gets_the_defining_sentence_first():
    answer = compose_answer("מהו קצב הלמידה בירידה בגרדיאנט?", GRADIENT_DESCENT)
    first = bullets(answer)[0]
    assert "נקראת קצב הלמידה" in first
    # The sentence that continues the definition ("היא קובעת ...") is quoted with it.
    assert "היא קובעת כמה גדול יהיה כל צעד" in first
    assert first.endswith("[1]")
    assert answer.startswith("הנה מה שנאמר בסרטון:")


def test_a_definition_question_asked_in_english_finds_the_hebrew_definition():
    answer = compose_answer("What is the learning rate?", GRADIENT_DESCENT)
    assert "נקראת קצב הלמידה" in bullets(answer)[0]
    assert answer.startswith("The video says this (quoted in its original language):")


def test_a_sentence_that_introduces_the_term_brings_the_explanation_after_it():
    sources = [
        hit(
            1,
            "The most famous one is dropout. During training, we randomly switch off "
            "a fraction of the neurons.",
            start=460,
        ),
        hit(2, "We fight overfitting with more data, simpler models, dropout and early stopping."),
    ]
    first = bullets(compose_answer("What is dropout?", sources))[0]
    assert first.startswith("• (7:40) The most famous one is dropout. During training")


def test_focus_term_of_what_is_questions():
    english = focus_terms("What is the learning rate in gradient descent?")
    assert len(english) == 2  # "in gradient descent" only places it
    assert "learning" in english[0]
    assert "rate" in english[1]
    hebrew = focus_terms("מהו קצב הלמידה בירידה בגרדיאנט?")
    assert len(hebrew) == 2
    assert "קצב" in hebrew[0]
    assert "למידה" in hebrew[1]  # the prefix-stripped form of "הלמידה"
    assert focus_terms("How do we choose lambda?") == []


def test_rarer_question_words_weigh_more_than_the_lectures_topic():
    sources = [
        hit(1, "Gradient descent follows the gradient downhill. Gradient descent is simple."),
        hit(2, "Gradient descent needs a loss. Momentum keeps a moving average of past steps."),
    ]
    first = bullets(compose_answer("How does momentum help gradient descent?", sources))[0]
    assert "Momentum keeps a moving average" in first


def test_the_answer_after_the_transcripts_own_question_is_quoted_not_the_question():
    sources = [
        hit(
            1,
            "What happens if the learning rate is too large? We jump over the minimum, to the "
            "other side of the valley. The loss explodes.",
        )
    ]
    first = bullets(compose_answer("What happens if the learning rate is too large?", sources))[0]
    assert "We jump over the minimum" in first
    assert "The loss explodes." in first  # the answer's second sentence stays with it
    assert "?" not in first


def test_hebrew_prefixes_and_final_letters_match():
    sources = [
        hit(1, "שלום לכולם. הגרדיאנט מצביע לכיוון שבו הפונקציה עולה הכי מהר."),
        hit(2, "נדבר על דברים אחרים היום."),
    ]
    answer = compose_answer("לאן מצביע גרדיאנט?", sources)
    assert "הגרדיאנט מצביע" in bullets(answer)[0]
    assert "שלום" not in answer


def test_bullets_are_ordered_by_relevance_then_time():
    sources = [
        hit(1, "Regularization keeps the weights small.", start=10),
        hit(2, "Regularization with dropout helps training.", start=500),
        hit(3, "Dropout regularization switches off neurons.", start=300),
    ]
    answer = bullets(compose_answer("How does dropout regularization work?", sources))
    # The two sentences with both words first, equally relevant, so in time order.
    assert [shown_seconds(line) for line in answer][:2] == [300, 500]


def test_a_bullet_is_timed_where_its_sentence_is_said_inside_the_chunk():
    text = (
        "First we talk about the weather today. "
        "Then we talk about lunch and what we ate. "
        "Finally the learning rate sets the size of every step."
    )
    chunk = hit(1, text, start=100, end=160)
    [late] = best_sentences("What does the learning rate set?", [chunk], limit=1)
    [early] = best_sentences("What about the weather?", [chunk], limit=1)
    assert early.text.startswith("First")
    assert late.text.startswith("Finally")
    assert 100 <= early.start < late.start < 160
    # Interpolated by character position between the chunk's start and end.
    assert late.start == 100 + 60 * text.index("Finally") / len(text)
    answer = compose_answer("What does the learning rate set?", [chunk])
    assert f"• (2:{int(late.start) - 120:02d}) Finally the learning rate" in answer


def test_sentence_time_stays_inside_the_chunk():
    chunk = hit(1, "One. Two. Three.", start=30, end=40)
    assert sentence_time(chunk, 0) == 30
    assert sentence_time(chunk, len(chunk.text)) == 40
    assert sentence_time(chunk, 10_000) == 40
    assert sentence_time(hit(2, "x", start=5, end=5), 0) == 5


def test_a_sentence_in_two_overlapping_chunks_is_quoted_once():
    shared = "Dropout randomly switches off neurons during training."
    sources = [
        hit(1, f"Neurons are units. {shared}", start=0, end=20),
        hit(2, f"{shared} At test time all neurons are used.", start=10, end=30),
    ]
    answer = compose_answer("What does dropout switch off?", sources)
    assert answer.count("Dropout randomly switches off") == 1


def test_a_continuation_from_another_chunk_cites_both_sources():
    sources = [
        hit(1, "Neurons are units. The most famous one is dropout.", start=0, end=20, score=0.9),
        hit(2, "The most famous one is dropout. During training we switch off neurons.", start=12),
    ]
    first = bullets(compose_answer("What is dropout?", sources))[0]
    # Source 2 holds both sentences: it is the one cited.
    assert first.endswith("During training we switch off neurons. [2]")
    sources = [
        hit(1, "Neurons are units. The most famous one is dropout.", start=0, end=20),
        hit(2, "The most famous one is dropout.", start=15, end=18),
        hit(3, "Units again. The most famous one is dropout.", start=5, end=18),
    ]
    assert bullets(compose_answer("What is dropout?", sources))[0].endswith("dropout. [1]")


def test_sentences_of_different_videos_are_kept_apart():
    sentence = "Dropout switches off neurons."
    sources = [hit(1, sentence, start=0), hit(2, sentence, start=50, video=OTHER_VIDEO)]
    assert compose_answer("What does dropout switch off?", sources).count(sentence) == 2


def test_decimal_points_do_not_split_sentences():
    [sentence] = best_sentences(
        "Which learning rate?", [hit(1, "A learning rate of 0.01 works well.")], limit=1
    )
    assert sentence.text == "A learning rate of 0.01 works well."


def test_without_any_matching_word_the_top_sources_opening_is_quoted():
    sources = [hit(1, "Welcome back. Today: trees.", start=42), hit(2, "Other text.")]
    answer = compose_answer("Qwerty zxcv?", sources)
    assert bullets(answer) == ["• (0:42) Welcome back. [1]"]


@pytest.fixture
def demo_gradient_descent(course):
    from rag.services import transcript_upload

    video = cast(
        Video,
        VideoFactory(course=course, youtube_id="lwaDemoHe02", title="ירידה בגרדיאנט", duration=660),
    )
    content = (DEMO_DIR / "lwaDemoHe02.vtt").read_text(encoding="utf-8")
    transcript_upload(video=video, content=content, filename="lwaDemoHe02.vtt", run_inline=True)
    return video


@pytest.mark.django_db(transaction=True)
async def test_the_demo_learning_rate_question_is_answered_by_its_definition(
    demo_gradient_descent,
):
    """The reported case: the definition (said at 2:16.7) used to lose to a tip and a summary."""
    response = await AsyncClient().post(
        "/api/chat",
        json.dumps(
            {"message": "מהו קצב הלמידה בירידה בגרדיאנט?", "videoId": str(demo_gradient_descent.pk)}
        ),
        content_type="application/json",
    )
    events, _ = await read_stream(response)
    done = events[-1]
    assert done["provider"] == "local"
    first = bullets(done["fullContent"])[0]
    assert "נקראת קצב הלמידה, learning rate" in first
    assert 133 <= shown_seconds(first) <= 137  # where it is said, not the chunk's start
