"""Denmark: CPR number (DDMMYY-NNNN: a real date; since 2007 no mod 11 check)."""

import re

from .. import Recognizer, stdnum_check

RECOGNIZERS = [
    Recognizer(
        kind="DK_CPR", rule="dk_cpr", validate=stdnum_check("dk.cpr"), digits=(10,),
        written=re.compile(r"\d{6}-?\d{4}"), context=("cpr", "cpr-nummer", "cpr-nr", "cpr nr"),
    ),
]
