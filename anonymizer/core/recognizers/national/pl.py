"""Poland: PESEL (11 digits, a weighted mod 10 check digit and a birth date)."""

import re

from .. import Recognizer, stdnum_check

RECOGNIZERS = [
    Recognizer(
        kind="PL_PESEL", rule="pl_pesel", validate=stdnum_check("pl.pesel"), digits=(11,),
        written=re.compile(r"\d{11}"), context=("pesel",),
    ),
]
