"""Validators shared by the models, their admin forms and the API serializers."""

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Embeddings, overrides and isolates: they reorder what is displayed, so "abc\u202etxt.exe"
# shows as "abcexe.txt". The marks U+200E/U+200F, which mixed Hebrew/English text needs, stay.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_MULTILINE = frozenset("\n\r\t")


@deconstructible
class PlainTextValidator:
    """Refuses control characters (C0, DEL, C1) and bidi controls in text people read.

    `multiline` fields keep newlines and tabs.
    """

    message = _("Control characters and bidirectional overrides are not allowed (%(character)s).")
    code = "control_character"

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        allowed = _MULTILINE if self.multiline else frozenset()
        for character in str(value):
            if character in allowed:
                continue
            if character in BIDI_CONTROLS or unicodedata.category(character) == "Cc":
                raise ValidationError(
                    self.message,
                    code=self.code,
                    params={"character": f"U+{ord(character):04X}"},
                )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlainTextValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash(self.multiline)


plain_text = PlainTextValidator()
plain_multiline_text = PlainTextValidator(multiline=True)
