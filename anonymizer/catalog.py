"""The PII catalog: which stored fields are personal data, how a row is tied to a
subject, and what erasure and retention do to each field.

Apps declare their entries in a `pii.py` module (found at start-up by
`AnonymizerConfig.ready`); erasure, retention, `pii_audit` and `pii_catalog` read
them from here and nowhere else, so a field that is not catalogued is a finding,
not a silent leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum


class Category(StrEnum):
    CONTACT = "contact"            # email, phone, postal address
    IDENTIFIER = "identifier"      # external ids, names, account numbers
    NETWORK = "network"            # IP and MAC addresses, user agents
    FINANCIAL = "financial"        # cards, IBANs
    LOCATION = "location"          # coordinates, postcodes, country
    DEMOGRAPHIC = "demographic"    # date of birth, age, locale
    FREE_TEXT = "free_text"        # anything a person typed
    CREDENTIAL = "credential"      # secrets, tokens


@dataclass(frozen=True)
class PiiField:
    """One personal-data column and what happens to it.

    `erase` and `retain` name transforms from `anonymizer.core.transforms`
    (`null`, `redact`, `pseudonymise`, `generalize`, `mask`, `delete`, ...);
    `kind` is the detection kind the transform treats the value as (EMAIL,
    IP_ADDRESS, DATE_OF_BIRTH, ...), where the transform needs one.
    """

    name: str
    category: Category
    erase: str = "null"
    retain: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Entry:
    """A table holding personal data.

    `subject` is how a row is found for a subject: for a Hush model, an ORM lookup
    path that equals the subject's `public_id` (`public_id`, `subject__public_id`,
    ...); for an external table, a column compared with the identifier named by
    `subject_by` (`email_digest`, `email`, `external_id` or `public_id`).
    `erase_rows` deletes the subject's rows on erasure instead of transforming
    their fields. `retention` is how long a row may keep its fields as they are,
    counted from `timestamp`.
    """

    key: str
    fields: tuple[PiiField, ...]
    subject: str | None
    model: type | None = None
    database: str | None = None     # external entries: a name from HUSH_EXTERNAL_DATABASES
    table: str | None = None        # external entries: the table
    subject_by: str = "public_id"
    erase_rows: bool = False
    retention: timedelta | None = None
    timestamp: str | None = None
    description: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def external(self) -> bool:
        return self.model is None


_entries: dict[str, Entry] = {}


def register(model, *, fields, subject: str | None, erase_rows: bool = False,
             retention: timedelta | None = None, timestamp: str | None = None,
             description: str = "") -> Entry:
    """Declare a Hush model's personal data (called from an app's `pii.py`)."""
    entry = Entry(key=model._meta.label_lower, model=model, fields=tuple(fields),
                  subject=subject, erase_rows=erase_rows, retention=retention,
                  timestamp=timestamp, description=description or (model.__doc__ or "").strip())
    return _add(entry)


def register_external(*, database: str, table: str, fields, subject: str, subject_by: str,
                      erase_rows: bool = False, retention: timedelta | None = None,
                      timestamp: str | None = None, description: str = "") -> Entry:
    """Declare a table in another PostgreSQL database (the company's own app)."""
    if subject_by not in {"email_digest", "email", "external_id", "public_id"}:
        raise ValueError(f"subject_by must name a subject identifier, not {subject_by!r}")
    entry = Entry(key=f"external:{database}.{table}", database=database, table=table,
                  fields=tuple(fields), subject=subject, subject_by=subject_by,
                  erase_rows=erase_rows, retention=retention, timestamp=timestamp,
                  description=description)
    return _add(entry)


def _add(entry: Entry) -> Entry:
    if entry.retention is not None and entry.timestamp is None:
        raise ValueError(f"{entry.key}: a retention period needs a timestamp column")
    _entries[entry.key] = entry
    return entry


def entries() -> list[Entry]:
    return list(_entries.values())


def entry(key: str) -> Entry:
    return _entries[key]
