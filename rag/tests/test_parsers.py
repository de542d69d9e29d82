import json

import pytest

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
