"""The API's one casing rule: Python names are snake_case, the wire's keys are camelCase.

`camel` and `snake` convert one name; `camelize` and `underscoreize` convert every key of a
JSON value. They are applied at the boundaries only, never field by field: the REST API's
renderer and parsers (`learnwithavi.renderers`, `learnwithavi.parsers`), the OpenAPI schema's
property names (`learnwithavi.openapi.AutoSchema`), the field names in validation errors
(`learnwithavi.errors`), and the chat stream, which builds its key names once at import
(`chat.wire`) and reads its body with `underscoreize` (`chat.streams`).

Keys that are data rather than field names (stored JSON, error details, a map keyed by dates
or slugs) are wrapped with `verbatim()`, and `camelize` sends them as they are.

On the way in, a key is a field name only in its camelCase spelling: `youtubeId` becomes
`youtube_id`; `youtube_id` or `youtubeID` spell no field and are dropped, as DRF would ignore
an unknown key, so the API accepts exactly one spelling of each name. Every field name must
come back from its own camelCase (`snake(camel(name)) == name`): the schema generator warns
about one that does not (`a_b_c` → `aBC` → `a_bc`).
"""

import re
from functools import lru_cache
from typing import Any

from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

# An underscore between two lowercase letters or digits starts a word: `youtube_id`, `time_2`.
# A leading or doubled underscore is kept (`_private`).
_WORD_BREAK = re.compile(r"(?<=[a-z0-9])_([a-z0-9])")
# Where camelCase starts a word: an uppercase letter after a lowercase one or a digit
# (`youtubeId`), and a number after a letter (`startTime2` is `start_time_2`).
_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])")
# Longer than any field name: not worth converting (and a client chooses its length).
_MAX_NAME = 100


def _camel(name: str) -> str:
    return _WORD_BREAK.sub(lambda match: match.group(1).upper(), name) if "_" in name else name


@lru_cache(maxsize=2048)  # the server's own field names: a bounded, small set
def camel(name: str) -> str:
    """`youtube_id` → `youtubeId`, `start_time_2` → `startTime2`; `_private` stays."""
    return _camel(name)


def snake(key: str) -> str:
    """`youtubeId` → `youtube_id`, `startTime2` → `start_time_2`, `youtubeID` → `youtube_id`."""
    return _HUMP.sub("_", key).lower()


def field_name(key: str) -> str | None:
    """The snake_case name that `key` spells in camelCase, or None if it is not that spelling
    of any name (`youtube_id`, `youtubeID`, `YoutubeId`)."""
    if len(key) > _MAX_NAME:
        return None
    name = snake(key)
    return name if _camel(name) == key else None


class VerbatimDict(dict[Any, Any]):
    """A mapping whose keys are data, sent as they are."""


class VerbatimList(list[Any]):
    """A list of values whose keys are data, sent as they are."""


def verbatim(value: Any) -> Any:
    """`value`, marked so that `camelize` keeps its keys (at every depth) as they are."""
    if isinstance(value, dict):
        return VerbatimDict(value)
    if isinstance(value, list | tuple):
        return VerbatimList(value)
    return value


def _converted(data: Any, rename: Any, keep: tuple[type, ...]) -> Any:
    """A copy of a JSON value with every key of its mappings renamed (None drops the key).

    A loop with its own stack, not recursion: a parsed body may be nested as deep as the JSON
    parser allows, deeper than Python's recursion limit leaves room for here.
    """
    if not isinstance(data, dict | list | tuple) or isinstance(data, keep):
        return data
    result: Any = {} if isinstance(data, dict) else []
    pending = [(data, result)]
    while pending:
        source, target = pending.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            copy = value
            if isinstance(value, dict | list | tuple) and not isinstance(value, keep):
                copy = {} if isinstance(value, dict) else []
                pending.append((value, copy))
            if isinstance(target, list):
                target.append(copy)
                continue
            name = rename(key) if isinstance(key, str) else key
            if name is not None:
                target[name] = copy
    return result


def camelize(data: Any) -> Any:
    """`data` with every key in camelCase, except inside `verbatim()` values."""
    return _converted(data, camel, (VerbatimDict, VerbatimList))


def underscoreize(data: Any) -> Any:
    """A parsed body with every key in snake_case; keys in no other spelling are dropped."""
    return _converted(data, field_name, ())


def underscoreize_multi(data: MultiValueDict[str, Any]) -> MultiValueDict[str, Any]:
    """Form fields, files or query parameters under their snake_case names (same rule)."""
    result: MultiValueDict[str, Any] = (
        QueryDict(mutable=True, encoding=data.encoding)
        if isinstance(data, QueryDict)
        else MultiValueDict()
    )
    for key, values in data.lists():
        name = field_name(key)
        if name is not None:
            result.setlist(name, values)
    return result
