"""A selection of one table's rows, as the engine reads and writes them: a Hush
model's queryset (Django's connection; SQL on PostgreSQL, the ORM otherwise) or a
condition on an external table (its own psycopg connection, always SQL). Both give
the selection as SQL, ranges of row keys over it, and one keyset page of the Python
path: rows read and locked, transformed, written back."""

from __future__ import annotations

from functools import cached_property

import psycopg
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection, transaction
from psycopg import sql
from psycopg.types.json import Jsonb

from anonymizer.catalog import Entry
from anonymizer.transforming.columns import (
    JSON_TYPES,
    Column,
    model_columns,
    table_columns,
    table_layout,
)
from anonymizer.transforming.values import pending_q, pending_sql, value_transform


class _Rows:
    """What both kinds share: key ranges and the SQL they are built from."""

    label: str                    # the entry key, for logs
    key_is_ctid = False

    def any_pending_sql(self, columns) -> sql.Composable:
        return sql.SQL("{} AND ({})").format(self.where, sql.SQL(" OR ").join(
            pending_sql(c) for c in columns))

    def count_sql(self, condition) -> sql.Composable:
        return sql.SQL("SELECT count(*) FROM {} WHERE {}").format(self.table_sql, condition)

    def after_sql(self, after) -> sql.Composable:
        if after is None:
            return sql.SQL("TRUE")
        literal = sql.SQL("{}::tid").format(sql.Literal(after)) if self.key_is_ctid \
            else sql.Literal(after)
        return sql.SQL("{} > {}").format(self.key_sql, literal)

    def key_ranges(self, where: sql.Composable, size: int):
        """Conditions on the row key, each covering about `size` rows, from the
        lowest to the highest key of the rows matching `where` (range scans, no sort)."""
        low, high = self.fetchone(sql.SQL("SELECT min({k}), max({k}) FROM {t} WHERE {w}")
                                  .format(k=self.key_sql, t=self.table_sql, w=where))
        if low is None:
            return
        if self.key_is_ctid:
            yield from self._page_ranges(_page(low), _page(high), size)
            return
        key, last = self.key_sql, sql.Literal(high)
        lower = sql.SQL("{} >= {}").format(key, sql.Literal(low))
        while True:
            (upper,) = self.fetchone(sql.SQL(
                "SELECT (SELECT {k} FROM {t} WHERE {lower} AND {k} <= {last} "
                "ORDER BY {k} OFFSET {skip} LIMIT 1)").format(
                k=key, t=self.table_sql, lower=lower, last=last, skip=sql.Literal(size - 1)))
            if upper is None:
                yield sql.SQL("{} AND {} <= {}").format(lower, key, last)
                return
            yield sql.SQL("{} AND {} <= {}").format(lower, key, sql.Literal(upper))
            lower = sql.SQL("{} > {}").format(key, sql.Literal(upper))

    def _page_ranges(self, first: int, last: int, size: int):
        """A table without a one-column primary key: ranges of pages (a TID range
        scan), as many pages as hold about `size` rows."""
        (per_page,) = self.fetchone(sql.SQL(
            "SELECT CASE WHEN relpages > 0 AND reltuples > 0 THEN reltuples / relpages "
            "ELSE 50 END FROM pg_class WHERE oid = {}::regclass").format(
            sql.Literal(self.table_sql.as_string(self.sql_context()))))
        step = max(1, int(size / max(per_page, 1)))
        for start in range(first, last + 1, step):
            yield sql.SQL("ctid >= {}::tid AND ctid < {}::tid").format(
                sql.Literal(f"({start},0)"), sql.Literal(f"({start + step},0)"))


class HushRows(_Rows):
    """Rows of a Hush model, named by a queryset of it (no slicing)."""

    def __init__(self, *, rows, label: str):
        self.rows, self.model, self.label = rows, rows.model, label
        meta = self.model._meta
        self.table_sql = sql.Identifier(meta.db_table)
        self.key_sql = sql.Identifier(meta.db_table, meta.pk.column)

    def sql_ok(self) -> bool:
        return connection.vendor == "postgresql"

    def keys_stable(self) -> bool:
        return True

    def columns(self, fields, *, role: str) -> list[Column]:
        return model_columns(self.model, fields, role=role)

    @cached_property
    def where(self) -> sql.Composable:
        """The queryset's condition as SQL on the bare table, values inlined (the
        statements are composed with psycopg); a join becomes `pk IN (subquery)`."""
        query = self.rows.query
        try:
            if len(query.alias_map) > 1:
                inner, params = self.rows.values("pk").query.sql_with_params()
                text = f"{self.key_sql.as_string(self.sql_context())} IN ({inner})"
            else:
                text, params = query.get_compiler(connection=connection).compile(query.where)
        except EmptyResultSet:
            return sql.SQL("FALSE")
        except FullResultSet:
            return sql.SQL("TRUE")
        if not text:
            return sql.SQL("TRUE")
        return sql.SQL(psycopg.ClientCursor(self.sql_context()).mogrify(text, params))

    def sql_context(self):
        connection.ensure_connection()
        return connection.connection

    def fetchone(self, query: sql.Composable):
        with connection.cursor() as cursor:
            cursor.execute(query.as_string(self.sql_context()))
            return cursor.fetchone()

    def statement(self, query: sql.Composable, *, fetch: bool = False):
        """A write in its own transaction (a savepoint inside the caller's): the row
        it returns, or the row count."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(query.as_string(self.sql_context()))
            return cursor.fetchone() if fetch else cursor.rowcount

    def count(self) -> int:
        return self.rows.count()

    def count_pending(self, columns) -> int:
        if self.sql_ok() and not any(c.encrypted for c in columns):
            return self.fetchone(self.count_sql(self.any_pending_sql(columns)))[0]
        return self.rows.filter(pending_q(columns)).count()

    def python_batch(self, columns, *, after, limit, apply=None):
        """One keyset page: (keys changed, fields changed, the last key, more may follow)."""
        names = [c.field.name for c in columns]
        with transaction.atomic():
            rows = self.rows.filter(pending_q(columns))
            if after is not None:
                rows = rows.filter(pk__gt=after)
            rows = list(rows.select_for_update(of=("self",)).order_by("pk")
                        .values_list("pk", *names)[:limit])
            changed, fields = _page_transform(columns, rows, apply)
            if changed:
                self.model._base_manager.bulk_update(
                    [self.model(pk=pk, **dict(zip(names, new, strict=True)))
                     for pk, new in changed], names, batch_size=1000)
        return ([str(pk) for pk, _ in changed], fields, (rows[-1][0] if rows else None),
                len(rows) == limit)


class ExternalRows(_Rows):
    """Rows of a table in the company's database matching `where`, over `conn` (the
    caller's). Keyed by the primary key when it is one column, else by ctid."""

    def __init__(self, *, entry: Entry, conn: psycopg.Connection, where: sql.Composable):
        self.entry, self.conn, self.where, self.label = entry, conn, where, entry.key
        self.table_sql = sql.Identifier(*entry.table.split("."))

    def sql_ok(self) -> bool:
        return True

    def keys_stable(self) -> bool:
        """False when rows are keyed by ctid, which an UPDATE moves."""
        return self.key_sql is not None and not self.key_is_ctid

    @cached_property
    def _layout(self):
        return table_layout(self.conn, self.table_sql)

    def columns(self, fields, *, role: str) -> list[Column]:
        return table_columns(self._layout[0], self.entry, fields, role=role)

    @cached_property
    def key_sql(self) -> sql.Composable:
        key = self._layout[1]
        if len(key) == 1:
            return sql.Identifier(key[0])
        self.key_is_ctid = True
        return sql.SQL("ctid")

    def sql_context(self):
        return self.conn

    def fetchone(self, query: sql.Composable):
        return self.conn.execute(query).fetchone()

    def statement(self, query: sql.Composable, *, fetch: bool = False):
        with self.conn.transaction():
            cursor = self.conn.execute(query)
            return cursor.fetchone() if fetch else cursor.rowcount

    def count(self) -> int:
        return self.fetchone(self.count_sql(self.where))[0]

    def count_pending(self, columns) -> int:
        return self.fetchone(self.count_sql(self.any_pending_sql(columns)))[0]

    def python_batch(self, columns, *, after, limit, apply=None):
        key = self.key_sql
        placeholder = sql.SQL("%s::tid") if self.key_is_ctid else sql.SQL("%s")
        select = sql.SQL(
            "SELECT {key}, {cols} FROM {table} WHERE {pending} AND {after} "
            "ORDER BY {key} LIMIT {limit} FOR UPDATE").format(
            key=key, cols=sql.SQL(", ").join(sql.Identifier(c.name) for c in columns),
            table=self.table_sql, pending=self.any_pending_sql(columns),
            after=self.after_sql(after), limit=sql.Literal(limit))
        update = sql.SQL("UPDATE {} SET {} WHERE {} = {}").format(
            self.table_sql, sql.SQL(", ").join(
                sql.SQL("{} = %s").format(sql.Identifier(c.name)) for c in columns),
            key, placeholder)
        with self.conn.transaction(), self.conn.cursor() as cur:
            rows = cur.execute(select).fetchall()
            changed, fields = _page_transform(columns, rows, apply)
            if changed:
                cur.executemany(update, [[*map(_adapt, columns, new), row_key]
                                         for row_key, new in changed])
        return ([str(row_key) for row_key, _ in changed], fields,
                (rows[-1][0] if rows else None), len(rows) == limit)


def _page_transform(columns: list[Column], rows, apply) -> tuple[list, set[str]]:
    """The (key, new values) of a page's rows that change, and the fields changed."""
    changed, fields = [], set()
    for key, *values in rows:
        new = [value_transform(c, v, apply=apply) for c, v in zip(columns, values, strict=True)]
        if new != values:
            changed.append((key, new))
            fields.update(c.field.name for c, a, b in zip(columns, values, new, strict=True)
                          if a != b)
    return changed, fields


def _page(tid: str) -> int:
    """The page number of a ctid such as '(12,5)'."""
    return int(str(tid).strip("()").split(",")[0])


def _adapt(column: Column, value):
    if column.type in JSON_TYPES and value is not None:
        return Jsonb(value)
    return value
