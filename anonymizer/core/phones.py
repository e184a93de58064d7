"""Is this candidate a phone number? phonenumbers' metadata, without its slow path.

`phonenumbers.is_valid_number` costs ~60 us a call (it walks every number type
through its own regex helpers). This module reads the same metadata once per
region (the national number patterns and possible lengths of each number type)
and answers with a few precompiled `fullmatch` calls. Regions with complex
national-prefix rules fall back to `phonenumbers.parse` + `is_valid_number`.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

_TYPES = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number",
          "voip", "pager", "uan", "voicemail")


@lru_cache(maxsize=512)
def _region(region: str):
    """(general lengths, general pattern, [(lengths, pattern)] per number type, national
    prefixes, whether they are plain digits, country code); patterns as strings."""
    md = PhoneMetadata.metadata_for_region(region)
    if md is None or md.general_desc is None or not md.general_desc.national_number_pattern:
        return None
    general = md.general_desc
    types = []
    for name in _TYPES:
        desc = getattr(md, name, None)
        if desc is None or not desc.national_number_pattern:
            continue
        lengths = desc.possible_length or general.possible_length or ()
        if tuple(lengths) == (-1,):
            continue
        types.append((frozenset(lengths), desc.national_number_pattern))
    parsing = md.national_prefix_for_parsing
    # "0" or "0|180020": plain trunk prefixes we can strip ourselves.
    prefixes = tuple(parsing.split("|")) if parsing else ()
    simple = all(p.isdigit() for p in prefixes)
    return (frozenset(general.possible_length or ()), general.national_number_pattern,
            tuple(types), prefixes, simple, md.country_code)


_PATTERNS: dict[tuple[int, int], re.Pattern | None] = {}


def _valid_for_code(code: int, nsn: str) -> bool:
    """Is `nsn` a valid national number in any region of calling code `code`?"""
    key = (code, len(nsn))
    try:
        pattern = _PATTERNS[key]
    except KeyError:
        pattern = _PATTERNS[key] = _pattern_for(*key)
    return pattern is not None and pattern.fullmatch(nsn) is not None


def _pattern_for(code: int, size: int) -> re.Pattern | None:
    """One regex for `size`-digit numbers in every region of `code` (25 share +1): per
    region its general pattern as a lookahead, then the number types that allow `size`.
    phonenumbers tries each region and type in turn; this is one fullmatch."""
    branches = []
    for region in COUNTRY_CODE_TO_REGION_CODE.get(code, ()):
        info = _region(region)
        if info is None or (info[0] and size not in info[0]):
            continue
        allowed = [p for lengths, p in info[2] if not lengths or size in lengths]
        if allowed:
            either = "|".join(f"(?:{p})" for p in allowed)
            branches.append(f"(?=(?:{info[1]})\\Z)(?:{either})")
    return re.compile("|".join(f"(?:{b})" for b in branches)) if branches else None


def valid_international(digits: str) -> bool:
    """`digits` follow a "+" (or "00"): country code, then the national number."""
    for size in (1, 2, 3):
        code = int(digits[:size]) if len(digits) > size else -1
        if code in COUNTRY_CODE_TO_REGION_CODE:
            nsn = digits[size:]
            # "+44 (0) 20 ..." carries the trunk prefix after the country code.
            return _valid_for_code(code, nsn) or (
                nsn.startswith("0") and code != 1 and _valid_for_code(code, nsn[1:]))
    return False


def valid_national(digits: str, region: str) -> bool:
    """`digits` as written inside `region`, without a country code."""
    info = _region(region)
    if info is None:
        return False
    prefixes, simple, code = info[3], info[4], info[5]
    if not simple:
        try:
            return phonenumbers.is_valid_number(phonenumbers.parse(digits, region))
        except phonenumbers.NumberParseException:
            return False
    if code == 1:  # NANP: the "1" trunk prefix is optional
        return _valid_for_code(1, digits[1:] if len(digits) == 11 and digits[0] == "1" else digits)
    if not prefixes:  # Italy, Spain, ...: no trunk prefix, the number is written whole
        return _valid_for_code(code, digits)
    # Elsewhere a national number is written with its trunk prefix ("030 ...", "020 ...");
    # without it, digit runs like dates and ids would pass as numbers.
    return any(digits.startswith(prefix) and _valid_for_code(code, digits[len(prefix):])
               for prefix in prefixes)


def plausible_national(digits: str, region: str) -> bool:
    """A cheap first look: a region with a trunk prefix ("0") writes it first."""
    info = _region(region)
    if info is None:
        return False
    prefixes, code = info[3], info[5]
    if code == 1:  # NANP: [2-9]XX [2-9]XX XXXX, optionally after a "1"
        if len(digits) == 11 and digits[0] == "1":
            digits = digits[1:]
        return len(digits) == 10 and digits[0] not in "01" and digits[3] not in "01"
    if not prefixes:
        return True
    return any(digits.startswith(p) for p in prefixes) and digits[1:2] != digits[:1]


def national_gate(regions: tuple[str, ...]):
    """`any(plausible_national(digits, r) for r in regions)` as one cheap predicate
    (detect builds it once per region set and keeps it)."""
    infos = [info for info in map(_region, regions) if info is not None]
    if any(not info[3] and info[5] != 1 for info in infos):
        return _anything  # a region without a trunk prefix writes any digits
    nanp = any(info[5] == 1 for info in infos)
    prefixes = tuple(p for info in infos if info[5] != 1 for p in info[3])

    def gate(digits: str) -> bool:
        if nanp:
            d = digits[1:] if len(digits) == 11 and digits[0] == "1" else digits
            if len(d) == 10 and d[0] not in "01" and d[3] not in "01":
                return True
        return bool(prefixes) and digits.startswith(prefixes) and digits[1:2] != digits[:1]

    return gate


def _anything(digits: str) -> bool:
    return True


def valid_for_code(code: int, nsn: str) -> bool:
    """Is `nsn` a valid national number for calling code `code` (86: China)?"""
    return _valid_for_code(code, nsn)


def possible_international(digits: str) -> bool:
    """`digits` after a "+" have the length a number of their country can have (allocated
    or not); "+41 (0)69 ..." is read without its written trunk "0"."""
    for size in (1, 2, 3):
        code = int(digits[:size]) if len(digits) > size else -1
        if code in COUNTRY_CODE_TO_REGION_CODE:
            nsn = digits[size:]
            if nsn.startswith("0") and code != 1 and code != 39:
                nsn = nsn[1:]
            number = phonenumbers.PhoneNumber(country_code=code, national_number=int(nsn or 0))
            return phonenumbers.is_possible_number(number)
    return False
