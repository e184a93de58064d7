"""Spain: DNI/NIF (eight digits and a check letter, mod 23) and NIE (X/Y/Z, the same)."""

import re

from .. import Recognizer, stdnum_check

RECOGNIZERS = [
    Recognizer(
        kind="ES_NIF", rule="es_nif", validate=stdnum_check("es.dni"),
        shapes=(b"00000000A", b"00000000-A", b"00.000.000-A"),
        pattern=re.compile(r"\d{8}-?[A-Z]|\d\d\.\d{3}\.\d{3}-[A-Z]"),
        bare=re.compile(r"\d{8}-?[A-Z]|\d\d\.\d{3}\.\d{3}-[A-Z]"),
        context=("nif", "dni", "documento nacional"),
    ),
    Recognizer(
        kind="ES_NIE", rule="es_nie", validate=stdnum_check("es.nie"),
        shapes=(b"A0000000A", b"A-0000000-A"),
        pattern=re.compile(r"[XYZ]-?\d{7}-?[A-Z]"), bare=re.compile(r"[XYZ]-?\d{7}-?[A-Z]"),
        context=("nie",),
    ),
]
