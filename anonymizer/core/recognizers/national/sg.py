"""Singapore: NRIC / FIN (a prefix letter, seven digits, a weighted mod 11 check letter)."""

import re

from .. import Recognizer

_WEIGHTS = (2, 7, 6, 5, 4, 3, 2)
_LETTERS = {
    "ST": "JZIHGFEDCBA",  # citizens and permanent residents
    "FG": "XWUTRQPNMLK",  # foreigners
    "M": "KLJNPQRTUWX",   # foreigners since 2022
}


def nric_ok(value: str) -> bool:
    """ICA's rule: weights 2,7,6,5,4,3,2 over the digits, +4 for T and G, +3 for M."""
    if len(value) != 9 or not value[1:8].isdigit():
        return False
    prefix, total = value[0], sum(int(d) * w for d, w in zip(value[1:8], _WEIGHTS, strict=True))
    total += {"T": 4, "G": 4, "M": 3}.get(prefix, 0)
    for prefixes, letters in _LETTERS.items():
        if prefix in prefixes:
            if prefix == "M":
                return value[8] == letters[10 - total % 11]
            return value[8] == letters[total % 11]
    return False


_NRIC = re.compile(r"[STFGM]\d{7}[A-Z]")

RECOGNIZERS = [
    Recognizer(
        kind="SG_NRIC", rule="sg_nric", validate=nric_ok, shapes=(b"A0000000A",),
        pattern=_NRIC, bare=_NRIC, context=("nric", "fin"),
    ),
]
