"""Language resolution for speech."""

import pytest
from django.utils import translation

from learnwithavi.errors import ValidationFailed
from voice.services import language_resolve


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("שלום עולם", "he"),
        ("Hello world", "en"),
        ("Python היא שפה", "he"),  # any Hebrew letter: Hebrew
        ("Café au lait", "en"),
    ],
)
def test_language_is_recognised_from_the_letters(text, expected):
    assert language_resolve(text=text, language=None) == expected


def test_the_requested_language_wins():
    assert language_resolve(text="Hello", language="he") == "he"


@pytest.mark.parametrize("language", ["fr", "EN", "hebrew", "xx"])
def test_other_languages_are_refused(language):
    with pytest.raises(ValidationFailed) as excinfo:
        language_resolve(text="Hello", language=language)
    assert excinfo.value.code == "unsupported_language"


@pytest.mark.parametrize("text", ["Привет", "مرحبا", "你好"])
def test_text_in_an_unsupported_script_is_refused(text):
    with pytest.raises(ValidationFailed):
        language_resolve(text=text, language=None)


def test_digits_alone_are_read_in_the_interface_language():
    with translation.override("en"):
        assert language_resolve(text="12345", language=None) == "en"
    with translation.override("he"):
        assert language_resolve(text="12345", language=None) == "he"
