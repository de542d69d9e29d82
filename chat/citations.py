"""Checking the model's [n] citations against the sources it was actually sent.

The filter works on a stream: text passes through as it arrives, except that a possible
citation (`[` followed by digits, commas and spaces) is held back until its `]` shows whether
it cites sources that exist. Unknown numbers are dropped; a citation left with no valid
number disappears together with the space before it.
"""

import re

# The longest bracket we wait for before deciding that it is not a citation.
_MAX_CITATION_LENGTH = 24
_CITATION_BODY = re.compile(r"^\[[0-9,\s]*\]?$")
_NUMBER = re.compile(r"\d+")


class CitationFilter:
    """Feed model text in pieces; get back the text with only valid citations in it."""

    def __init__(self, source_count: int) -> None:
        self.source_count = source_count
        self.cited: list[int] = []  # valid numbers in order of first citation
        self._held = ""  # an unfinished `[...`
        self._space = ""  # whitespace held until we know whether a dropped citation follows

    def feed(self, text: str) -> str:
        if not self._held and "[" not in text:
            # The common case: no bracket in sight, only trailing whitespace is held back.
            text = self._space + text
            kept = text.rstrip()
            self._space = text[len(kept) :]
            return kept
        out: list[str] = []
        for char in text:
            out.append(self._push(char))
        return "".join(out)

    def flush(self) -> str:
        """What is still held back when the stream ends (an unfinished bracket stays text)."""
        rest = self._space + self._held
        self._space = self._held = ""
        return rest

    def _push(self, char: str) -> str:
        if self._held:
            candidate = self._held + char
            if char == "]":
                self._held = ""
                return self._resolve(candidate)
            if _CITATION_BODY.match(candidate) and len(candidate) <= _MAX_CITATION_LENGTH:
                self._held = candidate
                return ""
            # Not a citation after all (a link, "[note]"...): release it as plain text.
            self._held = ""
            released = self._space + candidate[:-1]
            self._space = ""
            return released + self._push(char)
        if char == "[":
            self._held = char
            return ""
        if char.isspace():
            self._space += char
            return ""
        released = self._space + char
        self._space = ""
        return released

    def _resolve(self, bracket: str) -> str:
        numbers = [int(n) for n in _NUMBER.findall(bracket)]
        if not numbers:
            released = self._space + bracket
            self._space = ""
            return released
        valid: list[int] = []
        for number in numbers:
            if 1 <= number <= self.source_count and number not in valid:
                valid.append(number)
        if not valid:
            # Dropped: the space before it goes too, so "as said [9]." reads "as said."
            self._space = ""
            return ""
        for number in valid:
            if number not in self.cited:
                self.cited.append(number)
        released = self._space + "".join(f"[{n}]" for n in valid)
        self._space = ""
        return released


def clean_citations(text: str, source_count: int) -> tuple[str, list[int]]:
    """The whole-text form of CitationFilter: (clean text, cited numbers in order)."""
    citation_filter = CitationFilter(source_count)
    cleaned = citation_filter.feed(text) + citation_filter.flush()
    return cleaned, citation_filter.cited
