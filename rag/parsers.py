"""Transcript parsers: WebVTT, SRT, JSON segments and plain text with [mm:ss] stamps.

Every parser returns a list of `Cue`s in time order or raises `TranscriptParseError` naming the
line (or JSON item) that is wrong, so nothing is stored from a malformed file.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from learnwithavi.errors import ValidationFailed

FORMATS = ("vtt", "srt", "json", "txt")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


class TranscriptParseError(ValidationFailed):
    code = "transcript_invalid"
    default_message = _("The transcript could not be read.")


def _error(message: Any, **where: Any) -> TranscriptParseError:
    return TranscriptParseError(message % where if where else message, details=where or None)


_TIMESTAMP = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIMESTAMP}\s*-->\s*{_TIMESTAMP}(?:\s+.*)?$")
_TAGS = re.compile(r"<[^>]+>")
_LOOKS_LIKE_TIMING = re.compile(r"^\d+:\d{2}[:.,]\d+.*-")


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str) -> float:
    return (
        int(hours or 0) * 3600
        + int(minutes) * 60
        + int(seconds)
        + int(fraction.ljust(3, "0")) / 1000
    )


def _clean(text: str) -> str:
    return " ".join(_TAGS.sub("", text).split())


def _check_order(cues: list[Cue]) -> list[Cue]:
    cues.sort(key=lambda cue: (cue.start, cue.end))
    return cues


def _parse_blocks(content: str, *, vtt: bool) -> list[Cue]:
    lines = content.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    index = 0
    if vtt:
        if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
            raise _error(_("Line %(line)d: a WebVTT file starts with WEBVTT."), line=1)
        index = 1
    cues: list[Cue] = []
    while index < len(lines):
        line = lines[index].strip().lstrip("\ufeff")
        if not line:
            index += 1
            continue
        if vtt and (line.startswith(("NOTE", "STYLE", "REGION"))):
            while index < len(lines) and lines[index].strip():
                index += 1
            continue
        if "-->" not in line and _LOOKS_LIKE_TIMING.match(line):
            raise _error(_("Line %(line)d: the timing line is not valid."), line=index + 1)
        if "-->" not in line:
            # An identifier (a VTT cue id, an SRT counter) precedes the timing line.
            index += 1
            if index >= len(lines) or "-->" not in lines[index]:
                raise _error(
                    _("Line %(line)d: expected a timing line such as 00:01.000 --> 00:04.000."),
                    line=index + 1 if index < len(lines) else index,
                )
            line = lines[index].strip()
        match = _TIMING.match(line)
        if not match:
            raise _error(_("Line %(line)d: the timing line is not valid."), line=index + 1)
        start = _seconds(*match.groups()[:4])
        end = _seconds(*match.groups()[4:])
        if end < start:
            raise _error(_("Line %(line)d: the cue ends before it starts."), line=index + 1)
        index += 1
        text_lines = []
        while index < len(lines) and lines[index].strip():
            text_lines.append(lines[index])
            index += 1
        text = _clean(" ".join(text_lines))
        if text:
            cues.append(Cue(start, end, text))
    if not cues:
        raise _error(_("The transcript has no cues."))
    return _check_order(cues)


def parse_vtt(content: str) -> list[Cue]:
    return _parse_blocks(content, vtt=True)


def parse_srt(content: str) -> list[Cue]:
    return _parse_blocks(content, vtt=False)


def _number(item: dict[str, Any], *names: str) -> float | None:
    for name in names:
        value = item.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def parse_json(content: str) -> list[Cue]:
    """A list of {text, startTime, endTime} (also {"chunks": [...]} or {"segments": [...]})."""
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise _error(_("Line %(line)d: not valid JSON."), line=exc.lineno) from None
    if isinstance(data, dict):
        data = data.get("chunks", data.get("segments"))
    if not isinstance(data, list):
        raise _error(_("The JSON transcript must be a list of segments."))
    cues: list[Cue] = []
    for number, item in enumerate(data):
        if not isinstance(item, dict):
            raise _error(_("Item %(item)d: a segment must be an object."), item=number)
        text = item.get("text")
        start = _number(item, "startTime", "start_time", "start")
        end = _number(item, "endTime", "end_time", "end")
        if not isinstance(text, str) or start is None or end is None:
            raise _error(
                _("Item %(item)d: a segment needs text, startTime and endTime."), item=number
            )
        if start < 0 or end < start:
            raise _error(_("Item %(item)d: the segment's times are not valid."), item=number)
        if _clean(text):
            cues.append(Cue(start, end, _clean(text)))
    if not cues:
        raise _error(_("The transcript has no cues."))
    return _check_order(cues)


_STAMP = re.compile(r"\[(?:(\d+):)?(\d{1,3}):(\d{2})(?:[.,](\d{1,3}))?\]")
# A plain-text segment without a following stamp is assumed to last this long per word.
_SECONDS_PER_WORD = 0.4


def parse_text(content: str) -> list[Cue]:
    """Plain text in which each `[mm:ss]` (or `[h:mm:ss]`) stamp starts a segment."""
    segments: list[tuple[float, str, int]] = []
    for number, line in enumerate(content.splitlines(), start=1):
        pieces = _STAMP.split(line)
        leading = pieces[0].strip()
        if leading:
            if not segments:
                raise _error(_("Line %(line)d: text before the first [mm:ss] stamp."), line=number)
            start, text, first_line = segments[-1]
            segments[-1] = (start, f"{text} {leading}", first_line)
        for offset in range(1, len(pieces), 5):
            hours, minutes, seconds, fraction, text = pieces[offset : offset + 5]
            if int(seconds) >= 60:
                raise _error(_("Line %(line)d: the stamp is not a valid time."), line=number)
            start = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
            start += int((fraction or "0").ljust(3, "0")) / 1000
            segments.append((start, text.strip(), number))
    if not segments:
        raise _error(_("The transcript has no [mm:ss] stamps."))
    cues: list[Cue] = []
    for index, (start, text, number) in enumerate(segments):
        if index + 1 < len(segments):
            end = segments[index + 1][0]
            if end < start:
                raise _error(_("Line %(line)d: the stamps are out of order."), line=number)
        else:
            end = start + max(1.0, len(text.split()) * _SECONDS_PER_WORD)
        if _clean(text):
            cues.append(Cue(start, end, _clean(text)))
    if not cues:
        raise _error(_("The transcript has no cues."))
    return cues


def detect_format(content: str, filename: str = "") -> str:
    """The format from the file name's extension, else from the content."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in {"vtt", "srt", "json", "txt"}:
        return extension
    head = content.lstrip("\ufeff \n\r\t")
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith(("[{", "{")) or re.match(r"^\[\s*(\{|\])", head):
        return "json"
    if "-->" in head[:500]:
        return "srt"
    return "txt"


def parse_transcript(content: str, *, format: str) -> list[Cue]:
    """Parse `content` in `format` (vtt, srt, json, txt). Raises TranscriptParseError."""
    parsers = {"vtt": parse_vtt, "srt": parse_srt, "json": parse_json, "txt": parse_text}
    if format not in parsers:
        raise TranscriptParseError(_("Unknown transcript format."), code="transcript_format")
    return parsers[format](content)
