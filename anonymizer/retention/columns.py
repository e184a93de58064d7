"""A catalogued column as the database stores it, and what each transform looks like
there: in Python (any database, encrypted columns) and in SQL (PostgreSQL)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime

from psycopg import sql

from anonymizer.catalog import PiiField
from anonymizer.core import transforms
from anonymizer.policies import field_apply

log = logging.getLogger(__name__)


DATE_KINDS = {"DATE", "DATE_OF_BIRTH", "TIMESTAMP"}
_GENERALISED_DATE = re.compile(r"\d{4}(-\d{2})?")
MARKERS = {"pseudonymise": "pseu_", "tokenize": "tok_"}


@dataclass(frozen=True)
class Column:
    """A catalogued field as the database stores it."""

    field: PiiField
    name: str
    type: str            # text | json | jsonb | inet | date | timestamp | other
    nullable: bool
    encrypted: bool = False
    role: str = "retain"   # which of the field's transforms: retain, or erase (pii_audit)

    @property
    def transform(self) -> str | None:
        return getattr(self.field, self.role)

    @property
    def empty(self):
        """What `null` stores: NULL, or '' in a text column that cannot be NULL."""
        return None if self.nullable else ""


def already_applied(column: Column, value) -> bool:
    """Whether a value already is what its retain transform makes (so it is skipped)."""
    f = column.field
    if value is None or value == "":
        return True
    if column.transform in MARKERS:
        return str(value).startswith(MARKERS[column.transform])
    if column.transform == "mask":
        return "**" in str(value) or (f.kind == "IP_ADDRESS" and "/" in str(value))
    if column.transform == "generalize" and f.kind == "IP_ADDRESS":
        return "/" in str(value)
    if column.transform == "generalize" and f.kind in DATE_KINDS and isinstance(value, str):
        return bool(_GENERALISED_DATE.fullmatch(value))
    return False


def python_value(column: Column, value):
    """The retained value, or `value` itself when nothing is to change."""
    if already_applied(column, value):
        return value

    f = column.field
    options = {"level": f.level} if f.level else {}
    new = field_apply(column.transform, value, kind=f.kind, **options)
    if new is None:
        return column.empty
    if isinstance(value, datetime | date) and isinstance(new, str):
        return value  # a column of dates keeps dates; an unreadable one is left for SQL
    return new


def sql_able(column: Column) -> bool:
    f = column.field
    if column.transform == "null":
        return True
    if column.encrypted:
        return False
    if column.transform == "redact":
        return column.type in {"text", "json", "jsonb"}
    if column.transform == "generalize" and f.kind == "IP_ADDRESS":
        return column.type in {"text", "inet"}
    if column.transform == "generalize" and f.kind in DATE_KINDS:
        return column.type in {"date", "timestamp"}
    return False


def constant_sql(column: Column) -> sql.Composable:
    text = transforms.redact(None, kind=column.field.kind)
    if column.type == "jsonb":
        return sql.SQL("to_jsonb({}::text)").format(sql.Literal(text))
    if column.type == "json":
        return sql.SQL("to_json({}::text)").format(sql.Literal(text))
    return sql.Literal(text)


def sql_pending(column: Column) -> sql.Composable:
    """True for a row whose column still needs its retain transform."""
    col = sql.Identifier(column.name)
    f = column.field
    present = sql.SQL("{} IS NOT NULL").format(col)
    if column.type == "text":
        present = sql.SQL("({} IS NOT NULL AND {} <> '')").format(col, col)
    if column.transform == "null":
        return present
    if column.transform == "redact":
        if column.type == "json":
            return sql.SQL("({} AND {}::text <> {}::text)").format(present, col,
                                                                   constant_sql(column))
        return sql.SQL("({} AND {} <> {})").format(present, col, constant_sql(column))
    if column.transform == "generalize" and f.kind == "IP_ADDRESS":
        if column.type == "inet":
            return sql.SQL("({} AND {} <> {})").format(present, col, sql_value(column))
        return sql.SQL("({} AND strpos({}, '/') = 0)").format(present, col)
    if column.transform == "generalize" and f.kind in DATE_KINDS:
        return sql.SQL("({} AND {} <> {})").format(present, col, sql_value(column))
    if column.transform in MARKERS:
        marker = MARKERS[column.transform]
        return sql.SQL("({} AND left({}::text, {}) <> {})").format(
            present, col, sql.Literal(len(marker)), sql.Literal(marker))
    if column.transform == "mask":
        return sql.SQL("({} AND strpos({}::text, '**') = 0)").format(present, col)
    return present


def sql_value(column: Column) -> sql.Composable:
    """The retained value as an SQL expression (only for `sql_able` columns)."""
    col = sql.Identifier(column.name)
    f = column.field
    if column.transform == "null":
        return sql.SQL("NULL") if column.nullable else sql.Literal("")
    if column.transform == "redact":
        return constant_sql(column)
    if f.kind == "IP_ADDRESS":
        address = col if column.type == "inet" else sql.SQL("{}::inet").format(col)
        network = sql.SQL(
            "network(set_masklen({a}, CASE family({a}) WHEN 4 THEN 24 ELSE 48 END))"
        ).format(a=address)
        return sql.SQL("{}::inet").format(network) if column.type == "inet" \
            else sql.SQL("{}::text").format(network)
    unit = sql.Literal("year" if f.level == "year" else "month")
    if column.type == "date":  # via timestamp without time zone: no zone arithmetic
        return sql.SQL("date_trunc({}, {}::timestamp)::date").format(unit, col)
    return sql.SQL("date_trunc({}, {})").format(unit, col)
