"""Italy: codice fiscale (16 characters, its last a check letter over the other 15)."""

import re

from .. import Recognizer, stdnum_check

_CF = re.compile(r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z]"
                 r"[0-9LMNPQRSTUV]{3}[A-Z]")

RECOGNIZERS = [
    Recognizer(
        kind="IT_FISCAL_CODE", rule="it_fiscal_code", validate=stdnum_check("it.codicefiscale"),
        shapes=(b"AAAAAA00A00A000A",), pattern=_CF, bare=_CF,
        context=("codice fiscale", "cf"),
    ),
]
