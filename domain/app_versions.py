"""App versions as the stores number them: dot-separated integers, compared part by part.

"1.10.0" is newer than "1.9.9" (text order says otherwise), and "1.2" equals "1.2.0": a missing part
counts as 0, as the app's own comparison does (its useAppUpdate hook).
"""

from __future__ import annotations

import re
from itertools import zip_longest
from typing import Final

# One to four parts of at most six digits: every store version, and nothing a client could inflate
# into a huge integer.
VERSION_PATTERN: Final = r"^[0-9]{1,6}(\.[0-9]{1,6}){0,3}$"
_VERSION: Final = re.compile(VERSION_PATTERN, re.ASCII)


def parse_version(text: str) -> tuple[int, ...]:
    if not _VERSION.fullmatch(text):
        raise ValueError(f"not a version: {text!r}")
    return tuple(int(part) for part in text.split("."))


def is_older(version: str, than: str) -> bool:
    for mine, theirs in zip_longest(parse_version(version), parse_version(than), fillvalue=0):
        if mine != theirs:
            return mine < theirs
    return False
