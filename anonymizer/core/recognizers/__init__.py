"""The recognizer registry: one small module per kind or family, one shared pass.

A recognizer declares where its candidates come from, so that `detect` finds all of
them in the passes it already makes over the text, whatever the number of kinds:
- `digits`: numeric clusters (detect's one digit scan) with this many digits;
- `shapes`: byte shapes ("AA000000A": A upper-case, 0 digit, a lower-case) found with
  `bytes.find` on the text's shape, computed once;
- `runs`: runs of at least this many letters and digits (base58 has no other mark);
- `cues`: literal words found by the one Aho-Corasick pass ("0x", "bc1", "://").
Then `pattern` (where its value starts and ends), `validate` (the published check
rule on the compact value: a value that fails is not this kind) and `context` (words
that, within 48 characters before, make a candidate this kind; `bare` says which
written forms stand without them).

To add a national identifier, add one module under `national/` that defines
`RECOGNIZERS`, list it in `MODULES`, and add its tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module

_SEPARATORS = str.maketrans("", "", " -./")


def compact(value: str) -> str:
    """The value without the separators people write in it."""
    return value.translate(_SEPARATORS).upper()


@dataclass(frozen=True)
class Recognizer:
    kind: str
    rule: str
    validate: Callable[[str], bool]
    # numeric clusters of these digit counts; `bare` / `written` are fullmatched on them
    digits: tuple[int, ...] = ()
    shapes: tuple[bytes, ...] = ()
    # runs of at least this many ASCII letters and digits (base58 addresses), matched
    # at the run's start
    runs: int = 0
    cues: tuple[str, ...] = ()
    # the written forms that need no context word, and those that need one
    bare: re.Pattern | None = None
    written: re.Pattern | None = None
    context: tuple[str, ...] = ()
    # bare values a valid phone number in the configured regions takes first (NHS 3-3-4)
    after_phone: bool = False
    compact: Callable[[str], str] = compact
    # for shapes and cues: the value's span, matched where the shape or cue starts
    pattern: re.Pattern | None = None
    # for cues whose values are parts of a larger token (a URL's personal parts):
    # find(text, cue_start) -> [(start, end)]
    find: Callable[[str, int], list[tuple[int, int]]] | None = None
    context_re: re.Pattern | None = field(default=None, compare=False)

    def __post_init__(self):
        if self.context:
            words = "|".join(re.escape(w) for w in sorted(self.context, key=len, reverse=True))
            object.__setattr__(self, "context_re", re.compile(
                rf"(?i)(?<![a-z])(?:{words})(?![a-z])"))

    def in_context(self, text: str, start: int) -> bool:
        return self.context_re is not None and self.context_re.search(
            text, max(0, start - 48), start) is not None

    def accepts(self, text: str, start: int, written: str) -> bool:
        """Is `written` (a candidate at `start`) this kind: its form, then its check rule."""
        bare = self.bare is not None and self.bare.fullmatch(written) is not None
        if not bare and not (self.written is not None and self.written.fullmatch(written)
                             and self.in_context(text, start)):
            return False
        try:
            return bool(self.validate(self.compact(written)))
        except (ValueError, TypeError, IndexError, KeyError):
            return False


def stdnum_check(module: str) -> Callable[[str], bool]:
    """python-stdnum's `is_valid` for one number format: its published check rule
    (mod 11, Luhn, Verhoeff, mod 97, ISO 7064, check letters, dates)."""
    checker = import_module(f"stdnum.{module}").is_valid
    return checker


MODULES = (
    "national.gb", "national.ca", "national.us", "national.in_", "national.es",
    "national.it", "national.pl", "national.se", "national.fi", "national.nl",
    "national.fr", "national.be", "national.de", "national.dk", "national.kr",
    "national.sg", "national.au", "national.za", "national.br", "national.ch",
    "crypto", "url",
)


def load(modules: tuple[str, ...] = MODULES) -> list[Recognizer]:
    found: list[Recognizer] = []
    for name in modules:
        found.extend(import_module(f"{__name__}.{name}").RECOGNIZERS)
    return found


RECOGNIZERS = load()
KINDS = tuple(dict.fromkeys(r.kind for r in RECOGNIZERS))
