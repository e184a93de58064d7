"""United States: ITIN (9XX with its issued middle groups) and passport (by context)."""

import re

from .. import Recognizer, stdnum_check

RECOGNIZERS = [
    Recognizer(
        kind="US_ITIN", rule="us_itin", validate=stdnum_check("us.itin"), digits=(9,),
        bare=re.compile(r"9\d\d([ -])\d\d\1\d{4}"), written=re.compile(r"9\d{8}"),
        context=("itin", "taxpayer identification", "tax id"),
    ),
    # A passport number has no check digit: 9 digits (or a letter and 8 digits since
    # 2021) next to the word.
    Recognizer(
        kind="US_PASSPORT", rule="us_passport", validate=lambda v: len(v) == 9, digits=(9,),
        written=re.compile(r"\d{9}"), context=("passport", "passport no", "passport number"),
    ),
    Recognizer(
        kind="US_PASSPORT", rule="us_passport", validate=lambda v: len(v) == 9,
        shapes=(b"A00000000",), pattern=re.compile(r"[A-Z]\d{8}"),
        written=re.compile(r"[A-Z]\d{8}"), context=("passport",),
    ),
]
