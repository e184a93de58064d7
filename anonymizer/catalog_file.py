"""External tables declared without code: the file named by HUSH_PII_CATALOG_FILE.

JSON (`{"tables": [...]}`) or TOML (`[[tables]]`), one item per table:

    [[tables]]
    database = "shop"              # a label from HUSH_EXTERNAL_DATABASES
    table = "customers"            # or "schema.table"
    subject = "email"              # the column naming the subject
    subject_by = "email"           # email | email_digest | external_id | public_id
    erase_rows = false             # delete the subject's rows instead of transforming
    retention_days = 365           # optional, with `timestamp`
    timestamp = "created_at"
    description = "..."

    [[tables.fields]]              # one per personal-data column
    name = "last_ip"
    category = "network"           # anonymizer.catalog.Category
    erase = "null"                 # transform on erasure (default null)
    retain = "generalize"          # transform once older than the retention
    kind = "IP_ADDRESS"            # what the value is, for the transform

Every mistake is reported with the file, the table's position and the key, and
nothing is registered unless the whole file is valid.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from anonymizer import catalog

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")
_TABLE_KEYS = {"database", "table", "subject", "subject_by", "erase_rows", "retention_days",
               "timestamp", "description", "fields"}
_FIELD_KEYS = {"name", "category", "erase", "retain", "kind", "level", "note"}


class CatalogFileError(ImproperlyConfigured):
    pass


def catalog_file_read(path: str | Path, *, databases) -> list[dict]:
    """Parse and validate; returns keyword arguments for `register_external`."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise CatalogFileError(f"{path}: cannot read ({error.strerror})") from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise CatalogFileError(f"{path}: not valid {path.suffix.lstrip('.') or 'JSON'}: "
                               f"{error}") from None
    if not isinstance(data, dict) or set(data) != {"tables"} \
            or not isinstance(data["tables"], list):
        raise CatalogFileError(f"{path}: expected one key, `tables`, holding a list of tables")
    seen = set()
    declared = []
    for position, table in enumerate(data["tables"], 1):
        where = f"{path}: table {position}"
        kwargs = _table(table, where=where, databases=databases)
        key = (kwargs["database"], kwargs["table"])
        if key in seen:
            raise CatalogFileError(f"{where}: {key[0]}.{key[1]} is declared twice")
        seen.add(key)
        declared.append(kwargs)
    return declared


def catalog_file_load(path: str | Path, *, databases) -> list[catalog.Entry]:
    """Read the file and register every table in it (all or nothing)."""
    return [catalog.register_external(**kwargs)
            for kwargs in catalog_file_read(path, databases=databases)]


def _table(table, *, where: str, databases) -> dict:
    if not isinstance(table, dict):
        raise CatalogFileError(f"{where}: expected a table of keys")
    unknown = set(table) - _TABLE_KEYS
    if unknown:
        raise CatalogFileError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    for required in ("database", "table", "subject", "subject_by", "fields"):
        if required not in table:
            raise CatalogFileError(f"{where}: `{required}` is required")
    database = _text(table, "database", where)
    if database not in databases:
        known = ", ".join(sorted(databases)) or "none set"
        raise CatalogFileError(f"{where}: database {database!r} is not in "
                               f"HUSH_EXTERNAL_DATABASES ({known})")
    name = _text(table, "table", where)
    if not all(_NAME.fullmatch(part) for part in name.split(".")) or name.count(".") > 1:
        raise CatalogFileError(f"{where}: `table` must be a name or schema.name, got {name!r}")
    subject_by = _text(table, "subject_by", where)
    if subject_by not in catalog.SUBJECT_IDENTIFIERS:
        raise CatalogFileError(f"{where}: `subject_by` must be one of "
                               f"{', '.join(sorted(catalog.SUBJECT_IDENTIFIERS))}")
    subject = _column(table, "subject", where)
    timestamp = _column(table, "timestamp", where) if "timestamp" in table else None
    retention = None
    if "retention_days" in table:
        days = table["retention_days"]
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise CatalogFileError(f"{where}: `retention_days` must be a whole number >= 0")
        if timestamp is None:
            raise CatalogFileError(f"{where}: `retention_days` needs a `timestamp` column")
        retention = timedelta(days=days)
    erase_rows = table.get("erase_rows", False)
    if not isinstance(erase_rows, bool):
        raise CatalogFileError(f"{where}: `erase_rows` must be true or false")
    if not isinstance(table["fields"], list) or not table["fields"]:
        raise CatalogFileError(f"{where}: `fields` must list at least one column")
    fields = [_field(item, where=f"{where}, field {n}")
              for n, item in enumerate(table["fields"], 1)]
    if retention is not None and not any(f.retain for f in fields):
        raise CatalogFileError(f"{where}: `retention_days` needs a field with `retain`")
    names = [f.name for f in fields]
    if len(names) != len(set(names)):
        raise CatalogFileError(f"{where}: a column is listed twice in `fields`")
    return {"database": database, "table": name, "subject": subject, "subject_by": subject_by,
            "erase_rows": erase_rows, "retention": retention, "timestamp": timestamp,
            "description": str(table.get("description", "")), "fields": fields}


def _field(item, *, where: str) -> catalog.PiiField:
    if not isinstance(item, dict):
        raise CatalogFileError(f"{where}: expected a table of keys")
    unknown = set(item) - _FIELD_KEYS
    if unknown:
        raise CatalogFileError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    name = _column(item, "name", where)
    category = _text(item, "category", where)
    if category not in {c.value for c in catalog.Category}:
        raise CatalogFileError(f"{where}: `category` must be one of "
                               f"{', '.join(c.value for c in catalog.Category)}")
    options = {key: item[key] for key in ("erase", "retain", "kind", "level", "note")
               if key in item}
    for key, value in options.items():
        if not isinstance(value, str) and not (key == "erase" and value is None):
            raise CatalogFileError(f"{where}: `{key}` must be a string")
    try:
        return catalog.PiiField(name, catalog.Category(category), **options)
    except ValueError as error:
        raise CatalogFileError(f"{where}: {error}") from None


def _text(mapping: dict, key: str, where: str) -> str:
    value = mapping[key]
    if not isinstance(value, str) or not value.strip():
        raise CatalogFileError(f"{where}: `{key}` must be a non-empty string")
    return value.strip()


def _column(mapping: dict, key: str, where: str) -> str:
    value = _text(mapping, key, where)
    if not _NAME.fullmatch(value):
        raise CatalogFileError(f"{where}: `{key}` must be a column name, got {value!r}")
    return value
