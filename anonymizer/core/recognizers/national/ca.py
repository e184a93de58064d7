"""Canada: Social Insurance Number (Luhn; 0 and 8 are never issued first)."""

import re

from .. import Recognizer, stdnum_check

RECOGNIZERS = [
    Recognizer(
        kind="CA_SIN", rule="ca_sin", validate=stdnum_check("ca.sin"), digits=(9,),
        bare=re.compile(r"[1-79]\d\d([ -])\d{3}\1\d{3}"), written=re.compile(r"\d{9}"),
        context=("sin", "social insurance", "nas", "assurance sociale"),
    ),
]
