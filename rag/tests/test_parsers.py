import itertools
import json
from pathlib import Path

import pytest
from django.utils import translation

from rag.captions import cues_to_vtt
from rag.chunking import chunk_cues
from rag.parsers import (
    Cue,
    TranscriptParseError,
    detect_format,
    parse_json,
    parse_srt,
    parse_text,
    parse_transcript,
    parse_vtt,
)


def test_vtt_cues_with_ids_settings_tags_and_notes():
    content = (
        "WEBVTT - lecture\n\nNOTE a comment\nspanning lines\n\n"
        "intro\n00:00:01.000 --> 00:00:04.500 align:start\n<v Avi>שלום</v> לכולם\n\n"
        "01:02.250 --> 01:05.000\nsecond\nline\n"
    )
    assert parse_vtt(content) == [
        Cue(1.0, 4.5, "שלום לכולם"),
        Cue(62.25, 65.0, "second line"),
    ]


def test_srt_with_crlf_and_bom():
    content = (
        "\ufeff1\r\n00:00:01,000 --> 00:00:02,000\r\nHello\r\n\r\n"
        "2\r\n01:00:00,000 --> 01:00:03,000\r\nLater\r\n"
    )
    assert parse_srt(content) == [Cue(1.0, 2.0, "Hello"), Cue(3600.0, 3603.0, "Later")]


def test_json_frontend_shape_and_wrapped_lists():
    segments = [
        {"text": "b", "startTime": 5, "endTime": 9},
        {"text": "a", "startTime": 0, "endTime": 5.5},
    ]
    assert parse_json(json.dumps(segments)) == [Cue(0, 5.5, "a"), Cue(5, 9, "b")]
    assert parse_json(json.dumps({"chunks": segments}))[0].text == "a"


def test_plain_text_stamps_end_at_the_next_stamp():
    content = "[00:00] פתיחה\nהמשך של הפתיחה\n[01:30] נושא שני [1:02:03] שלישי"
    cues = parse_text(content)
    assert [(c.start, c.end, c.text) for c in cues[:2]] == [
        (0.0, 90.0, "פתיחה המשך של הפתיחה"),
        (90.0, 3723.0, "נושא שני"),
    ]
    assert cues[2].start == 3723.0
    assert cues[2].end > 3723.0


@pytest.mark.parametrize(
    ("content", "parser", "line"),
    [
        ("no header\n\n00:01.000 --> 00:02.000\nx\n", parse_vtt, 1),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\n00:0x.000 --> 00:03.000\nbad\n", parse_vtt, 6),
        ("1\n00:00:01,000 --> 00:00:04,000\nok\n\n2\njust text\nmore\n", parse_srt, 6),
        ("1\n00:00:05,000 --> 00:00:04,000\nbackwards\n", parse_srt, 2),
        ("text first\n[00:10] then a stamp", parse_text, 1),
        ("[00:10] a\n[00:75] b", parse_text, 2),
    ],
)
def test_malformed_input_names_the_line(content, parser, line):
    with pytest.raises(TranscriptParseError) as caught:
        parser(content)
    assert caught.value.details == {"line": line}
    assert f"{line}" in str(caught.value)


@pytest.mark.parametrize(
    ("segments", "item"),
    [
        ([{"text": "ok", "startTime": 0, "endTime": 1}, {"text": "no times"}], 1),
        ([{"text": "x", "startTime": 3, "endTime": 1}], 0),
        (["a string"], 0),
    ],
)
def test_malformed_json_names_the_item(segments, item):
    with pytest.raises(TranscriptParseError) as caught:
        parse_json(json.dumps(segments))
    assert caught.value.details == {"item": item}


def test_invalid_json_names_the_line():
    with pytest.raises(TranscriptParseError) as caught:
        parse_json('[\n{"text": "a",\n oops}]')
    assert caught.value.details == {"line": 3}


def test_empty_transcripts_are_refused():
    for content, fmt in [("WEBVTT\n\n", "vtt"), ("[]", "json"), ("", "txt")]:
        with pytest.raises(TranscriptParseError):
            parse_transcript(content, format=fmt)


def test_format_detection():
    assert detect_format("anything", "lecture.SRT") == "srt"
    assert detect_format("WEBVTT\n\n") == "vtt"
    assert detect_format('[{"text": "a"}]') == "json"
    assert detect_format("1\n00:00:01,000 --> 00:00:02,000\nx") == "srt"
    assert detect_format("[00:01] hello") == "txt"


# --- Caption files as YouTube and subtitle editors write them (fixtures/) -----------------------

FIXTURES = Path(__file__).parent / "fixtures"


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_bytes().decode("utf-8-sig")


def _cues(name: str) -> list[Cue]:
    return parse_transcript(_fixture(name), format=name.rsplit(".", 1)[1])


@pytest.mark.parametrize(
    ("name", "words", "timed"),
    [
        (
            "youtube_auto_en.vtt",
            "welcome to the course on gradients today we learn R&D tricks with "
            "regularization and momentum",
            [("course", 0.96, 1.44), ("today", 2.36, 2.9), ("momentum", 6.2, 8.0)],
        ),
        (
            "youtube_auto_he.vtt",
            'שלום לכולם היום נלמד על גרדיאנט הנגזרת מראה את כיוון הירידה בקצב הלמידה "אלפא"',
            [("גרדיאנט", 2.7, 3.12), ("הנגזרת", 3.13, 3.9), ("בקצב", 6.01, 6.7)],
        ),
    ],
)
def test_youtube_rolling_auto_captions_keep_each_word_once_at_its_time(name, words, timed):
    cues = _cues(name)
    assert " ".join(cue.text for cue in cues) == words
    by_word = {cue.text: (cue.start, cue.end) for cue in cues}
    for word, start, end in timed:
        assert by_word[word] == pytest.approx((start, end))
    assert all(a.end <= b.start for a, b in itertools.pairwise(cues))


def test_rolling_captions_are_chunked_without_repeats():
    chunks = chunk_cues(_cues("youtube_auto_en.vtt"))
    text = " ".join(chunk.text for chunk in chunks)
    assert text.count("gradients") == 1
    assert text.count("today") == 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "editor_en.vtt",
            [
                Cue(1.0, 4.5, "Welcome to lecture three & the quiz review"),
                Cue(4.5, 62.25, "Gradients point uphill; <descent> goes the other way."),
                Cue(62.25, 65.0, "Loss goes down."),
            ],
        ),
        (
            "editor_he.vtt",
            [
                Cue(0.5, 3.0, "שלום לכולם & ברוכים הבאים"),
                Cue(3.0, 7.25, "רגולריזציה שומרת על המשקלים קטנים"),
            ],
        ),
        (
            "editor_en.srt",
            [
                Cue(1.0, 3.5, "Welcome back to the course"),
                Cue(3.5, 6.0, "Overfitting & underfitting explained"),
                Cue(6.0, 9.0, "The end"),
            ],
        ),
        (
            "editor_he.srt",
            [
                Cue(0.0, 2.4, "שלום לכולם"),
                Cue(2.4, 5.0, "היום נדבר על ירידה בגרדיאנט"),
                Cue(5.0, 8.0, "וגם על קצב הלמידה"),
            ],
        ),
    ],
)
def test_editor_files_with_headers_settings_tags_and_entities(name, expected):
    assert _cues(name) == expected


def test_srt_fixtures_have_the_quirks_they_test():
    raw = (FIXTURES / "editor_he.srt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    assert not raw.endswith(b"\n")
    assert b"00:00:00.000 --> " in raw


@pytest.mark.parametrize(
    ("name", "line", "reason"),
    [
        ("bad_seconds.vtt", 6, "60 or more"),
        ("bad_minutes_he.srt", 6, "60 or more"),
        ("backwards.vtt", 4, "ends before it starts"),
    ],
)
def test_impossible_times_are_refused_with_the_line(name, line, reason):
    with translation.override("en"), pytest.raises(TranscriptParseError) as caught:
        _cues(name)
    assert caught.value.details == {"line": line}
    assert reason in str(caught.value)


def test_a_header_line_that_is_a_cue_is_refused():
    with pytest.raises(TranscriptParseError) as caught:
        parse_vtt("WEBVTT\n00:01.000 --> 00:02.000\nx\n")
    assert caught.value.details == {"line": 2}


def test_youtube_space_lines_belong_to_the_cue():
    cues = parse_vtt("WEBVTT\n\n00:01.000 --> 00:02.000\n \nsecond line\n")
    assert cues == [Cue(1.0, 2.0, "second line")]


def test_a_repeated_line_in_an_ordinary_file_is_kept():
    content = (
        "WEBVTT\n\n00:01.000 --> 00:02.000\nAgain\n\n00:02.000 --> 00:03.000\nAgain\n\n"
        "00:03.000 --> 00:04.000\nand again\n"
    )
    assert [cue.text for cue in parse_vtt(content)] == ["Again", "Again", "and again"]


@pytest.mark.parametrize(
    "name",
    ["youtube_auto_en.vtt", "youtube_auto_he.vtt", "editor_en.vtt", "editor_he.srt"],
)
def test_exported_vtt_reads_back_as_the_same_cues(name):
    cues = _cues(name)
    exported = cues_to_vtt(cues)
    assert parse_vtt(exported) == cues
    assert cues_to_vtt(parse_vtt(exported)) == exported


def test_export_escapes_text_and_groups_gapless_words():
    cues = [Cue(0.0, 0.5, "a<b"), Cue(0.5, 1.0, "&"), Cue(1.2, 3661.5, "two words")]
    assert cues_to_vtt(cues) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\na&lt;b<00:00:00.500> &amp;\n\n"
        "00:00:01.200 --> 01:01:01.500\ntwo words\n"
    )
