"""Transcript parsers: WebVTT, SRT, JSON segments and plain text with [mm:ss] stamps.

Every parser returns a list of `Cue`s in time order or raises `TranscriptParseError` naming the
line (or JSON item) that is wrong, so nothing is stored from a malformed file.
"""

import html
import json
import re
from collections.abc import Sequence
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
_TAGS = re.compile(r"<[^>]*>")
# SubStation overrides that subtitle editors leave in SRT text: {\an8}, {\i1}...
_ASS_TAGS = re.compile(r"\{\\[^}]*\}")
# A ruby annotation's reading (<rt>) is not part of the spoken text.
_RUBY_TEXT = re.compile(r"<rt>.*?</rt>", re.DOTALL)
# WebVTT's inline timestamp tag, as YouTube writes one before each word: <00:00:01.234>
_INLINE_TIMESTAMP = re.compile(r"<((?:\d+:)?\d{1,2}:\d{2}\.\d{3})>")
_INLINE_PARTS = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})\.(\d{3})$")
_LOOKS_LIKE_TIMING = re.compile(r"^\d+:\d{2}[:.,]\d+.*-")
# Bidi marks (&lrm; &rlm; and the embedding controls) and zero-width characters: invisible, and
# they would split words for search.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# YouTube's rolling auto-captions put a cue of this length between two rolling cues.
_ROLLING_GAP_CUE = 0.02


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str) -> float:
    return (
        int(hours or 0) * 3600
        + int(minutes) * 60
        + int(seconds)
        + int(fraction.ljust(3, "0")) / 1000
    )


def _time(groups: Sequence[str | None], *, line: int) -> float:
    hours, minutes, seconds, fraction = groups
    if int(minutes or 0) >= 60 or int(seconds or 0) >= 60:
        raise _error(_("Line %(line)d: a time has 60 or more minutes or seconds."), line=line)
    return _seconds(hours, str(minutes), str(seconds), str(fraction))


def _clean(text: str) -> str:
    text = _RUBY_TEXT.sub("", _ASS_TAGS.sub("", text))
    text = html.unescape(_TAGS.sub("", text))
    return " ".join(_INVISIBLE.sub("", text).split())


def _check_order(cues: list[Cue]) -> list[Cue]:
    cues.sort(key=lambda cue: (cue.start, cue.end))
    return cues


@dataclass(frozen=True)
class _Block:
    """A cue as written: its times, its payload lines, and the line number of its timing."""

    start: float
    end: float
    lines: list[str]
    line: int


def _read_blocks(content: str, *, vtt: bool) -> list[_Block]:
    lines = content.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    index = 0
    if vtt:
        first = lines[0] if lines else ""
        if not (first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t"))):
            raise _error(_("Line %(line)d: a WebVTT file starts with WEBVTT."), line=1)
        # The header runs to the first blank line: YouTube writes Kind: and Language: there.
        while index < len(lines) and lines[index].strip():
            if "-->" in lines[index]:
                raise _error(
                    _("Line %(line)d: a blank line must follow the WEBVTT header."),
                    line=index + 1,
                )
            index += 1
    blocks: list[_Block] = []
    while index < len(lines):
        line = lines[index].strip()
        if not line:
            index += 1
            continue
        if vtt and "-->" not in line and re.match(r"^(NOTE|STYLE|REGION)(\s|$)", line):
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
        number = index + 1
        start = _time(match.groups()[:4], line=number)
        end = _time(match.groups()[4:], line=number)
        if end < start:
            raise _error(_("Line %(line)d: the cue ends before it starts."), line=number)
        index += 1
        payload: list[str] = []
        # A VTT payload ends at an empty line (YouTube's lines holding one space belong to it);
        # SRT editors are less careful, so a line of spaces ends an SRT block.
        while index < len(lines) and (lines[index] if vtt else lines[index].strip()):
            if "-->" in lines[index] and _TIMING.match(lines[index]):
                break
            payload.append(lines[index])
            index += 1
        blocks.append(_Block(start, end, payload, number))
    return blocks


def _is_rolling(blocks: Sequence[_Block]) -> bool:
    """YouTube's rolling auto-captions: a cue opens with the line that closed the one before.

    Their signature is a 10 ms cue repeating the previous cue's last line; without those, most
    cues opening with a repeat is enough.
    """
    repeats = 0
    previous: list[str] = []
    for block in blocks:
        texts = [text for text in (_clean(line) for line in block.lines) if text]
        if texts and previous and texts[0] == previous[-1]:
            if block.end - block.start <= _ROLLING_GAP_CUE and len(texts) == 1:
                return True
            repeats += 1
        previous = texts
    return len(blocks) >= 4 and repeats * 2 >= len(blocks)


def _new_lines(lines: list[str], previous: list[str]) -> list[str]:
    """`lines` without the leading lines that repeat the end of the previous cue."""
    cleaned = [_clean(line) for line in lines]
    kept = [(raw, text) for raw, text in zip(lines, cleaned, strict=True) if text]
    texts = [text for _, text in kept]
    for size in range(min(len(texts), len(previous)), 0, -1):
        if texts[:size] == previous[-size:]:
            return [raw for raw, _ in kept[size:]]
    return [raw for raw, _ in kept]


def _timed_pieces(block: _Block, text: str) -> list[Cue]:
    """The cue's text, split at its inline timestamps: one cue per timed piece (word)."""
    parts = _INLINE_TIMESTAMP.split(text)
    starts = [block.start]
    texts = [parts[0]]
    for stamp, piece in zip(parts[1::2], parts[2::2], strict=True):
        match = _INLINE_PARTS.match(stamp)
        if match is None:  # never: the split pattern only captures well-formed stamps
            raise _error(_("Line %(line)d: the timing line is not valid."), line=block.line)
        moment = _time(match.groups(), line=block.line)
        # Out-of-order or out-of-cue stamps are held to the cue, in order.
        starts.append(min(max(moment, starts[-1]), block.end))
        texts.append(piece)
    cues: list[Cue] = []
    pieces = [(start, _clean(piece)) for start, piece in zip(starts, texts, strict=True)]
    timed = [(start, piece) for start, piece in pieces if piece]
    for position, (start, piece) in enumerate(timed):
        end = timed[position + 1][0] if position + 1 < len(timed) else block.end
        cues.append(Cue(start, end, piece))
    return cues


def _parse_blocks(content: str, *, vtt: bool) -> list[Cue]:
    blocks = _read_blocks(content, vtt=vtt)
    rolling = vtt and _is_rolling(blocks)
    cues: list[Cue] = []
    previous: list[str] = []
    for block in blocks:
        lines = block.lines
        if rolling:
            lines = _new_lines(block.lines, previous)
            previous = [text for text in (_clean(line) for line in block.lines) if text]
        text = "\n".join(lines)
        if vtt and _INLINE_TIMESTAMP.search(text):
            cues.extend(_timed_pieces(block, text))
        elif _clean(text):
            cues.append(Cue(block.start, block.end, _clean(text)))
    if not cues:
        raise _error(_("The transcript has no cues."))
    return _check_order(cues)


def parse_vtt(content: str) -> list[Cue]:
    """WebVTT as editors and YouTube write it (header fields, NOTE/STYLE/REGION blocks, cue
    settings, tags, entities); YouTube's rolling auto-captions keep each word once, at its own
    time."""
    return _parse_blocks(content, vtt=True)


def parse_srt(content: str) -> list[Cue]:
    """SRT as editors write it: BOM, CRLF, `.` or `,` before the milliseconds, {\\an8} and
    <font> tags, no final blank line."""
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
    parsers["rec"] = parse_vtt  # a transcribed recording is stored as WebVTT
    if format not in parsers:
        raise TranscriptParseError(_("Unknown transcript format."), code="transcript_format")
    return parsers[format](content)
