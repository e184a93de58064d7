"""Brazil: CPF (nine digits and two mod 11 check digits)."""

import re

from .. import Recognizer, stdnum_check

RECOGNIZERS = [
    Recognizer(
        kind="BR_CPF", rule="br_cpf", validate=stdnum_check("br.cpf"), digits=(11,),
        bare=re.compile(r"\d{3}\.\d{3}\.\d{3}-\d\d"), written=re.compile(r"\d{11}|\d{9}-\d\d"),
        context=("cpf",),
    ),
]
