"""PERSON in free text, with no cue word: "My colleague Maria Martin forwarded this",
"Thanks, Łukasz", "- Noah MacDonald", `"author": "Zoë Ivanov"`.

The method, chosen for speed and quality together:
- Gazetteers: the given and family names of Faker's person providers (MIT licence, 86
  locales from Arabic to Zulu, ~31,000 given and ~30,000 family names, installed from
  PyPI, read once offline). A statistical model would cost ~1 ms a sentence and must be
  downloaded; a set lookup per capitalised word keeps the pass at a few microseconds a
  kilobyte, inside the 1,000,000 events a minute budget.
- Capitalisation: only words written with a capital (in any alphabet: Łukasz, Анна,
  Ηλίας) are looked at, with the particles of many cultures between them ("van der",
  "de la", "bin"), initials ("Ruth R Montez"), hyphens and apostrophes ("O'Neil").
- Context: a given name alone is a person only after a greeting or before nothing but a
  sign-off ("Hi Anna,", "Thanks, Łukasz", "- Noah"); a given name that is also an
  ordinary word or a month ("Will", "May", "Summer", "Page", "June") needs a known
  family name after it; the last word must be a known name, or at least no ordinary
  word and no street or company word ("Jordan Street", "Victoria Station").
Scripts without capitals (Chinese, Japanese, Thai, Arabic) are found by the cue words
only ("my name is", "Dear", "name:").
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from . import letters as dt

_PARTICLES = (
    "van", "von", "der", "den", "de", "del", "della", "la", "le", "da", "di", "du", "dos", "das",
    "bin", "binti", "ibn", "al", "el", "ter", "ten", "y", "zu", "af", "av", "die", "het", "op",
    "'t",
)
_WORD = dt.NAME_WORD
# A capitalised word that starts a token (not inside a word, an email, a path or an id).
_CAP_WORD = re.compile(
    rf"[{dt.UPPER}](?<![\w'\u2019.@/\\\-][{dt.UPPER}])[{dt.LOWER}]+"
    rf"(?:['\u2019\-][{dt.UPPER}{dt.LOWER}][{dt.LOWER}]+|[{dt.UPPER}][{dt.LOWER}]+)?")
_PARTICLE = "(?:" + "|".join(_PARTICLES) + ")"
_FULL = re.compile(
    rf"(?P<first>{_WORD})"
    rf"(?P<rest>(?:[ \t]+(?:[{dt.UPPER}]\.?[ \t]+)?(?:{_PARTICLE}[ \t]+){{0,3}}{_WORD}){{0,2}})"
    rf"(?![\w@])")
_REST_WORD = re.compile(rf"{_WORD}")
_GREETING = re.compile(
    r"(?i)(?:(?<![a-z])(?:hi|hello|hey|dear|thanks|thank\s+you|cheers|regards|best|love|"
    r"ciao|hallo|hej|moin|bonjour|salut|merci|hola|gracias|danke|grüße|gruß|groeten|"
    r"pozdrawiam|dziękuję|obrigad[oa])[ \t]*[,!:]?[ \t\n]*|(?:^|\n)[ \t]*[-\u2013\u2014~][ \t]*)$")
# Words that end no name: "Jordan Street", "Florence Hotel", "Victoria Station".
_NOT_SURNAMES = frozenset((
    "street", "st", "road", "rd", "avenue", "ave", "lane", "drive", "way", "square", "place",
    "station", "airport", "hotel", "park", "bank", "group", "inc", "ltd", "llc", "gmbh", "corp",
    "university", "college", "school", "hospital", "church", "city", "county", "river",
    "tech", "labs", "studio", "studios", "cloud", "pro", "plus", "max", "mini", "air", "team",
    "strasse", "straße", "weg", "platz", "rue", "calle", "via", "plaza", "bay", "beach",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
))
_MONTHS_AND_DAYS = frozenset((
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "januar", "februar", "märz", "mai", "juni", "juli", "oktober",
    "dezember", "janvier", "février", "mars", "avril", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre", "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "christmas", "easter", "god", "lord", "jesus", "allah",
))

_tables: tuple[frozenset, frozenset, frozenset] | None = None


def tables() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(given names, family names, ordinary words), lower-cased; read from Faker once."""
    global _tables
    if _tables is None:
        _tables = _load()
    return _tables


def _names_of(provider, prefix: str) -> set[str]:
    out: set[str] = set()
    for attr, value in vars(provider).items():
        if attr.startswith(prefix) and isinstance(value, (tuple, list, dict, set, frozenset)):
            for v in value:  # compound given names ("Luiz Henrique") count word by word
                if isinstance(v, str):
                    out.update(w for w in v.lower().split() if w.isalpha() and len(w) > 1)
    return out


def _load() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    import faker.providers.lorem as lorem  # (imported here: ~0.9 s, paid on first use only)
    import faker.providers.person as person

    given: set[str] = set()
    family: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        given |= _names_of(provider, "first_names")
        family |= _names_of(provider, "last_names")
    # Ordinary words: Faker's English word list (~1,000 common words). Other languages'
    # lists hold surnames as common nouns ("Berg", "Jan" in Dutch), so they are not used.
    english = importlib.import_module(f"{lorem.__name__}.en_US").Provider.word_list
    words = set(_MONTHS_AND_DAYS) | {w.lower() for w in english}
    return frozenset(given), frozenset(family), frozenset(words)


def find(text: str, add) -> None:
    """Add (start, end, PERSON, rule) for each name in `text`."""
    given, family, words = tables()
    pos = 0
    for m in _CAP_WORD.finditer(text):
        i = m.start()
        if i < pos:
            continue
        first = m.group().lower()
        if first not in given and first.split("-")[0] not in given:
            continue
        full = _FULL.match(text, i)
        if full is None:
            continue
        rest = [w.lower() for w in _REST_WORD.findall(full.group("rest"))]
        ordinary = first in words
        if rest:
            end = _accept_pair(first, ordinary, rest, given, family, words)
            if end:
                e = full.end() if end == len(rest) else i + _end_of_word(full.group(), end)
                add((i, e, "PERSON", "person_gazetteer"))
                pos = e
                continue
        if not ordinary and _GREETING.search(text, max(0, i - 24), i) and not (
                full.group("rest") and rest and rest[0] in words):
            add((i, m.end(), "PERSON", "person_gazetteer"))
            pos = m.end()


def _accept_pair(first: str, ordinary: bool, rest: list[str], given, family, words) -> int:
    """How many of the words after the given name belong to the name (0: not a name)."""
    for n in range(len(rest), 0, -1):
        last = rest[n - 1]
        parts = last.split("-")
        known = any(p in family or p in given for p in parts)
        if last in _NOT_SURNAMES:
            continue
        if ordinary or first in _MONTHS_AND_DAYS:
            if any(p in family for p in parts) and last not in words:
                return n
            continue
        if known or last not in words:
            return n
    return 0


def _end_of_word(name: str, count: int) -> int:
    """Where the `count`-th word after the first ends in `name`."""
    words = list(_REST_WORD.finditer(name))
    return words[count].end() if count < len(words) else len(name)
