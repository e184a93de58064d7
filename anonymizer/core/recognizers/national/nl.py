"""Netherlands: burgerservicenummer (nine digits, the "11-proof")."""

import re

from .. import Recognizer, stdnum_check

RECOGNIZERS = [
    Recognizer(
        kind="NL_BSN", rule="nl_bsn", validate=stdnum_check("nl.bsn"), digits=(9,),
        written=re.compile(r"\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3}"),
        context=("bsn", "burgerservicenummer", "sofinummer", "sofi"),
    ),
]
