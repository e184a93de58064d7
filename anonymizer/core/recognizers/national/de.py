"""Germany: steuerliche Identifikationsnummer (11 digits, ISO 7064 mod 11,10)."""

import re

from .. import Recognizer, stdnum_check

RECOGNIZERS = [
    Recognizer(
        kind="DE_TAX_ID", rule="de_tax_id", validate=stdnum_check("de.idnr"), digits=(11,),
        written=re.compile(r"\d{11}|\d\d \d{3} \d{3} \d{3}"),
        context=("steuer-id", "steuerid", "steuer id", "steueridentifikationsnummer",
                 "identifikationsnummer", "idnr", "tax id", "steuernummer", "tin"),
    ),
]
