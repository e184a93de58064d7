"""Switzerland: AHV/AVS number (756, nine digits, an EAN-13 check digit)."""

import re

from .. import Recognizer, stdnum_check

RECOGNIZERS = [
    Recognizer(
        kind="CH_AHV", rule="ch_ahv", validate=stdnum_check("ch.ssn"), digits=(13,),
        bare=re.compile(r"756(\.?)\d{4}\1\d{4}\1\d\d"),
        context=("ahv", "avs", "sozialversicherungsnummer", "numéro avs"),
    ),
]
