"""South Korea: resident registration number (YYMMDD-GNNNNNC, weighted mod 11).

Numbers issued since October 2020 end in random digits, with no check digit: with a
context word ("주민등록번호", "RRN") the date and the gender digit are enough."""

import re

from stdnum.kr import rrn

from .. import Recognizer, stdnum_check


def _date_ok(value: str) -> bool:
    try:
        rrn.get_birth_date(value)
    except ValueError:
        return False
    return value[6] in "12345678"


_CONTEXT = ("rrn", "resident registration", "주민등록번호", "주민번호")

RECOGNIZERS = [
    Recognizer(
        kind="KR_RRN", rule="kr_rrn", validate=stdnum_check("kr.rrn"), digits=(13,),
        bare=re.compile(r"\d{6}-[1-8]\d{6}"), written=re.compile(r"\d{13}"), context=_CONTEXT,
    ),
    Recognizer(
        kind="KR_RRN", rule="kr_rrn", validate=_date_ok, digits=(13,),
        written=re.compile(r"\d{6}-?[1-8]\d{6}"), context=_CONTEXT,
    ),
]
