"""Australia: tax file number (eight or nine digits, weighted mod 11)."""

import re

from .. import Recognizer, stdnum_check

RECOGNIZERS = [
    Recognizer(
        kind="AU_TFN", rule="au_tfn", validate=stdnum_check("au.tfn"), digits=(8, 9),
        written=re.compile(r"\d{3}[ -]?\d{3}[ -]?\d{2,3}"), context=("tfn", "tax file"),
    ),
]
