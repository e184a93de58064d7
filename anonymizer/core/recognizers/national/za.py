"""South Africa: identity number (YYMMDD SSSS C A Z, Luhn, a real date)."""

import re

from .. import Recognizer, stdnum_check

RECOGNIZERS = [
    Recognizer(
        kind="ZA_ID", rule="za_id", validate=stdnum_check("za.idnr"), digits=(13,),
        written=re.compile(r"\d{13}|\d{6} \d{4} \d\d \d"),
        context=("id number", "identity number", "sa id", "rsa id", "id no", "identity no"),
    ),
]
