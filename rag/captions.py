"""Writing a transcript's cues back as WebVTT (the export, and a transcribed recording's text).

Consecutive one-word cues that follow each other without a gap are written as one caption with
an inline timestamp before each word, as YouTube does, so that `parse_vtt` gives back exactly the
same cues: ingest → export → ingest changes nothing.
"""

from collections.abc import Iterator, Sequence

from rag.parsers import Cue

# Two caption lines of 42 characters, the usual limit for readable subtitles.
MAX_CAPTION_CHARS = 84


def vtt_timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _is_word(cue: Cue) -> bool:
    return len(cue.text.split()) == 1


def _captions(cues: Sequence[Cue]) -> Iterator[list[Cue]]:
    """Runs of gapless one-word cues (up to a caption's length); any other cue alone."""
    group: list[Cue] = []
    for cue in cues:
        if (
            group
            and _is_word(cue)
            and _is_word(group[-1])
            and round(group[-1].end * 1000) == round(cue.start * 1000)
            and sum(len(c.text) + 1 for c in group) + len(cue.text) <= MAX_CAPTION_CHARS
        ):
            group.append(cue)
            continue
        if group:
            yield group
        group = [cue]
    if group:
        yield group


def cues_to_vtt(cues: Sequence[Cue]) -> str:
    """The cues as a WebVTT file."""
    parts = ["WEBVTT", ""]
    for caption in _captions(cues):
        text = _escape(caption[0].text) + "".join(
            f"<{vtt_timestamp(cue.start)}> {_escape(cue.text)}" for cue in caption[1:]
        )
        timing = f"{vtt_timestamp(caption[0].start)} --> {vtt_timestamp(caption[-1].end)}"
        parts += [timing, text, ""]
    return "\n".join(parts)
