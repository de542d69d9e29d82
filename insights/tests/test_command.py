"""manage.py insights --course SLUG: the same summary for staff in a terminal."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from insights.tests.conftest import ask

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("insights", *args, stdout=out)
    return out.getvalue()


def test_the_summary_shows_totals_hotspots_and_unanswered_questions(course, video, student):
    for i in range(3):
        ask(video, 91 + i, f"Why {i}?")
    ask(video, 300, "Off topic?", answered=False, user=student)
    text = run("--course", "insights-course")
    assert "Deep learning (insights-course)" in text
    assert "questions: 4  learners: 1  unanswered: 1" in text
    assert (
        "hotspot 1:30-2:00: 3 questions  https://www.youtube.com/watch?v=lwaInsight1&t=90s" in text
    )
    assert "· 5:00 Off topic?" in text
    assert student.email not in text


def test_json_is_the_apis_body(course, video):
    ask(video, 10, "One?")
    body = json.loads(run("--course", "insights-course", "--json", "--from", "2000-01-01"))
    assert body["questions"] == 1
    assert body["videos"][0]["timeline"][0] == {"start": 0, "end": 30, "questions": 1}


def test_an_unknown_course_or_a_bad_date_is_a_command_error(course):
    with pytest.raises(CommandError, match="No course"):
        run("--course", "nope")
    with pytest.raises(CommandError):
        run("--course", "insights-course", "--from", "soon")
