"""The company's own PostgreSQL databases (HUSH_EXTERNAL_DATABASES), reached with
psycopg 3 for the catalog's external entries.

Names (tables, columns) are always composed with `psycopg.sql.Identifier`, never
formatted into the SQL; values are parameters, or `psycopg.sql.Literal` where a
condition is handed to the transforming engine (quoted by psycopg, never
formatted). Every helper takes an
optional open connection so a caller (an erasure step) can run several in one
transaction; without one, each call opens its own and commits on success.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import psycopg
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from psycopg import sql
from psycopg.rows import dict_row

from anonymizer.catalog import Entry, PiiField
from anonymizer.transforming import ExternalRows, Outcome, rows_transform

TEXT_TYPES = ("character varying", "character", "text", "json", "jsonb")


def external_url(database: str) -> str:
    try:
        return settings.HUSH_EXTERNAL_DATABASES[database]
    except KeyError:
        raise ImproperlyConfigured(f"no external database {database!r} in "
                                   "HUSH_EXTERNAL_DATABASES") from None


def external_connect(database: str, **options) -> psycopg.Connection:
    """A new connection to an external database (the caller closes it)."""
    # UTC, so a `timestamp without time zone` column compares as Hush's own do.
    return psycopg.connect(external_url(database), connect_timeout=10,
                           application_name="hush", options="-c TimeZone=UTC", **options)


@contextlib.contextmanager
def external_connection(database: str, conn: psycopg.Connection | None = None
                        ) -> Iterator[psycopg.Connection]:
    """Use `conn` as given, or open one that commits on success and always closes."""
    if conn is not None:
        yield conn
        return
    with external_connect(database) as own:  # commits on success, rolls back on error
        yield own


def table_sql(entry: Entry) -> sql.Identifier:
    """The entry's table as an identifier (`schema.table` becomes two parts)."""
    return sql.Identifier(*entry.table.split("."))


def subject_sql(entry: Entry, identifier: str) -> sql.Composable:
    """The condition picking a subject's rows. Emails compare case-insensitively."""
    column = sql.Identifier(entry.subject)
    if entry.subject_by == "email":
        return sql.SQL("lower({}) = lower({})").format(column, sql.Literal(identifier))
    return sql.SQL("{}::text = {}").format(column, sql.Literal(str(identifier)))


def subject_identifier(subject, subject_by: str) -> str | None:
    """The value of a Hush Subject that an entry's `subject_by` names."""
    value = getattr(subject, subject_by)
    return None if value in (None, "") else str(value)


def external_rows(entry: Entry, identifier: str, *, columns: list[str] | None = None,
                  conn: psycopg.Connection | None = None) -> list[dict]:
    """A subject's rows: the subject column and the catalogued fields, as dicts."""
    columns = columns or _catalogued_columns(entry)
    query = sql.SQL("SELECT {} FROM {} WHERE {}").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), table_sql(entry),
        subject_sql(entry, identifier))
    with external_connection(entry.database, conn) as c, c.cursor(row_factory=dict_row) as cur:
        cur.execute(query)
        return cur.fetchall()


def external_count(entry: Entry, identifier: str, *,
                   conn: psycopg.Connection | None = None) -> int:
    query = sql.SQL("SELECT count(*) FROM {} WHERE {}").format(
        table_sql(entry), subject_sql(entry, identifier))
    with external_connection(entry.database, conn) as c, c.cursor() as cur:
        cur.execute(query)
        return cur.fetchone()[0]


def external_update(entry: Entry, identifier: str, values: dict, *,
                    conn: psycopg.Connection | None = None) -> int:
    """Set catalogued columns to fixed values on a subject's rows; returns the count."""
    unknown = set(values) - set(_catalogued_columns(entry))
    if unknown:
        raise ValueError(f"{entry.key}: not catalogued: {', '.join(sorted(unknown))}")
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = %s").format(sql.Identifier(column)) for column in values)
    query = sql.SQL("UPDATE {} SET {} WHERE {}").format(table_sql(entry), assignments,
                                                        subject_sql(entry, identifier))
    with external_connection(entry.database, conn) as c, c.cursor() as cur:
        cur.execute(query, list(values.values()))
        return cur.rowcount


def external_delete(entry: Entry, identifier: str, *,
                    conn: psycopg.Connection | None = None) -> int:
    query = sql.SQL("DELETE FROM {} WHERE {}").format(table_sql(entry),
                                                      subject_sql(entry, identifier))
    with external_connection(entry.database, conn) as c, c.cursor() as cur:
        cur.execute(query)
        return cur.rowcount


def external_erase(entry: Entry, identifier: str, *,
                   transform: Callable[[PiiField, object], object] | None = None,
                   conn: psycopg.Connection | None = None) -> int:
    """Erase a subject's rows as the entry says: delete them (`erase_rows`) or apply
    each field's `erase` transform (`external_transform`). `transform(field, value)`
    replaces the deployment's transforms. Returns the number of rows changed;
    running it again changes nothing new."""
    if entry.erase_rows:
        return external_delete(entry, identifier, conn=conn)
    return external_transform(entry, identifier, role="erase", transform=transform,
                              conn=conn).rows


def external_transform(entry: Entry, identifier: str, *, role: str,
                       transform: Callable[[PiiField, object], object] | None = None,
                       conn: psycopg.Connection | None = None,
                       batch_size: int = 2000) -> Outcome:
    """Apply each field's `role` transform to a subject's rows through the
    transforming engine: what SQL can express in one statement, the rest in pages of
    `batch_size` locked rows. Returns the rows and the fields changed."""
    fields = [f for f in entry.fields if getattr(f, role) is not None]
    if not fields:
        return Outcome()
    with external_connection(entry.database, conn) as c:
        rows = ExternalRows(entry=entry, conn=c, where=subject_sql(entry, identifier))
        return rows_transform(rows, fields=fields, role=role, batch_size=batch_size,
                              ranges=False, report_fields=True, apply=transform)


def _catalogued_columns(entry: Entry) -> list[str]:
    names = [entry.subject] if entry.subject else []
    return names + [f.name for f in entry.fields if f.name not in names]


# --- for pii_audit ---------------------------------------------------------------

def text_columns(conn) -> list[tuple[str, str, str, str]]:
    """(schema, table, column, data type) of every text-like column of the user's
    tables, on any PostgreSQL connection (psycopg's or Django's cursor)."""
    query = ("SELECT c.table_schema, c.table_name, c.column_name, c.data_type "
             "FROM information_schema.columns c JOIN information_schema.tables t "
             "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
             "WHERE t.table_type = 'BASE TABLE' "
             "AND c.table_schema NOT IN ('pg_catalog', 'information_schema') "
             "AND c.data_type = ANY(%s) ORDER BY 1, 2, c.ordinal_position")
    with conn.cursor() as cur:
        cur.execute(query, [list(TEXT_TYPES)])
        return [tuple(row) for row in cur.fetchall()]


def sample_sql(schema: str, table: str, column: str, size: int) -> tuple[sql.Composable, list]:
    """A random sample of a column's non-empty values, as text. TABLESAMPLE would
    skip small tables; a bounded scan with random order is fine for a sample."""
    name = sql.Identifier(schema, table)
    col = sql.Identifier(column)
    query = sql.SQL(
        "SELECT v FROM (SELECT {col}::text AS v FROM {name} WHERE {col} IS NOT NULL "
        "LIMIT %s) s WHERE v <> '' ORDER BY random() LIMIT %s"
    ).format(col=col, name=name)
    return query, [size * 20, size]
