"""What a transform makes of one column's value: in Python (any database, encrypted
columns, and the transforms SQL cannot express: pseudonymise, tokenize, mask, text
dates) and as SQL expressions on PostgreSQL, the test for a row that still needs it
and the new value, with the ORM twin of the test for SQLite and encrypted columns.

Erasure and retention both go through these, so a field transformed by one is
recognised as done by the other, and the SQL and Python paths agree."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime

from django.db.models import Q
from psycopg import sql

from anonymizer.core import transforms
from anonymizer.policies import field_apply
from anonymizer.transforming.columns import JSON_TYPES, Column
from anonymizer.transforming.markers import DATE_KINDS, marked_q, marked_sql, value_marked


def value_transform(column: Column, value, *, apply: Callable | None = None):
    """The transformed value, or `value` itself when nothing is to change. `apply
    (field, value)` replaces the deployment's transform (a test's stand-in)."""
    if value_marked(column.transform, column.field.kind, value):
        return value
    f = column.field
    given = json.dumps(value, default=str) if isinstance(value, dict | list) else value
    if apply is not None:
        new = apply(f, given)
    else:
        options = {"level": f.level} if f.level else {}
        new = field_apply(column.transform, given, kind=f.kind, **options)
    if new is None:
        return column.empty
    if new == given:
        return value  # already what the transform makes: running again changes nothing
    if isinstance(value, datetime | date) and isinstance(new, str):
        return value  # a column of dates keeps dates; an unreadable one is left for SQL
    return new


def sql_expressible(column: Column) -> bool:
    """Whether PostgreSQL can work out the new value itself (set-based)."""
    f = column.field
    if column.transform == "null":
        return True
    if column.encrypted:
        return False
    if column.transform == "redact":
        return column.type in {"text", *JSON_TYPES}
    if column.transform == "generalize" and f.kind == "IP_ADDRESS":
        return column.type in {"text", "inet"}
    if column.transform == "generalize" and f.kind in DATE_KINDS:
        return column.type in {"date", "timestamp"}
    return False


def constant_sql(column: Column) -> sql.Composable:
    """What `redact` stores, typed for the column."""
    text = transforms.redact(None, kind=column.field.kind)
    if column.type in JSON_TYPES:
        return sql.SQL("to_{}({}::text)").format(sql.SQL(column.type), sql.Literal(text))
    return sql.Literal(text)


def pending_sql(column: Column) -> sql.Composable:
    """True for a row whose column still needs its transform."""
    col = sql.Identifier(column.name)
    f = column.field
    present = sql.SQL("{} IS NOT NULL").format(col)
    if column.type == "text":
        present = sql.SQL("({} IS NOT NULL AND {} <> '')").format(col, col)
    if column.transform == "null" and column.type == "json" and not column.nullable:
        return sql.SQL("{}::text <> '{{}}'").format(col)  # json has no equality: as text
    if column.transform == "null" and column.type == "jsonb" and not column.nullable:
        return sql.SQL("{} <> '{{}}'::jsonb").format(col)
    if column.transform == "null":
        return present
    if column.transform == "redact" and column.type == "json":
        return sql.SQL("({} AND {}::text <> {}::text)").format(present, col, constant_sql(column))
    if column.transform == "redact":
        return sql.SQL("({} AND {} <> {})").format(present, col, constant_sql(column))
    if column.transform == "generalize" and column.type in {"inet", "date", "timestamp"}:
        return sql.SQL("({} AND {} <> {})").format(present, col, value_sql(column))
    if column.type in {"inet", "date", "timestamp"}:
        return present  # no marker in such a column: Python decides
    text = sql.SQL("({} #>> '{{}}')").format(col) if column.type in JSON_TYPES \
        else col if column.type == "text" else sql.SQL("{}::text").format(col)
    marked = marked_sql(column.transform, f.kind, text)
    return present if marked is None else sql.SQL("({} AND NOT {})").format(present, marked)


def value_sql(column: Column) -> sql.Composable:
    """The new value as an SQL expression (only for `sql_expressible` columns)."""
    col = sql.Identifier(column.name)
    f = column.field
    if column.transform == "null":
        if column.nullable:
            return sql.SQL("NULL")
        if column.type in JSON_TYPES:
            return sql.SQL("'{{}}'::{}").format(sql.SQL(column.type))
        return sql.Literal("")
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


def pending_q(columns: list[Column]) -> Q:
    """The ORM twin of `pending_sql` for any of `columns` (SQLite, encrypted columns):
    it may pick more rows, `value_transform` leaves what is already done."""
    pending = Q(pk__in=[])
    for c in columns:
        name = c.field.name
        condition = Q(**{f"{name}__isnull": False})
        if c.type == "text" and not c.encrypted:
            condition &= ~Q(**{name: ""})
            marked = marked_q(c.transform, c.field.kind, name)
            if marked is not None:
                condition &= ~marked
        if c.transform == "redact" and c.type in {"text", *JSON_TYPES} and not c.encrypted:
            condition &= ~Q(**{name: transforms.redact(None, kind=c.field.kind)})
        pending |= condition
    return pending
