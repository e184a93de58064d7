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

from importlib import import_module

from .base import Recognizer, compact, stdnum_check  # noqa: F401 (the registry's API)

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


from .custom import from_env  # noqa: E402 (custom.py builds Recognizer objects)

# The operator's file (HUSH_RECOGNIZERS_FILE): its kinds join the same pass.
CUSTOM = from_env()
RECOGNIZERS = load() + CUSTOM.recognizers
ALLOW = CUSTOM.allow
KINDS = tuple(dict.fromkeys(r.kind for r in RECOGNIZERS))


# The kinds detect finds with its own rules (anonymizer/core/detect.py), before the registry.
BUILT_IN = (
    ("EMAIL", "at each @"), ("PHONE", "digit clusters, phonenumbers' metadata"),
    ("IP_ADDRESS", "digit clusters, IPv6 colons, CIDR prefixes"),
    ("CREDIT_CARD", "issuer prefixes and lengths, Luhn"), ("IBAN", "registry lengths, mod 97"),
    ("US_SSN", "SSA's unissued ranges"), ("MAC_ADDRESS", "separator rhythm"),
    ("GPS", "coordinate pairs, lat/lon keys"), ("SECRET", "key words, token prefixes"),
    ("DATE_OF_BIRTH", "birth cue words"), ("PERSON", "cue words, name gazetteers"),
)


def active_recognizers() -> list[dict[str, str]]:
    """What the console's PII catalog page lists: every kind detect reports, where it
    comes from and how its candidates are found and checked."""
    rows = [{"kind": kind, "source": "built-in", "how": how} for kind, how in BUILT_IN]
    custom = {id(r) for r in CUSTOM.recognizers}
    for r in RECOGNIZERS:
        found_by = ", ".join(filter(None, (
            r.digits and f"{'/'.join(map(str, r.digits))} digits",
            r.shapes and "shape", r.runs and "long tokens",
            r.cues and "cue " + " / ".join(r.cues[:3]))))
        check = getattr(r.validate, "__module__", "") or ""
        rows.append({
            "kind": r.kind, "source": "HUSH_RECOGNIZERS_FILE" if id(r) in custom else "built-in",
            "how": found_by + (f"; {check.removeprefix('stdnum.')}" if check.startswith("stdnum")
                               else "") + ("; needs a context word" if r.bare is None and r.context
                                            else ""),
        })
    return rows
