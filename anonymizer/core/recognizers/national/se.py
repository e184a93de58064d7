"""Sweden: personnummer (YYMMDD-NNNC, Luhn over the last ten digits, a real date)."""

import re

from .. import Recognizer, stdnum_check

RECOGNIZERS = [
    Recognizer(
        kind="SE_PERSONNUMMER", rule="se_personnummer", validate=stdnum_check("se.personnummer"),
        digits=(10, 12), compact=lambda v: v.replace(" ", ""),
        bare=re.compile(r"(?:19|20)?\d{6}[-+]\d{4}"), written=re.compile(r"(?:19|20)?\d{10}"),
        context=("personnummer", "personnr", "person number"),
    ),
]
