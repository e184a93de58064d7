"""The operator's own recognizers, deny-list and allow-list, from a TOML file named by
`HUSH_RECOGNIZERS_FILE` (read at start-up; a bad file stops the start with an error that
names its line):

    [[recognizer]]
    kind = "CUSTOMER_ID"           # upper-case; becomes a kind like EMAIL
    pattern = 'CUST-\\d{6}'
    cues = ["cust-"]               # literal(s) the value starts with (default: the
                                   # pattern's literal start), found by the one cue pass
    checksum = "luhn"              # optional: luhn, verhoeff, damm, mod97, iso7064_mod11_10,
                                   # iso7064_mod97_10 (over the value's digits)
    context = ["customer"]         # optional: then one of these words must stand before it

    [deny]                         # always personal, whatever detection says
    values = ["Project Falcon"]    # found case-insensitively as whole words
    kind = "DENY_LIST"             # optional

    [allow]                        # never reported (your support address, test cards)
    values = ["support@example.com", "4111 1111 1111 1111"]
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field

from stdnum import damm, luhn, verhoeff
from stdnum.iso7064 import mod_11_10, mod_97_10

from .base import Recognizer

CHECKSUMS = {
    "luhn": luhn.is_valid, "verhoeff": verhoeff.is_valid, "damm": damm.is_valid,
    "mod97": lambda digits: int(digits) % 97 == 1, "iso7064_mod11_10": mod_11_10.is_valid,
    "iso7064_mod97_10": mod_97_10.is_valid,
}
_KIND = re.compile(r"[A-Z][A-Z0-9_]{1,39}")
_RECOGNIZER_KEYS = {"kind", "pattern", "cues", "checksum", "context"}


class RecognizerFileError(ValueError):
    """The file is not usable; the message names the file and the line."""


@dataclass
class Custom:
    recognizers: list[Recognizer] = field(default_factory=list)
    allow: frozenset[str] = frozenset()


def _line_of(source: str, table: str, index: int, key: str | None = None) -> int:
    """Line number of the `index`-th `[[table]]` (or `[table]`), or of `key` inside it."""
    lines = source.splitlines()
    header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
    seen, at = -1, 0
    for n, line in enumerate(lines, 1):
        if header.match(line):
            seen += 1
            if seen == index:
                at = n
                break
    if key and at:
        for n in range(at, len(lines)):
            if lines[n].strip().startswith("["):
                break
            if re.match(rf"^\s*{re.escape(key)}\s*=", lines[n]):
                return n + 1
    return at or 1


def _digits_of(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def load_file(path: str) -> Custom:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise RecognizerFileError(f"{path}: cannot read ({exc.strerror})") from None
    source = raw.decode("utf-8", "replace")
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"at line (\d+)", str(exc))
        line = at.group(1) if at else max(1, len(source.splitlines()))  # "at end of document"
        raise RecognizerFileError(f"{path}, line {line}: {exc}") from None
    return parse(data, source, path)


def parse(data: dict, source: str, path: str) -> Custom:
    def fail(message: str, table: str, index: int = 0, key: str | None = None):
        raise RecognizerFileError(f"{path}, line {_line_of(source, table, index, key)}: {message}")

    unknown = set(data) - {"recognizer", "deny", "allow"}
    if unknown:
        name = sorted(unknown)[0]
        fail(f"unknown table [{name}] (known: [[recognizer]], [deny], [allow])", name)
    out = Custom()
    for i, spec in enumerate(data.get("recognizer", [])):
        extra = set(spec) - _RECOGNIZER_KEYS
        if extra:
            key = sorted(extra)[0]
            fail(f"unknown key {key!r} (known: {', '.join(sorted(_RECOGNIZER_KEYS))})",
                 "recognizer", i, key)
        kind = spec.get("kind")
        if not isinstance(kind, str) or not _KIND.fullmatch(kind):
            fail("kind must be an upper-case name such as CUSTOMER_ID", "recognizer", i, "kind")
        try:
            pattern = re.compile(spec.get("pattern", ""))
        except (re.error, TypeError) as exc:
            fail(f"pattern is not a regular expression ({exc})", "recognizer", i, "pattern")
        if not pattern.pattern:
            fail("pattern is missing", "recognizer", i)
        checksum = spec.get("checksum")
        if checksum is not None and checksum not in CHECKSUMS:
            fail(f"unknown checksum {checksum!r} (known: {', '.join(sorted(CHECKSUMS))})",
                 "recognizer", i, "checksum")
        cues = spec.get("cues") or [_literal_start(pattern.pattern)]
        if not all(isinstance(c, str) and len(c) >= 2 for c in cues):
            fail("cues must be literal strings of 2+ characters the value starts with (the "
                 "pattern has no literal start to take them from)", "recognizer", i, "cues")
        context = spec.get("context", [])
        if not isinstance(context, list) or not all(isinstance(w, str) for w in context):
            fail("context must be a list of words", "recognizer", i, "context")
        check = CHECKSUMS.get(checksum)
        validate = (lambda v, check=check: check(_digits_of(v))) if check else bool
        out.recognizers.append(Recognizer(
            kind=kind, rule=f"custom_{kind.lower()}", validate=validate, cues=tuple(cues),
            pattern=pattern, bare=None if context else pattern,
            written=pattern if context else None, context=tuple(context),
            compact=lambda v: v))
    deny = data.get("deny", {})
    values = deny.get("values", [])
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        fail("deny values must be a list of non-empty strings", "deny", 0, "values")
    kind = deny.get("kind", "DENY_LIST")
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        fail("kind must be an upper-case name", "deny", 0, "kind")
    for value in values:
        exact = re.compile(rf"(?i){re.escape(value)}(?!\w)")
        out.recognizers.append(Recognizer(
            kind=kind, rule="deny_list", validate=bool, cues=(value,), pattern=exact,
            bare=exact, compact=lambda v: v))
    allow = data.get("allow", {}).get("values", [])
    if not isinstance(allow, list) or not all(isinstance(v, str) for v in allow):
        fail("allow values must be a list of strings", "allow", 0, "values")
    out.allow = frozenset(v.strip().casefold() for v in allow)
    return out


def _literal_start(pattern: str) -> str:
    m = re.match(r"(?:[A-Za-z0-9_#@:/-]|\\[.\-/])+", pattern)
    return m.group().replace("\\", "") if m else ""


def from_env() -> Custom:
    path = os.environ.get("HUSH_RECOGNIZERS_FILE", "").strip()
    return load_file(path) if path else Custom()
