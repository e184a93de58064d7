"""Checksums and ranges that turn a regex candidate into a finding.

Each takes the candidate's characters (separators already removed where noted)
and answers quickly; none raises.
"""

from __future__ import annotations

import ipaddress

# Issuer prefixes (IIN ranges) of the networks a card number can belong to.
_CARD_PREFIXES = (
    ("4", 13, 19),                                          # Visa
    *((str(p), 16, 16) for p in range(51, 56)),             # Mastercard
    *((str(p), 16, 16) for p in range(2221, 2721)),         # Mastercard 2-series
    ("34", 15, 15), ("37", 15, 15),                         # Amex
    ("6011", 16, 19), ("65", 16, 19),                       # Discover
    *((str(p), 16, 19) for p in range(644, 650)),
    # JCB: 3528-3589 by the book, but test data (Faker's table) and older cards use the
    # whole 35 block; a 16-19 digit Luhn-valid 35... number is a card either way.
    ("35", 16, 19),
    ("1800", 15, 15), ("2131", 15, 15),                     # JCB's 15-digit ranges
    *((str(p), 16, 19) for p in range(2200, 2205)),         # Mir
    *((str(p), 14, 19) for p in range(300, 306)),           # Diners
    ("36", 14, 19), ("38", 14, 19), ("39", 14, 19),          # (38/39: 14 digits before 2014)
    ("62", 16, 19),                                         # UnionPay
    ("50", 12, 19), *((str(p), 12, 19) for p in range(56, 70)),  # Maestro
    ("0604", 12, 19),                                       # Maestro's old UK range
)
# A prefix may belong to more than one network ("65" is Discover and Maestro): every
# (low, high) length range it issues is kept.
_CARD_BY_PREFIX: dict[str, list[tuple[int, int]]] = {}
for _prefix, _low, _high in _CARD_PREFIXES:
    _CARD_BY_PREFIX.setdefault(_prefix, []).append((_low, _high))
CARD_MIN_LENGTH = 12  # Maestro


def luhn_ok(digits: str) -> bool:
    """`digits` are ASCII digits. Every second one from the right is doubled (its digit
    sum taken: 7 -> 14 -> 5); the total must end in 0. Summing bytes keeps it in C."""
    if not digits.isascii():
        return False
    kept, doubled = digits[-1::-2], digits[-2::-2].translate(_LUHN_DOUBLED)
    return (sum(kept.encode()) + sum(doubled.encode()) - 48 * len(digits)) % 10 == 0


_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")


def card_ok(digits: str) -> bool:
    """12-19 digits, a known issuer prefix with a length it issues, and Luhn."""
    n = len(digits)
    if not CARD_MIN_LENGTH <= n <= 19:
        return False
    for size in (1, 2, 3, 4):
        for low, high in _CARD_BY_PREFIX.get(digits[:size], ()):
            if low <= n <= high:
                return luhn_ok(digits)
    return False


# Lengths from the SWIFT IBAN registry (release 99: every country, Libya and Russia
# included; python-stdnum's iban.dat agrees, tests/anonymizer/test_detect_formats.py checks).
IBAN_LENGTHS = {
    "BI": 27, "DJ": 27, "FK": 18, "HN": 28, "LY": 25, "MN": 20, "NI": 28, "OM": 23,
    "RU": 33, "SD": 18, "SO": 23, "YE": 30,
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
    "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}


def iban_ok(compact: str) -> bool:
    """`compact` is upper-case without spaces; its length must be its country's."""
    compact = compact.upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    # The country code moves to the end, its letters as numbers (D -> 13, E -> 14).
    bban, country = compact[4:], compact[:2].translate(_IBAN_LETTERS) + compact[2:4]
    if not bban.isdigit():  # letters in the account part too (GB, NL, ...): the slow path
        bban = bban.translate(_IBAN_LETTERS)
    number = bban + country
    return number.isascii() and number.isdigit() and int(number) % 97 == 1


# ISO 13616: A = 10, B = 11, ... Z = 35.
_IBAN_LETTERS = str.maketrans({chr(c): str(c - 55) for c in range(ord("A"), ord("Z") + 1)}
                              | {chr(c): str(c - 87) for c in range(ord("a"), ord("z") + 1)})


def ssn_ok(area: str, group: str, serial: str) -> bool:
    """SSA never issues area 000, 666 or 900-999, group 00 or serial 0000."""
    return (
        area != "000" and area != "666" and area[0] != "9"
        and group != "00" and serial != "0000"
    )


def ipv4_ok(candidate: str) -> bool:
    try:
        ipaddress.IPv4Address(candidate)
        return True
    except ValueError:
        # ipaddress refuses leading zeros ("010.001.002.003"), which logs still write.
        parts = candidate.split(".")
        return len(parts) == 4 and all(p.isdigit() and int(p) <= 255 for p in parts)


def ipv6_ok(candidate: str) -> bool:
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


def gps_ok(lat: str, lon: str) -> bool:
    try:
        return abs(float(lat)) <= 90.0 and abs(float(lon)) <= 180.0
    except ValueError:
        return False


def mac_ok(candidate: str) -> bool:
    """Not the broadcast (FF:FF:...) or all-zero address: they name no device."""
    hex_digits = candidate.replace(":", "").replace("-", "").replace(".", "").lower()
    return hex_digits.strip("0") != "" and hex_digits.strip("f") != ""
