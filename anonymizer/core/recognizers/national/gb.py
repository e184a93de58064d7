"""United Kingdom: National Insurance number (HMRC's letter rules) and NHS number (mod 11)."""

import re

from .. import Recognizer, stdnum_check

# HMRC: first letter not D, F, I, Q, U, V; second not D, F, I, O, Q, U, V; the pairs BG,
# GB, KN, NK, NT, TN, ZZ are never issued; the suffix is A-D.
_NINO = re.compile(r"(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
                   r"( ?)\d{2}\1\d{2}\1\d{2}\1[A-D]")
# With a context word ("NI number ZZ 12 34 56 T") any two letters and suffix: test data.
_NINO_WRITTEN = re.compile(r"[A-Z]{2}( ?)\d{2}\1\d{2}\1\d{2}\1[A-Z]")

RECOGNIZERS = [
    Recognizer(
        kind="UK_NINO", rule="uk_nino", validate=lambda v: len(v) == 9,
        shapes=(b"AA000000A", b"AA 00 00 00 A"),
        pattern=re.compile(r"[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Z]"),
        bare=_NINO, written=_NINO_WRITTEN,
        context=("national insurance", "nino", "ni number", "ni no", "nin"),
    ),
    Recognizer(
        kind="UK_NHS", rule="uk_nhs", validate=stdnum_check("gb.nhs"), digits=(10,),
        bare=re.compile(r"\d{3}([ -])\d{3}\1\d{4}"),
        written=re.compile(r"\d{3}([ -]?)\d{3}\1\d{4}"),
        context=("nhs", "nhs number", "nhs no"), after_phone=True,
    ),
]
