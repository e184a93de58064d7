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
    """(general lengths, {length: pattern of every number type of that length}, pattern for
    other lengths or None, national prefixes, whether they are plain digits, country code)."""
    md = PhoneMetadata.metadata_for_region(region)
    if md is None or md.general_desc is None or not md.general_desc.national_number_pattern:
        return None
    general = md.general_desc
    general_lengths = frozenset(general.possible_length or ())
    types = []
    for name in _TYPES:
        desc = getattr(md, name, None)
        if desc is None or not desc.national_number_pattern:
            continue
        lengths = desc.possible_length or general.possible_length or ()
        if tuple(lengths) == (-1,):
            continue
        types.append((frozenset(lengths), desc.national_number_pattern))

    # One fullmatch per candidate: the general pattern as a lookahead, then the types
    # that allow the candidate's length (phonenumbers tries them one by one).
    def either(patterns: list[str]):
        if not patterns:
            return None
        body = "|".join(f"(?:{p})" for p in patterns)
        return re.compile(f"(?=(?:{general.national_number_pattern})\\Z)(?:{body})")

    sizes = set().union(*(lengths for lengths, _ in types))
    by_length = {size: either([p for lengths, p in types if not lengths or size in lengths])
                 for size in sizes}
    other_lengths = either([p for lengths, p in types if not lengths])
    parsing = md.national_prefix_for_parsing
    # "0" or "0|180020": plain trunk prefixes we can strip ourselves.
    prefixes = tuple(parsing.split("|")) if parsing else ()
    simple = all(p.isdigit() for p in prefixes)
    return (general_lengths, by_length, other_lengths, prefixes, simple, md.country_code)


def _valid_in(region: str, nsn: str) -> bool:
    info = _region(region)
    if info is None:
        return False
    general_lengths, by_length, other_lengths = info[0], info[1], info[2]
    if general_lengths and len(nsn) not in general_lengths:
        return False
    pattern = by_length.get(len(nsn), other_lengths)
    return pattern is not None and pattern.fullmatch(nsn) is not None


def valid_international(digits: str) -> bool:
    """`digits` follow a "+" (or "00"): country code, then the national number."""
    for size in (1, 2, 3):
        code = int(digits[:size]) if len(digits) > size else -1
        regions = COUNTRY_CODE_TO_REGION_CODE.get(code)
        if regions:
            nsn = digits[size:]
            for region in regions:
                if _valid_in(region, nsn):
                    return True
                # "+44 (0) 20 ..." carries the trunk prefix after the country code.
                if nsn.startswith("0") and code != 1 and _valid_in(region, nsn[1:]):
                    return True
            return False
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
    regions = COUNTRY_CODE_TO_REGION_CODE.get(code, (region,))
    if code == 1:  # NANP: the "1" trunk prefix is optional
        nsn = digits[1:] if len(digits) == 11 and digits[0] == "1" else digits
        return any(_valid_in(r, nsn) for r in regions)
    if not prefixes:  # Italy, Spain, ...: no trunk prefix, the number is written whole
        return any(_valid_in(r, digits) for r in regions)
    # Elsewhere a national number is written with its trunk prefix ("030 ...", "020 ...");
    # without it, digit runs like dates and ids would pass as numbers.
    for prefix in prefixes:
        if digits.startswith(prefix) and any(_valid_in(r, digits[len(prefix):]) for r in regions):
            return True
    return False


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


@lru_cache(maxsize=64)
def national_gate(regions: tuple[str, ...]):
    """`any(plausible_national(digits, r) for r in regions)` as one cheap predicate."""
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
