"""Letter classes for regexes, in every alphabet: `re` has no \\p{Lu} / \\p{Ll}."""

from __future__ import annotations

import re


def letter_class(test) -> str:
    """A regex class of every BMP letter `test` accepts ("Ł", "Č", "đ", "ё", "ά"): `re`
    has no \\p{Lu}, and a Latin-1 class cut "Kozłowski" to "Koz"."""
    ranges, start, last = [], None, None
    for code in range(0x41, 0x10000):
        if test(chr(code)):
            if start is None:
                start = code
            last = code
        elif start is not None:
            ranges.append(re.escape(chr(start)) + ("-" + re.escape(chr(last)) if last > start
                                                    else ""))
            start = None
    return "".join(ranges)


UPPER = letter_class(lambda ch: ch.isupper() or ch.istitle())
LOWER = letter_class(lambda ch: ch.islower())
# "Ann", "O'Neil", "Mary-Jane", "McDonald" (\u2019 is the typographic apostrophe).
NAME_WORD = (
    rf"[{UPPER}][{LOWER}]*(?:['\u2019\-][{UPPER}{LOWER}][{LOWER}]+|[{UPPER}][{LOWER}]+)?"
    rf"[{LOWER}]"
)
