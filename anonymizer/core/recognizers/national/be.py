"""Belgium: national register number (YY.MM.DD-NNN.CC, mod 97 key, a birth date)."""

import re

from .. import Recognizer, stdnum_check

_DOTTED = re.compile(r"\d\d\.\d\d\.\d\d-\d{3}\.\d\d")
_CONTEXT = ("rijksregisternummer", "rijksregister", "numéro national", "national number",
            "registre national", "insz", "niss", "nn")

RECOGNIZERS = [
    # The dotted form reads like a date to the digit scan: it is found by its shape.
    Recognizer(
        kind="BE_NATIONAL_NUMBER", rule="be_nn", validate=stdnum_check("be.nn"),
        shapes=(b"00.00.00-000.00",), pattern=_DOTTED, bare=_DOTTED, context=_CONTEXT,
    ),
    Recognizer(
        kind="BE_NATIONAL_NUMBER", rule="be_nn", validate=stdnum_check("be.nn"), digits=(11,),
        written=re.compile(r"\d{6}[ -]?\d{3}[ -]?\d\d"), context=_CONTEXT,
    ),
]
