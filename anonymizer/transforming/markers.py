"""The marks of a value already transformed, defined once for erasure and retention.

Both must be idempotent: a run that stops anywhere is run again, and a second run
changes nothing. `null` and `redact` give one value whatever the input, so "done"
is "equals it". The others do not (pseudonymising a pseudonym makes another one), so
what they leave behind marks a value as done: a `pseu_` or `tok_` prefix, a run of
asterisks, a network's `/`, a year or year-month, and for any of them a pseudonym
on the reserved domain. The strings themselves come from `anonymizer.core.transforms`,
which writes them.

Three forms of one test: on a Python value (exact), in SQL and in the ORM (on text
columns only; they may pick more rows than the Python test, never fewer, since every
row they pick still goes through it).
"""

from __future__ import annotations

import re

from django.db.models import Q
from psycopg import sql

from anonymizer.core.transforms import MASK_RUN, PSEUDONYM_DOMAIN, PSEUDONYM_PREFIX, TOKEN_PREFIX

CONSTANT = frozenset({"null", "redact"})   # one value whatever the input: nothing to mark
DATE_KINDS = frozenset({"DATE", "DATE_OF_BIRTH", "TIMESTAMP"})
PREFIXES = {"pseudonymise": PSEUDONYM_PREFIX, "tokenize": TOKEN_PREFIX}
NETWORK = "/"                                 # what generalize (and mask) makes of an address
PSEUDONYM_SUFFIX = "@" + PSEUDONYM_DOMAIN
GENERALISED_DATE = re.compile(r"\d{4}(-\d{2})?")  # what generalize makes of a text date


def value_marked(transform: str, kind: str | None, value) -> bool:
    """Whether `value` needs no `transform`: it is empty, or a transform made it."""
    if value is None or value == "":
        return True
    if transform in CONSTANT:
        return False
    text = value if isinstance(value, str) else str(value)
    if text.endswith(PSEUDONYM_SUFFIX):
        return True  # a pseudonym already: not the person's any more
    if transform in PREFIXES:
        return text.startswith(PREFIXES[transform])
    if transform == "mask":
        return MASK_RUN in text or (kind == "IP_ADDRESS" and NETWORK in text)
    if transform == "generalize" and kind == "IP_ADDRESS":
        return NETWORK in text
    if transform == "generalize" and kind in DATE_KINDS and isinstance(value, str):
        return bool(GENERALISED_DATE.fullmatch(value))
    return False


def marked_sql(transform: str, kind: str | None, text: sql.Composable) -> sql.Composable | None:
    """`value_marked` on an SQL text expression (None: nothing marks this transform)."""
    if transform in CONSTANT:
        return None
    marks = [sql.SQL("right({}, {}) = {}").format(text, sql.Literal(len(PSEUDONYM_SUFFIX)),
                                                  sql.Literal(PSEUDONYM_SUFFIX))]
    if transform in PREFIXES:
        prefix = PREFIXES[transform]
        marks.append(sql.SQL("left({}, {}) = {}").format(text, sql.Literal(len(prefix)),
                                                         sql.Literal(prefix)))
    if transform == "mask":
        marks.append(sql.SQL("strpos({}, {}) > 0").format(text, sql.Literal(MASK_RUN)))
    if transform in {"mask", "generalize"} and kind == "IP_ADDRESS":
        marks.append(sql.SQL("strpos({}, {}) > 0").format(text, sql.Literal(NETWORK)))
    if transform == "generalize" and kind in DATE_KINDS:
        marks.append(sql.SQL("{} ~ {}").format(text, sql.Literal(
            f"^{GENERALISED_DATE.pattern}$")))
    return sql.SQL("({})").format(sql.SQL(" OR ").join(marks))


def marked_q(transform: str, kind: str | None, name: str) -> Q | None:
    """`value_marked` as an ORM condition on a text field (None: nothing marks it)."""
    if transform in CONSTANT:
        return None
    marked = Q(**{f"{name}__endswith": PSEUDONYM_SUFFIX})
    if transform in PREFIXES:
        marked |= Q(**{f"{name}__startswith": PREFIXES[transform]})
    if transform == "mask":
        marked |= Q(**{f"{name}__contains": MASK_RUN})
    if transform in {"mask", "generalize"} and kind == "IP_ADDRESS":
        marked |= Q(**{f"{name}__contains": NETWORK})
    if transform == "generalize" and kind in DATE_KINDS:
        marked |= Q(**{f"{name}__regex": f"^{GENERALISED_DATE.pattern}$"})
    return marked
