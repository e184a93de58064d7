"""Find personal data in text: `detect(text) -> list[Finding]`.

Built for the hot path (every log line, every scrubbed event), so no regex scans
the whole text unless it must. Python's `re` costs about 10-20 ns for every
character it scans, so:
- the digit kinds (phone, card, SSN, IPv4, GPS) share one scan for "numeric
  clusters" and are told apart in Python;
- every rule keyed by a word (secrets, names, dates of birth, lat/lon, token
  prefixes) runs `match` only where one Aho-Corasick pass found its cue word;
- emails are matched at each "@", IBANs where the text's shape reads "AA00";
- validators (Luhn, mod-97, ranges, `ipaddress`, phone metadata) only see
  candidates.

A finding covers the whole value: overlapping findings are merged into one
span (the longest, then the most specific, names the kind), so no part of a
detected value can survive redaction.

The rules sit in this one module (past 400 lines) because they share that one pass:
each reads the cue positions and clusters the pass found, in a fixed order.
"""

from __future__ import annotations

import os
import re

from ahocorasick_rs import AhoCorasick

from . import letters, names
from . import validators as v
from .findings import (
    CREDIT_CARD,
    DATE_OF_BIRTH,
    EMAIL,
    GPS,
    IBAN,
    IP_ADDRESS,
    MAC_ADDRESS,
    PERSON,
    PHONE,
    SECRET,
    US_SSN,
    Finding,
)
from .recognizers import RECOGNIZERS, Recognizer

# Ties between overlapping findings of the same length go to the most specific kind.
_PRIORITY = {
    SECRET: 0, CREDIT_CARD: 1, IBAN: 2, US_SSN: 3, EMAIL: 4, IP_ADDRESS: 5,
    MAC_ADDRESS: 6, GPS: 7, PHONE: 8, DATE_OF_BIRTH: 9, PERSON: 10,
}
for _r in RECOGNIZERS:  # national ids, CRYPTO, URL: more specific than a phone
    _PRIORITY.setdefault(_r.kind, 3 if _r.kind != "URL" else 11)

# The registry's recognizers, by where their candidates come from (see recognizers/).
_IDS_BY_DIGITS: dict[int, list[Recognizer]] = {}
for _r in RECOGNIZERS:
    for _n in _r.digits:
        _IDS_BY_DIGITS.setdefault(_n, []).append(_r)
_BARE_BY_DIGITS = {n: [r for r in ids if r.bare is not None and not r.after_phone]
                   for n, ids in _IDS_BY_DIGITS.items()}
_AFTER_PHONE_BARE = {n: [r for r in ids if r.bare is not None and r.after_phone]
                     for n, ids in _IDS_BY_DIGITS.items()}
_SHAPE_IDS: dict[str, list[Recognizer]] = {}
for _r in RECOGNIZERS:
    for _shape in _r.shapes:
        _SHAPE_IDS.setdefault(_shape.decode("ascii"), []).append(_r)
# One Aho-Corasick pass over the text's shape finds every shape: 4x faster than a
# bytes.find per shape.
_SHAPE_FINDER = AhoCorasick(list(_SHAPE_IDS)) if _SHAPE_IDS else None
_SHAPE_RULES = list(_SHAPE_IDS.values())

_RUN_IDS = [r for r in RECOGNIZERS if r.runs]
_RUN_MIN = min((r.runs for r in _RUN_IDS), default=0)

# Regions whose national formats (no +CC) are tried; +CC numbers are always checked.
DEFAULT_PHONE_REGIONS = tuple(
    r.strip().upper()
    for r in os.environ.get("HUSH_PHONE_REGIONS", "US,GB,DE,FR").split(",")
    if r.strip()
)

# --- EMAIL -----------------------------------------------------------------
# The local part may carry URL escapes (%2B); "@" may be written "%40".
# The local part before an "@", read backwards ("o'brien" and "rock'n'roll" included).
_LOCAL_PART_REVERSED = re.compile(r"(?:[\w.%+\-]{1,64}')*[\w.%+\-]{1,64}")
_EMAIL = re.compile(
    r"(?<![\w.%+\-])(?<!\w')[\w.%+\-]{1,64}(?:'[\w.%+\-]{1,64})*(?:@|%40)"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9\-]{1,62}"
    r"(?![\w\-])"
)

# --- numeric clusters: PHONE, CREDIT_CARD, US_SSN, IPv4, GPS ---------------
# A run of digits and separators that starts a token (not inside a word, a
# path, a version or an id) and ends on a digit or ")".
_NUM = re.compile(
    # not after "12:" (a time's later parts) but after "ip:" or "tel:" (a key's value)
    r"[0-9+(\-](?<![\w.+\-/%#][0-9+(\-])(?<![0-9]:[0-9(\-])"
    # dates are not numbers (the first digit is already consumed here)
    r"(?!(?<=\d)\d{3}-\d\d-\d\d(?:[T ]\d|\b)|(?<=\d)\d?[./]\d\d?[./]\d{2,4}\b(?![./]\d)"
    # nor are prices ("1894.35 USD"): digits, a point, two decimals, then no more digits
    r"|(?<=\d)\d{0,6}\.\d\d(?![\d.,]|[ \-/]?\d))"
    r"[0-9 ().,/+\-]{5,}"
    # and it ends where a token ends: before an extension ("x036"), a port (":8080") or
    # punctuation, not inside an id, a path or a version
    r"(?<=[0-9)])(?!(?!x\d)[\w/%]|[.\-][0-9A-Za-z]|:(?!\d{1,5}(?![\w.:\-]))[0-9A-Za-z])"
)
_NUM_GROUPS = re.compile(r"[^ ,]+")
# A cluster holds digits and these separators only (see _NUM): dropping them leaves digits.
_DROP_SEPARATORS = str.maketrans("", "", " ().,/+-")
_IPV4 = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}")
_IPV4_CIDR = re.compile(r"((?:\d{1,3}\.){3}\d{1,3})/(\d{1,2})")
# "463-612-6138x036", "201-555-0123 ext. 12": the extension belongs to the number.
_EXTENSION = re.compile(r"(?i)[ \t]?(?:x|ext\.?|extension)[ \t]?\d{1,6}(?![\w])")
# A Chinese mobile: 1[3-9]X XXXX XXXX, written without trunk prefix or country code.
_CN_MOBILE = re.compile(r"1[3-9]\d(?:[ \-]?\d{4}){2}")
# A key or cue word just before a number that says it is one ("sms sent to", "phone":).
_PHONE_CUE = re.compile(
    r"(?i)(?:phone|tel|mobil|cell|sms|call|fax|whats\s?app|handy|portable|m[oó]vil|contact)"
    r"[\w\\\"']*(?:\W{1,4}[a-z]{1,5}){0,3}\W{0,4}$")
_GPS = re.compile(r"([-+]?\d{1,2}\.\d{3,})\s?,\s?([-+]?\d{1,3}\.\d{3,})")
_SSN = re.compile(r"(\d{3})([- ]?)(\d{2})\2(\d{4})")
# Printed cards group 4-4-4-4(-3) or 4-6-5 / 4-6-4; "408-8148-1721681" is an id.
_CARD_PRINTED = re.compile(r"(?:\d{4}[ \-])+\d{1,4}|\d{4}[ \-]\d{6}[ \-]\d{4,5}")
_VERSION_CUE = re.compile(r"(?i)(?:version|build|release|ver\.?|firmware)[\s:=]*$")
_SINGLE_DIGIT_GROUP = re.compile(r"(?<![0-9])[0-9](?![0-9])")
_DATE_LIKE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
_SSN_CUE = re.compile(r"(?i)\b(?:ssn|social\s+security(?:\s+(?:number|no\.?|#))?)\W{0,4}$")
# lat/lon written as key=value in text ("lat=48.85&lon=2.29").
_LATLON_KV = re.compile(
    r"(?i)(?<![a-z])(?:lat|latitude|lon|lng|long|longitude)[\"']?\s*[:=]\s*[\"']?"
    r"([-+]?\d{1,3}\.\d+)"
)

# --- IBAN, MAC, IPv6 ---------------------------------------------------------
# Each pattern starts with a character class, not a lookbehind: re then skips
# characters that cannot start a match in a tight loop.
_IBAN = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z][0-9]{2}(?:[ \-]?[A-Z0-9]){11,30}")
# People paste IBANs lower-case too ("gb42nawi0445..."): the same shape, all lower, but
# not inside a hex id ("...-ee85-40f33ee7..." is a UUID's tail): no dash before or inside.
_IBAN_LOWER = re.compile(r"[a-z](?<![A-Za-z0-9\-][a-z])[a-z][0-9]{2}(?: ?[a-z0-9]){11,30}")
# MAC addresses are rare: look for their separators' rhythm before the real regex
# (a pattern that starts with a literal is searched for at C speed).
_MAC_COLONS = re.compile(r":[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}:")
_MAC_DASHES = re.compile(r"-[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}-")
_MAC_DOTS = re.compile(r"\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}")
# For ASCII text a byte "shape" (A = upper-case letter, 0 = digit) finds where an
# IBAN could start ("AA00") with bytes.find instead of a regex scan.
_SHAPE = bytes(
    ord("A") if chr(i).isupper() else ord("0") if chr(i).isdigit() else ord("a")
    if chr(i).isalpha() else i
    for i in range(256)
)
_MAC = re.compile(
    r"(?<![\w:.\-])(?:[0-9A-Fa-f]{2}([:\-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}"
    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:\-]|\.\w)"
)
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}|(?=::))(?::[0-9A-Fa-f]{0,4}){2,7}"
    r"(?:(?<=:)(?:\d{1,3}\.){3}\d{1,3})?(?:%[\w.]+)?(?:/\d{1,3}(?!\d))?(?![\w:]|\.\d)"
)

# --- SECRET ----------------------------------------------------------------
# Where a key=value secret can start: `_SECRET_KV.match` is tried only at these words,
# and only when the next character can continue a secret key ("api_key", not "/api/").
_SECRET_KEYS = {
    # "token" also finds access_token, refresh_token, id_token, csrf_token; "secret" finds
    # client_secret and secret_key: the key word is matched where it stands.
    "pass": None, "pwd": None, "secret": None, "token": None, "credential": None,
    "cookie": None, "auth": None, "bearer": None, "pin": None,
    "api": "_-k", "access": "_-k", "private": "_-k", "session": "_-i",
}
_QVALUE = (
    r"""(?:\\?"(?P<dq>[^"\\\n\x00]{1,500})\\?"|'(?P<sq>[^'\n\x00]{1,500})'"""
    r"""|(?P<bare>[^\s"'&,;<>\\\x00]{1,500}))"""
)
_SECRET_KV = re.compile(
    r"(?i)(?<![a-z0-9])"
    r"(?:password|passwd|passphrase|pass|pwd|secret|client[_\-]?secret|api[_\-]?key|"
    r"apikey|access[_\-]?key|secret[_\-]?key|private[_\-]?key|(?:access|refresh|id|auth|"
    r"bearer|csrf|xsrf|session)[_\-]?token|token|session[_\-]?id|sessionid|credentials?|"
    r"set[_\-]cookie|cookie)"
    r"(?:\\?[\"'])?\s*[:=]\s*(?!\[[A-Z_]+\])" + _QVALUE
)
# "my password is ..." in free text: the value is the next word, whatever it holds.
_SECRET_IS = re.compile(
    r"(?i)(?<![a-z])(?:password|passphrase|passcode|pin)\s+(?:is|was)\s+(?:\"|')?"
    # The next word, without a full stop, comma or semicolon that ends it (greedy and
    # then one step back: a lazy `+?` tested the lookahead after every character).
    r"(?!\[[A-Z_]+\])(?P<bare>[^\s\"'\x00]+(?=[.,;](?:\s|$))|[^\s\"'\x00]+(?=[\"']?[.,;]?(?:\s|$)))"
)
_AUTH_HEADER = re.compile(
    r"(?i)(?<![a-z0-9])(?:proxy-)?authorization(?:\\?[\"'])?\s*[:=]\s*(?:\\?[\"'])?"
    r"(?:(?:bearer|basic|token|digest|negotiate|apikey)\s+)?(?!\[[A-Z_]+\])"
    r"(?P<bare>[^\s\"'&,;<>\\\x00]{4,})"
)
_BEARER = re.compile(r"(?i)\bbearer\s+(?!\[[A-Z_]+\])(?P<bare>[A-Za-z0-9\-._~+/]{8,}=*)")
_URL_PASSWORD = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@\x00]{1,256}:(?P<bare>[^/\s@\x00]{1,256})@")
_SECRET_KV_ONLY = ((_SECRET_KV, "secret_key_value"),)
_ASCII_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")


def _has_key_sign(window: str) -> bool:
    return ":" in window or "=" in window or " is " in window or " was " in window


_SECRET_PATTERNS = {
    "pass": ((_SECRET_KV, "secret_key_value"), (_SECRET_IS, "secret_is")),
    "pin": ((_SECRET_KV, "secret_key_value"), (_SECRET_IS, "secret_is")),
    "auth": ((_SECRET_KV, "secret_key_value"), (_AUTH_HEADER, "authorization")),
    "bearer": ((_SECRET_KV, "secret_key_value"), (_BEARER, "bearer")),
}
# Well-known token shapes: each pattern starts at its literal (the cue pass finds it,
# lower-cased; the pattern checks case and the word boundary behind it).
_TOKEN_SHAPES = (
    (("AKIA",), re.compile(r"AKIA(?<![A-Za-z0-9]....)[0-9A-Z]{16}\b"), "aws_access_key"),
    (("ASIA",), re.compile(r"ASIA(?<![A-Za-z0-9]....)[0-9A-Z]{16}\b"), "aws_access_key"),
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
     re.compile(r"gh(?<![A-Za-z0-9]..)[pousr]_[A-Za-z0-9]{30,255}\b"), "github_token"),
    (("github_pat_",), re.compile(r"github_pat_[A-Za-z0-9_]{22,255}"), "github_token"),
    (("k_live_", "k_test_"),
     re.compile(r"k_(?:live|test)_(?<![A-Za-z0-9][sr]k_...._)(?<=[sr]k_...._)[A-Za-z0-9]{16,255}\b"),
     "stripe_key"),
    (("eyJ",), re.compile(r"eyJ(?<![A-Za-z0-9_\-]...)[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\."
                       r"[A-Za-z0-9_\-]*"), "jwt"),
    (("xox",), re.compile(r"xox(?<![A-Za-z0-9]...)[abposr]-[A-Za-z0-9\-]{10,}"), "slack_token"),
    (("AIza",), re.compile(r"AIza(?<![A-Za-z0-9]....)[0-9A-Za-z_\-]{35}"), "google_api_key"),
    (("-----BEGIN",), re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[^\x00]*?(?:-----END [A-Z ]*PRIVATE KEY-----|\x00|\Z)",
        re.S), "private_key"),
)
# Stripe keys start one character before their literal ("sk_live_", "rk_live_").
_SHIFT = {"stripe_key": 1}

# --- DATE_OF_BIRTH (by context) --------------------------------------------
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+\d{{4}}"
    rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
# The words the rule can start with ("date of birth" and "date de naissance" at "date").
_DOB_CUES = ("born", "dob", "d.o.b", "birth", "geburt", "date")
_DOB = re.compile(
    r"(?i)(?<![a-z])(?:born(?:\s+on)?|d\.?o\.?b\.?|date[\s_]+of[\s_]+birth|birth[\s_\-]*date|"
    r"birth[\s_\-]*day|geburtsdatum|date\s+de\s+naissance)(?![a-z])"
    r"(?:\\?[\"'])?\s*(?:[:=\-]|is|was)?\s*(?:\\?[\"'])?\s*(?:on\s+)?(?P<v>" + _DATE + r")(?![\d])"
)

# --- PERSON (by context in free text) --------------------------------------
_UPPER, _LOWER, _NAME_WORD = letters.UPPER, letters.LOWER, letters.NAME_WORD
# a middle initial with or without its point: "Ruth R Montez", "John F. Kennedy"
_NAME = rf"{_NAME_WORD}(?:[ \t]+(?:[{_UPPER}]\.?[ \t]+)?{_NAME_WORD}){{0,2}}"
# Cue word -> a word the rule may need before it ("my name is", "I'm called").
_PERSON_CUES = {
    "name": ("my", "full", "first", "last", "customer", "contact"),
    "call": ("i'm", "im"),
    "truly": ("yours",),
    "dear": (), "signed": (), "regards": (), "sincerely": (),
}
_PERSON = re.compile(
    r"(?:(?i:\bmy\s+name\s+is|\bmy\s+name's|\bi'?m\s+called|\bcall\s+me|"
    r"\b(?:full[\s_]*|first[\s_]*|last[\s_]*|customer[\s_]*|contact[\s_]*)?name"
    r"(?:\\?[\"'])?\s*[:=]\s*(?:\\?[\"'])?)"
    r"|(?i:\bdear|\bsigned\s*[,:]?|\b(?:kind\s+|best\s+|warm\s+)?regards\s*[,:]?|"
    r"\bsincerely\s*[,:]?|\byours\s+truly\s*[,:]?))"
    r"[ \t]*\n?[ \t]*(?P<v>" + _NAME + r")"
)
# "my name is lena andersson": people type their name lower-case after the strongest
# cue; the name is the words up to the first ordinary word ("... and i live in ...").
_PERSON_LOWER = re.compile(
    r"(?i:my\s+name\s+is|my\s+name's|i'?m\s+called|call\s+me)[ \t]+"
    rf"(?P<v>[{_LOWER}][{_LOWER}'\u2019\-]+(?:[ \t]+[{_LOWER}][{_LOWER}'\u2019\-]+){{0,2}})"
)
_NOT_NAMES = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "have", "here", "i",
    "if", "in", "is", "it", "its", "just", "me", "my", "not", "now", "of", "on", "or", "please",
    "so", "that", "the", "their", "then", "there", "this", "to", "too", "very", "was", "we",
    "with", "you", "your", "unknown", "private", "none", "secret", "irrelevant",
))
_TITLES = ("Mr", "Ms", "Mx", "Miss", "Dr", "Prof")
_PERSON_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof)\.?[ \t]+(?P<v>" + _NAME + r")")


Span = tuple[int, int, str, str]  # start, end, kind, rule


def _merge(found: list[Span]) -> list[Span]:
    """Overlapping findings become one span; its kind is the longest member's."""
    if len(found) < 2:
        return found
    found.sort()
    out: list[Span] = []
    start, end, kind, rule = found[0]
    best = (end - start, -_PRIORITY[kind])
    for s, e, k, r in found[1:]:
        if s < end:  # overlaps the current span
            rank = (e - s, -_PRIORITY[k])
            if rank > best:
                best, kind, rule = rank, k, r
            if e > end:
                end = e
            continue
        out.append((start, end, kind, rule))
        start, end, kind, rule = s, e, k, r
        best = (e - s, -_PRIORITY[k])
    out.append((start, end, kind, rule))
    return out


def detect(text: str, *, regions: tuple[str, ...] | None = None) -> list[Finding]:
    """Every piece of personal data in `text`, as non-overlapping findings in order."""
    return [_new_finding(Finding, (kind, start, end, rule))
            for start, end, kind, rule in spans(text, regions=regions)]


_new_finding = tuple.__new__  # Finding's own __new__ minus a Python call


def spans(text: str, *, regions: tuple[str, ...] | None = None) -> list[Span]:
    """`detect` as (start, end, kind, rule) tuples: what redact and scrub_event use, as
    building Finding objects is a measurable part of a 1 KB event's budget."""
    if len(text) < 6:
        return []
    found: list[tuple[int, int, str, str]] = []
    add = found.append

    if "@" in text or "%40" in text:
        _emails(text, add)
    low = text.lower()
    if len(low) != len(text):  # "İ" lower-cases to two characters: keep it as it is
        low = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    try:
        cues = _CUE_FINDER.find_matches_as_indexes(low, overlapping=True)
    except UnicodeEncodeError:  # lone surrogates: the finder reads UTF-8
        low = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in low)
        cues = _CUE_FINDER.find_matches_as_indexes(low, overlapping=True)
    has_digit = _has_digit(text)
    if has_digit:
        ctx = _Context(cues, low)
        # IBAN-shaped values, valid or not: their digit groups are not searched again
        # for cards and phones (a mistyped IBAN is not three phone numbers).
        taken: list[Span] = []
        if text.isascii():
            shape = text.encode("ascii").translate(_SHAPE)
            for head, pattern in ((b"AA00", _IBAN), (b"aa00", _IBAN_LOWER)):
                i = shape.find(head)
                while i >= 0:
                    m = pattern.match(text, i)
                    if m:
                        _iban(m, found, taken)
                    i = shape.find(head, i + 1)
            if len(taken) > 1:
                taken.sort()
        else:
            for pattern in (_IBAN, _IBAN_LOWER):
                for m in pattern.finditer(text):
                    _iban(m, found, taken)
            taken.sort()
        _numeric(text, found, regions or DEFAULT_PHONE_REGIONS, taken, ctx)
        _shaped(text, shape if text.isascii() else None, found)
    colons = text.count(":")
    if (colons >= 5 and _MAC_COLONS.search(text)) or (
            text.count("-") >= 5 and _MAC_DASHES.search(text)) or _MAC_DOTS.search(text):
        for m in _MAC.finditer(text):
            if v.mac_ok(m.group()):
                add((m.start(), m.end(), MAC_ADDRESS, "mac"))
    if colons >= 7 or "::" in text:
        for m in _IPV6.finditer(text):
            candidate = m.group()
            address, _, prefix = candidate.partition("/")  # a CIDR prefix is taken whole
            if ("::" in address or address.count(":") == 7) and v.ipv6_ok(address) and (
                    not prefix or int(prefix) <= 128):
                add((m.start(), m.end(), IP_ADDRESS, "ipv6"))

    for index, start, _ in cues:
        for rule_at, spec in _CUE_RULES[index]:
            rule_at(text, low, start, spec, add)
    if not text.islower():  # some capital letter: names without a cue word
        names.find(text, add)
    if "://" in text and "@" in text:
        for m in _URL_PASSWORD.finditer(text):
            s = m.start("bare")
            # "user:pw@host" is a password, not an email "pw@host".
            found[:] = [f for f in found if not (f[2] == EMAIL and f[0] == s)]
            add((s, m.end("bare"), SECRET, "url_password"))
    return _merge(found)


_DIGITS = "0123456789"


def _has_digit(text: str) -> bool:
    # Ten substring searches run at C speed; one regex scan is ~20x slower.
    for d in _DIGITS:  # noqa: SIM110 (a plain loop: no generator to set up)
        if d in text:
            return True
    return False


# Letters and digits -> "w", the rest -> " ": runs of "w" are words, ids, hashes.
_RUN_MASK = bytes(ord("w") if chr(i).isalnum() and i < 128 else ord(" ") for i in range(256))


def _shaped(text: str, shape: bytes | None, found: list) -> None:
    """The registry's shape and run recognizers: bytes.find on the text's shape."""
    if shape is None:  # one byte per character: "?" stands for each non-ASCII one
        shape = text.encode("ascii", "replace").translate(_SHAPE)
    if _SHAPE_FINDER is not None:
        for index, i, _ in _SHAPE_FINDER.find_matches_as_indexes(
                shape.decode("latin-1"), overlapping=True):
            if i and shape[i - 1] in _ALNUM_SHAPE:
                continue
            for r in _SHAPE_RULES[index]:
                m = r.pattern.match(text, i)
                if m and (m.end() == len(text) or shape[m.end()] not in _ALNUM_SHAPE) and (
                        r.accepts(text, i, m.group())):
                    found.append((i, m.end(), r.kind, r.rule))
                    break
    if _RUN_MIN:
        mask = shape.translate(_RUN_MASK)
        run = b"w" * _RUN_MIN
        i = mask.find(run)
        while i >= 0:
            if not i or mask[i - 1] != 119:  # a run's start ("w")
                for r in _RUN_IDS:
                    m = r.pattern.match(text, i)
                    if m and r.accepts(text, i, m.group()):
                        found.append((i, m.end(), r.kind, r.rule))
                        break
            j = mask.find(b" ", i)
            i = mask.find(run, j) if j >= 0 else -1


_ALNUM_SHAPE = frozenset(b"A0a")


def _recognizer_at(text: str, low: str, i: int, r: Recognizer, add) -> None:
    """A registry recognizer at its cue word."""
    if r.find is not None:
        for s, e in r.find(text, i):
            add((s, e, r.kind, r.rule))
        return
    if i and low[i - 1].isalnum():
        return
    m = r.pattern.match(text, i)
    if m and r.accepts(text, i, m.group()):
        add((i, m.end(), r.kind, r.rule))


def _emails(text: str, add) -> None:
    """Match at each "@" / "%40" instead of scanning the whole text."""
    hits = []
    for sep in ("@", "%40"):
        i = text.find(sep)
        while i >= 0:
            hits.append(i)
            i = text.find(sep, i + 1)
    if len(hits) > 1:
        hits.sort()
    last = 0
    for at in hits:
        if at < last:
            continue
        # The local part is the run of local-part characters right before the "@": read
        # backwards, so the regex is tried at its one possible start, not at each of ~70.
        local = _LOCAL_PART_REVERSED.match(text[max(last, at - 200):at][::-1])
        if local is None:
            continue
        m = _EMAIL.match(text, at - local.end(), at + 260)
        if m is None and "'" in local.group():  # "x'+@..." may start after an apostrophe
            m = _EMAIL.search(text, max(last, at - 70), at + 260)
        if m:
            add((m.start(), m.end(), EMAIL, "email"))
            last = m.end()


# --- cue words ---------------------------------------------------------------
# Every keyed rule (secrets after "password", "token", ...; names after "name:", "Dear",
# "Mr"; dates after "born"; lat/lon; token prefixes such as "AKIA") starts at a cue word.
# One Aho-Corasick pass over the lower-cased text finds them all: ~1 us for a 200
# character line, where ~45 str.find scans took ~7 us. Each rule then runs `match` at
# its cue only.

def _secret_at(text: str, low: str, i: int, word: str, add) -> None:
    # Inside a word ("author", "compass", "shipping") no rule can start: each one looks
    # behind for a letter first.
    if i and low[i - 1] in _ASCII_LOWER:
        return
    then = _SECRET_KEYS[word]
    if then is not None and low[i + len(word):i + len(word) + 1] not in then:
        return
    # A key needs its ":" / "=" (or " is ") within a few characters.
    if word != "bearer" and not _has_key_sign(low[i:i + 40]):
        return
    for pattern, rule in _SECRET_PATTERNS.get(word, _SECRET_KV_ONLY):
        m = pattern.match(text, i)
        if m:
            group = m.lastgroup or "bare"
            s, e = m.start(group), m.end(group)
            if s >= 0 and e > s:
                add((s, e, SECRET, rule))


def _token_at(text: str, low: str, i: int, spec, add) -> None:
    literal, pattern, rule = spec
    if text.startswith(literal, i):  # the cue was found lower-cased
        m = pattern.match(text, i)
        if m:
            add((m.start() - _SHIFT.get(rule, 0), m.end(), SECRET, rule))


def _latlon_at(text: str, low: str, i: int, spec, add) -> None:
    m = _LATLON_KV.match(text, i)
    if m and abs(float(m.group(1))) <= 180:
        add((m.start(1), m.end(1), GPS, "latlon_key"))


def _context_at(text: str, low: str, i: int, spec, add) -> None:
    """`pattern.match` at the cue, or at a word just before it ("my name is")."""
    pattern, before, kind, rule, literal = spec
    if literal is not None and not text.startswith(literal, i):
        return  # titles are cased: "Dr", not "dr" in "address"
    m = None
    if before and i:
        j = i
        while j and low[j - 1] in _WORD_GAP:
            j -= 1
        for word in before:
            if low.endswith(word, 0, j):
                m = pattern.match(text, j - len(word))
                break
    m = m or pattern.match(text, i)
    if m:
        add((m.start("v"), m.end("v"), kind, rule))
    elif pattern is _PERSON and before:
        _lower_name_at(text, low, i, before, add)


def _lower_name_at(text: str, low: str, i: int, before: tuple[str, ...], add) -> None:
    j = i
    while j and low[j - 1] in _WORD_GAP:
        j -= 1
    for word in before:
        if low.endswith(word, 0, j):
            m = _PERSON_LOWER.match(text, j - len(word))
            if m:
                start, end = m.start("v"), m.start("v")
                for w in re.finditer(r"\S+", m.group("v")):
                    if w.group() in _NOT_NAMES:
                        break
                    end = m.start("v") + w.end()
                if end > start:
                    add((start, end, PERSON, "person_context"))
            return


_WORD_GAP = frozenset(" \t\r\n_")


def _cue_rules() -> dict[str, list]:
    rules: dict[str, list] = {}

    def cue(word: str, rule_at, spec) -> None:
        rules.setdefault(word.lower(), []).append((rule_at, spec))

    for word in _SECRET_KEYS:
        cue(word, _secret_at, word)
    for literals, pattern, rule in _TOKEN_SHAPES:
        for literal in literals:
            cue(literal, _token_at, (literal, pattern, rule))
    for word in ("lat", "lon", "lng"):
        cue(word, _latlon_at, None)
    for word in _DOB_CUES:
        cue(word, _context_at, (_DOB, (), DATE_OF_BIRTH, "dob_context", None))
    for word, before in _PERSON_CUES.items():
        cue(word, _context_at, (_PERSON, before, PERSON, "person_context", None))
    for title in _TITLES:
        cue(title, _context_at, (_PERSON_TITLE, (), PERSON, "person_title", title))
    for r in RECOGNIZERS:
        for word in r.cues:
            cue(word, _recognizer_at, r)
        if r.digits:
            for word in r.context:
                rules.setdefault(word.lower(), [])  # found by the pass, read by _national
    return rules


def _iban(m: re.Match, found: list, taken: list) -> None:
    """The regex over-reaches into following words; the country's length bounds it.
    A value of the right shape and length goes to `taken` whatever its checksum."""
    text = m.string
    s = m.start()
    size = v.IBAN_LENGTHS.get(text[s:s + 2].upper())
    if size is None:
        return
    body = _IBAN_BODIES.get(size)
    if body is None:
        body = _IBAN_BODIES[size] = re.compile(rf"(?:[ \-]?[A-Za-z0-9]){{{size - 4}}}")
    rest = body.match(text, s + 4, m.end())  # (the first four never hold a separator)
    if rest is None:
        return
    i = rest.end()
    if i >= len(text) or not text[i].isalnum() or text[i - 1] in " -" or text[i] in " -":
        compact = text[s:i].replace(" ", "").replace("-", "")
        if compact.isupper() or compact.islower():  # not "Gb42NaWi...": one case
            taken.append((s, i, IBAN, "iban"))
            if v.iban_ok(compact):
                found.append((s, i, IBAN, "iban"))


_IBAN_BODIES: dict[int, re.Pattern] = {}


# --- numeric clusters -------------------------------------------------------

def _numeric(text: str, found: list, regions: tuple[str, ...], taken: list[Span],
             ctx: list) -> None:
    """Digit clusters, except where one starts inside a `taken` span: the search goes
    on from that span's end (a phone number right after an IBAN is still found)."""
    if not taken:
        for m in _NUM.finditer(text):
            _cluster(text, m.start(), m.end(), m.group(), found, regions, ctx)
        return
    search = _NUM.search
    m = search(text)
    while m:
        s, e = m.span()
        for a, b, _, _ in taken:
            if a <= s < b:
                e = b
                break
        else:
            _cluster(text, s, e, m.group(), found, regions, ctx)
        m = search(text, e)


def _cluster(text: str, s: int, e: int, cand: str, found: list, regions: tuple[str, ...],
             ctx: list) -> None:
    if cand[0] == "-" and not (len(cand) > 1 and cand[1].isdigit()):
        return
    if cand[-1] == ")" and (cand[0] == "(" or "(" not in cand):
        # "(192.168.1.1)", "(+44 20 7946 0958)": the brackets are not the value's
        if cand.count("(") <= 1 and cand.count(")") == 1:
            if cand[0] == "(":
                cand, s = cand[1:], s + 1
            cand, e = cand[:-1], e - 1
    elif cand[0] == "(" and ")" not in cand:
        cand, s = cand[1:], s + 1
    if e < len(text) and text[e] == ":":  # "10.0.0.1:8080": only an address takes a port
        if _IPV4.fullmatch(cand) and v.ipv4_ok(cand):
            found.append((s, e, IP_ADDRESS, "ipv4"))
        return
    # A part that _classify takes is 7+ characters long: shorter clusters have none.
    if not _classify(text, s, e, cand, found, regions, ctx) and len(cand) >= 9 and (
            " " in cand or "," in cand):
        _classify_windows(text, s, cand, found, regions, ctx)


def _classify(text: str, s: int, e: int, cand: str, found: list,
              regions: tuple[str, ...], ctx: _Context | bool = False) -> bool:
    """Whole-cluster checks, cheapest first; True when the cluster was one value."""
    dots = cand.count(".")
    if len(cand) < 8 and dots != 3:
        return False  # too short for anything but an IPv4 address
    digits = cand.replace(" ", "").replace("-", "")
    if not digits.isdigit():
        digits = digits.translate(_DROP_SEPARATORS)
    n = len(digits)
    if n < 4:
        return False
    if dots:
        if n <= 12 and _IPV4.fullmatch(cand):
            if v.ipv4_ok(cand) and not _VERSION_CUE.search(text, max(0, s - 12), s):
                found.append((s, e, IP_ADDRESS, "ipv4"))
                return True
            return False
        if dots == 3 and "/" in cand:
            g = _IPV4_CIDR.fullmatch(cand)  # a network prefix, "192.168.1.0/24", taken whole
            if g and v.ipv4_ok(g.group(1)) and int(g.group(2)) <= 32:
                found.append((s, e, IP_ADDRESS, "ipv4_cidr"))
                return True
        if "," in cand:
            g = _GPS.fullmatch(cand.lstrip("+"))
            if g and v.gps_ok(g.group(1), g.group(2)):
                found.append((s, e, GPS, "gps_pair"))
                return True
    ids = _IDS_BY_DIGITS.get(n)
    if ids and _national(text, s, e, cand, n, ids, found, context=ctx):
        return True
    # (A card followed by more digits, "... 1111 123", is found by _classify_windows.)
    if v.CARD_MIN_LENGTH <= n <= 19 and (n == len(cand) or _CARD_PRINTED.fullmatch(cand)) and (
            v.card_ok(digits)):
        found.append((s, e, CREDIT_CARD, "card_luhn"))
        return True
    if ids and _national(text, s, e, cand, n, ids, found, context=False):
        return True
    if n == 9:
        g = _SSN.fullmatch(cand)
        # Without separators nine digits are an SSN only next to "SSN" / "social security".
        if g and v.ssn_ok(g.group(1), g.group(3), g.group(4)) and (
                g.group(2) or _SSN_CUE.search(text, max(0, s - 30), s)):
            found.append((s, e, US_SSN, "ssn"))
            return True
        if g and g.group(2) == "-":
            return True  # "078-05-0000": SSN-shaped but never issued, and no phone's shape
    if n == 11 and digits[0] == "1" and _CN_MOBILE.fullmatch(cand) and (
            _phones_module().valid_for_code(86, digits)):
        found.append((s, _with_extension(text, e), PHONE, "phone_cn_mobile"))
        return True
    if 7 <= n <= 15:
        if _phone_ok(cand, digits, regions):
            found.append((s, _with_extension(text, e), PHONE, "phone"))
            return True
        if _possible_in_context(text, s, cand, digits):
            found.append((s, _with_extension(text, e), PHONE, "phone_context"))
            return True
    return bool(ids) and _national(text, s, e, cand, n, ids, found, context=False, after_phone=True)


class _Context:
    """The context words of the numeric ids ("NHS", "PESEL") among the cue pass's hits,
    read once a cluster asks: most texts have none, and then no cluster looks further."""

    __slots__ = ("cues", "hits", "low")

    def __init__(self, cues: list, low: str):
        self.cues, self.low, self.hits = cues, low, None

    def near(self, s: int) -> set[str]:
        hits = self.hits
        if hits is None:
            low = self.low
            hits = self.hits = [
                (a, b, _CONTEXT_CUES[index]) for index, a, b in self.cues
                if index in _CONTEXT_CUES]
            if hits:  # whole words only: "sin" is no context inside "business"
                hits[:] = [h for h in hits if not (h[0] and low[h[0] - 1].isalpha())
                           and not low[h[1]:h[1] + 1].isalpha()]
        if not hits:
            return set()
        return {kind for a, b, kinds in hits if s - 48 <= a and b <= s for kind in kinds}


def _national(text: str, s: int, e: int, cand: str, n: int, ids: list[Recognizer], found: list, *,
              context: _Context | bool, after_phone: bool = False) -> bool:
    """The registry's numeric identifiers for this digit count. First those whose context
    word stands before the value (they win over a card or a phone), then the bare forms
    (before the SSN and phone checks), then those a valid phone number takes first."""
    if context:
        near = context.near(s) if context is not True else ()
        if not near:
            return False
        for r in ids:
            if r.kind in near and r.accepts(text, s, cand):
                found.append((s, e, r.kind, r.rule))
                return True
        return False
    for r in (_AFTER_PHONE_BARE if after_phone else _BARE_BY_DIGITS).get(n, ()):
        if r.bare.fullmatch(cand) is not None and r.accepts(text, s, cand):
            found.append((s, e, r.kind, r.rule))
            return True
    return False


def _with_extension(text: str, e: int) -> int:
    if e < len(text) and text[e] in " \txXe":
        m = _EXTENSION.match(text, e)
        if m:
            return m.end()
    return e


def _possible_in_context(text: str, s: int, cand: str, digits: str) -> bool:
    """An international number phonenumbers calls possible (right length for its country)
    but not allocated yet, right after a phone key or cue word ("sms sent to +44 ...")."""
    if not (cand[0] == "+" or cand.lstrip("(").startswith("+")):
        return False
    return _PHONE_CUE.search(text, max(0, s - 40), s) is not None and (
        _phones_module().possible_international(digits))


def _classify_windows(text: str, s: int, cand: str, found: list,
                      regions: tuple[str, ...], ctx: list) -> None:
    """A cluster that is not one value may hold several ("2024 +44 20 7946 0958, 555-..."):
    try runs of its space- or comma-separated groups, longest first."""
    groups = [(g.start(), g.end()) for g in _NUM_GROUPS.finditer(cand)]
    if len(groups) < 2:
        return
    groups = groups[:16]
    i = 0
    while i < len(groups):
        for j in range(len(groups), i, -1):
            if j - i == len(groups):
                continue  # the whole cluster was tried already
            a, b = groups[i][0], groups[j - 1][1]
            part = cand[a:b].strip(",.").rstrip("-")
            if part.startswith("(") and ")" not in part:
                part = part[1:]
            if part.endswith(")") and "(" not in part:
                part = part[:-1]
            a = cand.index(part, a) if part else a
            b = a + len(part)
            if len(part) >= 7 and _classify(text, s + a, s + b, part, found, regions, ctx):
                i = j
                break
        else:
            i += 1


_PHONE_CACHE: dict[tuple[str, tuple[str, ...]], bool] = {}


def _phone_ok(cand: str, digits: str, regions: tuple[str, ...]) -> bool:
    if not (cand[0] == "+" or cand.lstrip("(").startswith("+") or digits.startswith("00")) and (
            not _national_gate(regions)(digits)):
        return False  # most clusters here are ids and epoch times, which no region writes
    key = (cand, regions)
    hit = _PHONE_CACHE.get(key)
    if hit is not None:
        return hit
    if len(_PHONE_CACHE) > 20000:
        _PHONE_CACHE.clear()
    ok = _phone_check(cand, digits, regions)
    _PHONE_CACHE[key] = ok
    return ok


_phones = None
_GATES: dict[tuple[str, ...], object] = {}


def _phones_module():
    global _phones
    if _phones is None:  # phonenumbers' metadata loads on the first candidate only
        from . import phones

        _phones = phones
    return _phones


def _national_gate(regions: tuple[str, ...]):
    """phones.national_gate, kept here per region set (no lru_cache call per cluster)."""
    gate = _GATES.get(regions)
    if gate is None:
        gate = _GATES[regions] = _phones_module().national_gate(regions)
    return gate


def _phone_check(cand: str, digits: str, regions: tuple[str, ...]) -> bool:
    phones = _phones_module()
    stripped = cand.lstrip("(")
    if stripped.startswith("+"):
        return phones.valid_international(digits)
    if digits.startswith("00") and len(digits) >= 10:
        return phones.valid_international(digits[2:])
    if "," in cand or _DATE_LIKE.fullmatch(cand) or _IPV4.fullmatch(cand):
        return False
    if _SINGLE_DIGIT_GROUP.search(cand):
        return False  # "3.2.15424.456" is a build number; national numbers group 2+ digits
    return any(phones.plausible_national(digits, region) and phones.valid_national(digits, region)
               for region in regions)


_CUES = _cue_rules()  # cue word (lower-cased) -> [(rule_at, spec)]
_CUE_FINDER = AhoCorasick(list(_CUES))  # reports a cue as its index in _CUES
_CUE_RULES = list(_CUES.values())
# cue index -> the numeric kinds it is a context word of
_CONTEXT_CUES: dict[int, frozenset[str]] = {}
for _index, _word in enumerate(_CUES):
    _kinds = frozenset(r.kind for r in RECOGNIZERS if r.digits and _word in
                       {w.lower() for w in r.context})
    if _kinds:
        _CONTEXT_CUES[_index] = _kinds
