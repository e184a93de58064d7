"""What a catalogued field looks like in its table: the column's name, its type as
the transforms see it, whether it may be NULL or is encrypted, and which of the
field's transforms applies (erasure's or retention's). Read from a Hush model's
fields or from an external table's `information_schema`."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from psycopg import sql

from anonymizer.catalog import TEXT_FIELDS, Entry, PiiField
from common.fields import EncryptedTextField

JSON_TYPES = frozenset({"json", "jsonb"})
_MODEL_TYPES = {"GenericIPAddressField": "inet", "DateField": "date",
                "DateTimeField": "timestamp", "JSONField": "jsonb"}
_TABLE_TYPES = {"text": "text", "character varying": "text", "character": "text",
                "json": "json", "jsonb": "jsonb", "inet": "inet", "cidr": "inet",
                "date": "date"}


@dataclass(frozen=True)
class Column:
    """A catalogued field as the database stores it."""

    field: PiiField
    name: str            # the column (a Hush model's field name may differ)
    type: str            # text | json | jsonb | inet | date | timestamp | other
    nullable: bool
    role: str            # which of the field's transforms: "erase" or "retain"
    encrypted: bool = False

    @property
    def transform(self) -> str | None:
        return getattr(self.field, self.role)

    @property
    def empty(self):
        """What `null` stores: NULL where the column allows it, else the empty value."""
        if self.nullable:
            return None
        return {} if self.type in JSON_TYPES else ""


def model_columns(model, fields, *, role: str) -> list[Column]:
    """The columns of a Hush model's catalogued `fields`."""
    out = []
    for pii_field in fields:
        model_field = model._meta.get_field(pii_field.name)
        internal = model_field.get_internal_type()
        kind = _MODEL_TYPES.get(internal) or ("text" if internal in TEXT_FIELDS else "other")
        if kind == "jsonb" and connection.vendor != "postgresql":
            kind = "json"
        out.append(Column(pii_field, model_field.column, kind, model_field.null, role,
                          isinstance(model_field, EncryptedTextField)))
    return out


def table_layout(conn, table: sql.Composable) -> tuple[dict[str, tuple[str, bool]], list[str]]:
    """An external table's columns, name: (type, nullable), and its primary key's
    columns, in one read of the system catalogs (cheap on a new connection, where
    `information_schema` takes milliseconds)."""
    rows = conn.execute(
        "SELECT a.attname, format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype "
        "ELSE t.oid END, NULL), NOT a.attnotnull, coalesce(a.attnum = ANY(i.indkey), false) "
        "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
        [table.as_string(conn)]).fetchall()
    return ({name: (data_type, nullable) for name, data_type, nullable, _ in rows},
            [name for name, *_, in_key in rows if in_key])


def table_columns(layout: dict, entry: Entry, fields, *, role: str) -> list[Column]:
    """The columns of an external table's catalogued `fields`, from `table_layout`."""
    out = []
    for pii_field in fields:
        if pii_field.name not in layout:
            raise ValueError(f"{entry.key}: no column {pii_field.name!r} in the table")
        data_type, nullable = layout[pii_field.name]
        kind = _TABLE_TYPES.get(data_type) or (
            "timestamp" if data_type.startswith("timestamp") else "other")
        out.append(Column(pii_field, pii_field.name, kind, nullable, role))
    return out
