"""What a free-text AI answer (a motivation, a check-in reply) must not contain, beyond domain/ai_text.py's
cleaning: JSON or markup the model leaked ("Sure! Here is your text: {…"), and hashtags."""

import re
from typing import Final

__all__ = ["has_hashtag", "leaks_structure"]

_STRUCTURE: Final = re.compile(r"[{}\[\]<>]")
_HASHTAG: Final = re.compile(r"#\w")


def leaks_structure(text: str) -> bool:
    """Braces, brackets or angle brackets: a broken JSON answer or markup, never a sentence to a user."""
    return _STRUCTURE.search(text) is not None


def has_hashtag(text: str) -> bool:
    return _HASHTAG.search(text) is not None
