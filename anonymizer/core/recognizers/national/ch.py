"""Switzerland: AHV/AVS number (756, nine digits, an EAN-13 check digit)."""

import re

from ..base import Recognizer, stdnum_check

RECOGNIZERS = [
    Recognizer(
        kind="CH_AHV", rule="ch_ahv", validate=stdnum_check("ch.ssn"), digits=(13,),
        # 13 plain digits starting 756 are also an EAN-13 (the same check digit): only the
        # dotted form stands alone
        bare=re.compile(r"756\.\d{4}\.\d{4}\.\d\d"), written=re.compile(r"756\d{10}"),
        context=("ahv", "avs", "sozialversicherungsnummer", "numéro avs"),
    ),
]
