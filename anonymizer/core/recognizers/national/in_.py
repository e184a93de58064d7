"""India: Aadhaar (Verhoeff check digit) and PAN (its fourth letter names the holder type)."""

import re

from .. import Recognizer, stdnum_check

RECOGNIZERS = [
    Recognizer(
        kind="IN_AADHAAR", rule="in_aadhaar", validate=stdnum_check("in_.aadhaar"), digits=(12,),
        bare=re.compile(r"[2-9]\d{3}([ -])\d{4}\1\d{4}"), written=re.compile(r"\d{12}"),
        context=("aadhaar", "aadhar", "uidai", "uid"),
    ),
    Recognizer(
        kind="IN_PAN", rule="in_pan", validate=stdnum_check("in_.pan"),
        shapes=(b"AAAAA0000A",), pattern=re.compile(r"[A-Z]{5}\d{4}[A-Z]"),
        bare=re.compile(r"[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]"),
        context=("pan", "permanent account number"),
    ),
]
