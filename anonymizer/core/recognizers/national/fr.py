"""France: NIR, the social security number (13 digits and a mod 97 key)."""

import re

from .. import Recognizer, stdnum_check

_CONTEXT = ("nir", "sécurité sociale", "securite sociale", "sécu", "insee", "social security")
# Born in Corsica: the department is 2A or 2B (the key is computed with 19 / 18).
_CORSICA = re.compile(r"[12]\d{4}2[AB]\d{8}")

RECOGNIZERS = [
    Recognizer(
        kind="FR_NIR", rule="fr_nir", validate=stdnum_check("fr.nir"), digits=(15,),
        bare=re.compile(r"[12] \d{2} \d{2} \d{2} \d{3} \d{3} \d{2}|[12]\d{14}"),
        written=re.compile(r"[12][\d ]+"), context=_CONTEXT,
    ),
    Recognizer(
        kind="FR_NIR", rule="fr_nir", validate=stdnum_check("fr.nir"),
        shapes=(b"000000A00000000",), pattern=_CORSICA, bare=_CORSICA, context=_CONTEXT,
    ),
]
