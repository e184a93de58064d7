"""Finland: henkilötunnus (DDMMYY, century sign, NNN, a mod 31 check character)."""

import re

from .. import Recognizer, stdnum_check

_HETU = re.compile(r"\d{6}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y]")

RECOGNIZERS = [
    Recognizer(
        kind="FI_HETU", rule="fi_hetu", validate=stdnum_check("fi.hetu"),
        compact=lambda v: v.upper(),
        shapes=(b"000000-000A", b"000000A000A", b"000000A0000", b"000000+000A"),
        pattern=_HETU, bare=_HETU,
        context=("henkilötunnus", "hetu", "personbeteckning"),
    ),
    Recognizer(
        kind="FI_HETU", rule="fi_hetu", validate=stdnum_check("fi.hetu"), digits=(10,),
        compact=lambda v: v, bare=re.compile(r"\d{6}[-+]\d{4}"),
        context=("henkilötunnus", "hetu", "personbeteckning"),
    ),
]
