"""The one casing rule (learnwithavi.casing): names, whole JSON values, and the renderer and
parsers that apply it to the REST API."""

import io
import json
from unittest import mock

import pytest
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from rest_framework import serializers

from learnwithavi.casing import (
    camel,
    camelize,
    field_name,
    snake,
    underscoreize,
    underscoreize_multi,
    verbatim,
)
from learnwithavi.openapi import _camelized
from learnwithavi.parsers import CamelCaseFormParser, CamelCaseJSONParser
from learnwithavi.renderers import CamelCaseJSONRenderer


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("youtube_id", "youtubeId"),
        ("start_time_2", "startTime2"),
        ("cache_read_tokens", "cacheReadTokens"),
        ("title", "title"),
        ("from", "from"),
        ("_private", "_private"),  # a leading underscore is not a word break
        ("__dunder__", "__dunder__"),
        ("a__b", "a__b"),  # neither is a doubled one
        ("2026-01-01", "2026-01-01"),
        ("עברית_שם", "עברית_שם"),  # only ASCII words are joined
    ],
)
def test_a_name_and_its_wire_key_convert_both_ways(name, key):
    assert camel(name) == key
    assert snake(key) == name
    assert field_name(key) == name


def test_camel_leaves_an_already_camel_name_alone():
    assert camel("youtubeId") == "youtubeId"
    assert camel("alreadyCamel2") == "alreadyCamel2"


@pytest.mark.parametrize(
    ("key", "name"),
    [("youtubeID", "youtube_id"), ("YoutubeId", "youtube_id"), ("videoURL", "video_url")],
)
def test_snake_reads_acronyms_and_capitals_as_one_word(key, name):
    assert snake(key) == name


@pytest.mark.parametrize(
    "key",
    ["youtube_id", "youtubeID", "YoutubeId", "is_published", "Title", "x" * 101],
)
def test_a_key_that_is_not_the_camel_spelling_of_a_name_names_no_field(key):
    assert field_name(key) is None


def test_camelize_converts_every_key_at_every_depth_and_keeps_values():
    data = {
        "video_id": "v_1",
        "hits": [{"start_time": 1.5, "chunk_id": 3}],
        "nested": ({"order_index": 0},),
        7: "not a string key",
    }
    assert camelize(data) == {
        "videoId": "v_1",
        "hits": [{"startTime": 1.5, "chunkId": 3}],
        "nested": [{"orderIndex": 0}],
        7: "not a string key",
    }


def test_verbatim_values_keep_their_keys_at_every_depth():
    per_day = verbatim({"2026-01-01": {"some_count": 1}, "intro_to_ml": [{"a_b": 1}]})
    stored = verbatim([{"chunk_id": 1}])
    data = {"per_day": per_day, "sources": stored, "video_id": 1}
    assert camelize(data) == {
        "perDay": {"2026-01-01": {"some_count": 1}, "intro_to_ml": [{"a_b": 1}]},
        "sources": [{"chunk_id": 1}],
        "videoId": 1,
    }
    assert verbatim("text") == "text"


def test_underscoreize_renames_camel_keys_and_drops_other_spellings():
    body = {
        "youtubeId": "x",
        "youtube_id": "ignored",
        "orderIndex": 1,
        "items": [{"startTime2": 1, "Foo": 2}],
    }
    assert underscoreize(body) == {
        "youtube_id": "x",
        "order_index": 1,
        "items": [{"start_time_2": 1}],
    }
    assert underscoreize([1, "two"]) == [1, "two"]
    assert underscoreize("text") == "text"


def test_conversion_is_not_limited_by_python_recursion():
    deep: object = {"innerValue": 1}
    for _ in range(5000):
        deep = {"nextLevel": [deep]}
    converted = underscoreize(deep)
    back = camelize(converted)
    for _ in range(5000):
        converted, back = converted["next_level"][0], back["nextLevel"][0]
    assert converted == {"inner_value": 1}
    assert back == {"innerValue": 1}


def test_form_fields_files_and_query_parameters_follow_the_same_rule():
    query = QueryDict("pageSize=5&page_size=7&q=a&q=b")
    converted = underscoreize_multi(query)
    assert isinstance(converted, QueryDict)
    assert converted.getlist("page_size") == ["5"]
    assert converted.getlist("q") == ["a", "b"]
    files = MultiValueDict({"audioFile": ["f"], "audio_file": ["g"]})
    assert dict(underscoreize_multi(files).lists()) == {"audio_file": ["f"]}


def test_the_renderer_sends_camel_case_and_verbatim_data_as_it_is():
    data = {"video_id": 1, "details": verbatim({"non_field_errors": ["x"]})}
    rendered = json.loads(CamelCaseJSONRenderer().render(data))
    assert rendered == {"videoId": 1, "details": {"non_field_errors": ["x"]}}


def test_the_json_parser_gives_snake_case_and_keeps_its_limits():
    parsed = CamelCaseJSONParser().parse(io.BytesIO(b'{"lastPosition": 5, "last_position": 9}'))
    assert parsed == {"last_position": 5}
    from rest_framework.exceptions import ParseError

    with pytest.raises(ParseError):  # DRF's strict JSON: no NaN
        CamelCaseJSONParser().parse(io.BytesIO(b'{"position": NaN}'))
    with pytest.raises(ParseError):  # too deep for Python's json module
        CamelCaseJSONParser().parse(io.BytesIO(b"[" * 100_000 + b"]" * 100_000))


def test_the_form_parser_gives_snake_case():
    parsed = CamelCaseFormParser().parse(
        io.BytesIO(b"orderIndex=2&title=t"), parser_context={"encoding": "utf-8"}
    )
    assert parsed.dict() == {"order_index": "2", "title": "t"}


def test_the_schema_names_properties_in_camel_case_and_warns_of_a_name_that_cannot_return():
    class Example(serializers.Serializer):
        a_b_c = serializers.IntegerField()  # sent as aBC, read back as a_bc
        video_id = serializers.IntegerField()

    schema = {"properties": {"a_b_c": {}, "video_id": {}}, "required": ["video_id", "a_b_c"]}
    with mock.patch("learnwithavi.openapi.warn") as warn:
        named = _camelized(schema, Example())
    assert list(named["properties"]) == ["aBC", "videoId"]
    assert named["required"] == ["aBC", "videoId"]
    warn.assert_called_once()
    assert "Example.a_b_c" in warn.call_args.args[0]
