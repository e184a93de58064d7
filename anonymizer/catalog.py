"""The PII catalog: which stored fields are personal data, how a row is tied to a
subject, and what erasure and retention do to each field.

Apps declare their entries in a `pii.py` module (found at start-up by
`AnonymizerConfig.ready`); erasure, retention, `pii_audit` and `pii_catalog` read
them from here and nowhere else, so a field that is not catalogued is a finding,
not a silent leak. Tables in the company's own databases are declared in the file
named by `HUSH_PII_CATALOG_FILE` (see `anonymizer.catalog_file`), or in code with
`register_external`.

A model that holds text but no personal data is declared with `not_pii(model,
reason=...)`, so the test that every model was looked at stays meaningful.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum, StrEnum

from django.db.models import Q

# The transform names a catalog entry may use (`anonymizer.core.transforms.TRANSFORMS`).
TRANSFORM_NAMES = frozenset({"null", "redact", "mask", "pseudonymise", "tokenize",
                             "generalize", "delete"})
SUBJECT_IDENTIFIERS = frozenset({"email_digest", "email", "external_id", "public_id"})
# The model fields whose values are text (`null` may store '' in them when NOT NULL).
TEXT_FIELDS = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField"})


class Category(StrEnum):
    CONTACT = "contact"            # email, phone, postal address
    IDENTIFIER = "identifier"      # external ids, names, account numbers
    NETWORK = "network"            # IP and MAC addresses, user agents
    FINANCIAL = "financial"        # cards, IBANs
    LOCATION = "location"          # coordinates, postcodes, country
    DEMOGRAPHIC = "demographic"    # date of birth, age, locale
    FREE_TEXT = "free_text"        # anything a person typed
    CREDENTIAL = "credential"      # secrets, tokens


class Meaning(StrEnum):
    """What an entry means to the person it is about: the groups of "Download my data"."""

    CONTACT = "contact"              # how we reach you
    SUBSCRIPTIONS = "subscriptions"  # what you receive
    CHOICES = "choices"              # your privacy choices
    HISTORY = "history"              # what happened, and when
    OTHER = "other"                  # other records that name you


@dataclass(frozen=True)
class ForPerson:
    """How "Download my data" shows an entry to the person it is about: under which
    meaning, with which title and description, and the columns a person reads, each
    with its label, in that order. A column not named here stays in the JSON file
    (which is complete) but not on the readable page: digests, internal ids, notes.
    Titles and labels may be lazy translations."""

    meaning: Meaning
    title: str
    description: str = ""
    columns: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PiiField:
    """One personal-data column and what happens to it.

    `erase` and `retain` name transforms from `anonymizer.core.transforms`
    (`null`, `redact`, `pseudonymise`, `generalize`, `mask`, `delete`, ...);
    `kind` is the detection kind the transform treats the value as (EMAIL,
    IP_ADDRESS, DATE_OF_BIRTH, ...), where the transform needs one; `level` is the
    generalisation level (`"year"` for dates). `erase=None` means erasure keeps the
    value on purpose (`note` says why: the suppression digest, staff data, ...).
    `retain="delete"` on any field deletes the whole row when it is too old.
    `null` on a text column that cannot be NULL stores the empty string.
    """

    name: str
    category: Category
    erase: str | None = "null"
    retain: str | None = None
    kind: str | None = None
    level: str | None = None
    note: str = ""

    def __post_init__(self):
        object.__setattr__(self, "category", Category(self.category))
        for role in ("erase", "retain"):
            name = getattr(self, role)
            if name is not None and name not in TRANSFORM_NAMES:
                raise ValueError(f"field {self.name!r}: unknown {role} transform {name!r} "
                                 f"(one of {', '.join(sorted(TRANSFORM_NAMES))})")
        if "generalize" in (self.erase, self.retain) and not self.kind:
            raise ValueError(f"field {self.name!r}: generalize needs a kind (IP_ADDRESS, DATE...)")


@dataclass(frozen=True)
class Entry:
    """A table holding personal data.

    `subject` is how a row is found for a subject: for a Hush model, an ORM lookup
    path that equals the subject's identifier named by `subject_by` (by default
    its `public_id`: `public_id`, `subject__public_id`, ...); for an external
    table, a column compared with the identifier named by `subject_by`
    (`email_digest`, `email`, `external_id` or `public_id`). `subject=None`: rows
    are not tied to a subject (erasure skips the entry; retention still applies).
    `erase_rows` deletes the subject's rows on erasure instead of transforming
    their fields. `retention` is how long a row may keep its fields as they are,
    counted from `timestamp`. `retention_filter` (Hush models only) is a `Q` on the
    model's own columns naming the rows retention may touch at all: a row outside it
    is kept as it is whatever its age (an outbox row still to be sent, ...); `None`:
    every row. Counts (dry runs, pii_audit) use it too.
    """

    key: str
    fields: tuple[PiiField, ...]
    subject: str | None
    model: type | None = None
    database: str | None = None     # external entries: a name from HUSH_EXTERNAL_DATABASES
    table: str | None = None        # external entries: the table ("schema.table" allowed)
    subject_by: str = "public_id"
    erase_rows: bool = False
    retention: timedelta | None = None
    timestamp: str | None = None
    retention_filter: Q | None = None
    description: str = ""
    for_person: ForPerson | None = field(default=None, compare=False)
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def external(self) -> bool:
        return self.model is None

    @property
    def db_table(self) -> str:
        return self.table if self.external else self.model._meta.db_table

    @property
    def erasable(self) -> bool:
        """Whether erasure has anything to do here."""
        return self.subject is not None and (
            self.erase_rows or any(f.erase is not None for f in self.fields))

    @property
    def deletes_rows_on_retention(self) -> bool:
        return any(f.retain == "delete" for f in self.fields)

    def field(self, name: str) -> PiiField:
        for pii_field in self.fields:
            if pii_field.name == name:
                return pii_field
        raise KeyError(f"{self.key} has no catalogued field {name!r}")

    def column(self, name: str) -> str:
        """The database column of a catalogued field (a Hush model's field name can
        differ from its column, as a foreign key's does)."""
        if self.external:
            return name
        return self.model._meta.get_field(name).column


_entries: dict[str, Entry] = {}
_reviewed: dict[str, str] = {}


def register(model, *, fields, subject: str | None, subject_by: str = "public_id",
             erase_rows: bool = False, retention: timedelta | None = None,
             timestamp: str | None = None, retention_filter: Q | None = None,
             description: str = "", for_person: ForPerson | None = None) -> Entry:
    """Declare a Hush model's personal data (called from an app's `pii.py`)."""
    if subject_by not in SUBJECT_IDENTIFIERS:
        raise ValueError(f"subject_by must name a subject identifier, not {subject_by!r}")
    if retention_filter is not None and not isinstance(retention_filter, Q):
        raise ValueError(f"{model._meta.label_lower}: retention_filter must be a Q")
    if retention_filter is not None and retention is None:
        raise ValueError(f"{model._meta.label_lower}: retention_filter needs a retention period")
    entry = Entry(key=model._meta.label_lower, model=model, fields=tuple(fields),
                  subject=subject, subject_by=subject_by, erase_rows=erase_rows,
                  retention=retention, timestamp=timestamp, retention_filter=retention_filter,
                  description=description or (model.__doc__ or "").strip(),
                  for_person=for_person)
    _check_model_entry(entry)
    return _add(entry)


def register_external(*, database: str, table: str, fields, subject: str, subject_by: str,
                      erase_rows: bool = False, retention: timedelta | None = None,
                      timestamp: str | None = None, description: str = "") -> Entry:
    """Declare a table in another PostgreSQL database (the company's own app)."""
    if subject_by not in SUBJECT_IDENTIFIERS:
        raise ValueError(f"subject_by must name a subject identifier, not {subject_by!r}")
    if not subject:
        raise ValueError(f"external:{database}.{table}: needs the column that names the subject")
    entry = Entry(key=f"external:{database}.{table}", database=database, table=table,
                  fields=tuple(fields), subject=subject, subject_by=subject_by,
                  erase_rows=erase_rows, retention=retention, timestamp=timestamp,
                  description=description)
    return _add(entry)


def not_pii(model, *, reason: str) -> None:
    """Declare that a model's text columns were reviewed and hold no personal data."""
    if not reason.strip():
        raise ValueError(f"{model._meta.label_lower}: say why it holds no personal data")
    _reviewed[model._meta.label_lower] = reason


def _check_model_entry(entry: Entry) -> None:
    """Catch a typo in a `pii.py` at start-up rather than at the first erasure."""
    from django.core.exceptions import FieldDoesNotExist

    meta = entry.model._meta
    for pii_field in entry.fields:
        try:
            model_field = meta.get_field(pii_field.name)
        except FieldDoesNotExist:
            raise ValueError(f"{entry.key}: no field {pii_field.name!r}") from None
        if "null" in (pii_field.erase, pii_field.retain) and not model_field.null \
                and not (model_field.blank and _is_text(model_field)):
            raise ValueError(f"{entry.key}.{pii_field.name}: cannot be nulled "
                             "(neither NULL nor a blank text field)")
    for column, _label in (entry.for_person.columns if entry.for_person else ()):
        try:
            meta.get_field(column)
        except FieldDoesNotExist:
            raise ValueError(f"{entry.key}: for_person names no field {column!r}") from None
    if entry.timestamp is not None:
        try:
            meta.get_field(entry.timestamp)
        except FieldDoesNotExist:
            raise ValueError(f"{entry.key}: no timestamp field {entry.timestamp!r}") from None


def _is_text(model_field) -> bool:
    return model_field.get_internal_type() in TEXT_FIELDS


def _add(entry: Entry) -> Entry:
    if entry.retention is not None and entry.timestamp is None:
        raise ValueError(f"{entry.key}: a retention period needs a timestamp column")
    if entry.retention is not None and not any(f.retain for f in entry.fields):
        raise ValueError(f"{entry.key}: a retention period needs a field with a retain transform")
    names = [f.name for f in entry.fields]
    if len(names) != len(set(names)):
        raise ValueError(f"{entry.key}: a field is catalogued twice")
    _entries[entry.key] = entry
    return entry


def unregister(key: str) -> None:
    _entries.pop(key, None)


def entries() -> list[Entry]:
    return list(_entries.values())


def entry(key: str) -> Entry:
    return _entries[key]


def reviewed() -> dict[str, str]:
    """Models declared free of personal data: label -> reason."""
    return dict(_reviewed)


def entry_for_table(table: str, *, database: str | None = None) -> Entry | None:
    """The entry for a table (`database=None`: Hush's own database)."""
    for candidate in _entries.values():
        if candidate.database == database and candidate.db_table == table:
            return candidate
    return None


# --- for people: pii_catalog and the console ---------------------------------------

def _entry_dict(entry: Entry) -> dict:
    return {
        "key": entry.key,
        "database": entry.database or "default",
        "table": entry.db_table,
        "subject": entry.subject,
        "subject_by": entry.subject_by if entry.subject else None,
        "erase_rows": entry.erase_rows,
        "retention_days": None if entry.retention is None else entry.retention.days,
        "timestamp": entry.timestamp,
        "retention_filter": _describe_filter(entry.retention_filter),
        "description": entry.description,
        "fields": [{"name": f.name, "category": f.category.value, "erase": f.erase,
                    "retain": f.retain, "kind": f.kind, "level": f.level, "note": f.note}
                   for f in entry.fields],
    }


def _describe_filter(condition: Q | None) -> str | None:
    """A Q as people read it: `status__in=['delivered', 'failed']`."""
    if condition is None:
        return None
    parts = [_describe_filter(c) if isinstance(c, Q) else f"{c[0]}={_plain(c[1])!r}"
             for c in condition.children]
    text = f" {condition.connector.lower()} ".join(parts)
    if len(parts) > 1:
        text = f"({text})"
    return f"not {text}" if condition.negated else text


def _plain(value):
    """Choices as their stored values: `'failed'`, not `Delivery.Status.FAILED`."""
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value.value if isinstance(value, Enum) else value


def describe() -> dict:
    """The catalog's structure (no data): entries, and models reviewed as not PII."""
    return {"entries": [_entry_dict(e) for e in sorted(entries(),
                                                       key=lambda e: (e.external, e.key))],
            "not_pii": reviewed()}
