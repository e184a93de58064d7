"""One table at a time: Hush's models (Django's connection, or the ORM on SQLite) and
the company's tables (their own psycopg connection), in batches of key ranges."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg
from django.db import DataError, connection, transaction
from django.db.models import Q
from psycopg import sql
from psycopg.types.json import Jsonb

from anonymizer import external
from anonymizer.catalog import Entry
from anonymizer.core import transforms
from anonymizer.retention.columns import (
    MARKERS,
    Column,
    python_value,
    sql_able,
    sql_pending,
    sql_value,
)
from common.fields import EncryptedTextField

log = logging.getLogger(__name__)


@dataclass
class EntryProgress:
    key: str
    rows: int = 0          # rows whose fields were transformed
    deleted: int = 0       # rows deleted (`retain="delete"`)
    batches: int = 0
    set_based: bool = False
    seconds: float = 0.0


class _Table:
    """What both kinds of table share: the batches and the SQL statements."""

    entry: Entry
    key_sql: sql.Composable       # the row key: ranges (SQL path) and keyset pages (Python)
    key_is_ctid = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def run(self, state: EntryProgress, *, cutoff, batch_size: int, dry_run: bool,
            set_based: bool | None, progress):
        columns = self.columns()
        if self.entry.deletes_rows_on_retention:
            state.set_based = True  # one statement per range of keys
            if dry_run:
                state.deleted = self.count_older(cutoff)
                return
            self.delete_rows(state, progress, cutoff=cutoff, batch_size=batch_size)
            return
        use_sql = self.vendor_sql() if set_based is None else set_based and self.vendor_sql()
        in_sql = [c for c in columns if c.field.retain and use_sql and sql_able(c)]
        in_python = [c for c in columns if c.field.retain and c not in in_sql]
        state.set_based = bool(in_sql)
        if dry_run:
            pending = in_sql + in_python
            state.rows = self.count_pending(cutoff, pending) if pending else 0
            return
        if in_sql:
            try:
                self.sql_update(in_sql, state, progress, cutoff=cutoff, batch_size=batch_size)
            except (DataError, psycopg.DataError):
                # A value SQL cannot read (an IP column holding "n/a"): the Python
                # path generalises what it can and nulls the rest.
                log.warning("retention %s: SQL could not transform every value; "
                            "finishing in Python", self.entry.key)
                in_python = in_sql + in_python
        if in_python:
            self.batches(state, progress, lambda after: self.python_batch(
                in_python, cutoff=cutoff, after=after, limit=batch_size))

    def batches(self, state, progress, step):
        """Python path: run `step(after)` until it says no rows are left; each returns
        (rows changed, the last key it saw, whether more may follow)."""
        after = None
        while True:
            done, after, more = step(after)
            state.rows += done
            state.batches += 1
            if progress is not None:
                progress(state)
            if not more:
                return

    # SQL building blocks, shared by the Hush and external PostgreSQL paths.

    def older(self, cutoff) -> sql.Composable:
        return sql.SQL("{} < {}").format(sql.Identifier(self.entry.timestamp),
                                          sql.Literal(cutoff))

    def after_sql(self, after) -> sql.Composable:
        if after is None:
            return sql.SQL("TRUE")
        literal = sql.SQL("{}::tid").format(sql.Literal(after)) if self.key_is_ctid \
            else sql.Literal(after)
        return sql.SQL("{} > {}").format(self.key_sql, literal)

    def sql_update(self, columns, state, progress, *, cutoff, batch_size):
        """Set-based: one UPDATE per range of `batch_size` keys, each touching only
        the old rows still pending in it (no join, no sort: a range scan)."""
        pending_any = sql.SQL(" OR ").join(sql_pending(c) for c in columns)
        where = sql.SQL("{} AND ({})").format(self.older(cutoff), pending_any)
        assignments = sql.SQL(", ").join(
            sql.SQL("{col} = CASE WHEN {pending} THEN {value} ELSE {col} END").format(
                col=sql.Identifier(c.name), pending=sql_pending(c), value=sql_value(c))
            for c in columns)
        for in_range in self.key_ranges(where, batch_size):
            state.rows += self.execute_count(sql.SQL("UPDATE {} SET {} WHERE {} AND {}").format(
                self.table_sql(), assignments, in_range, where))
            state.batches += 1
            if progress is not None:
                progress(state)

    def delete_rows(self, state, progress, *, cutoff, batch_size):
        for in_range in self.key_ranges(self.older(cutoff), batch_size):
            state.deleted += self.delete_range(in_range, cutoff=cutoff)
            state.batches += 1
            if progress is not None:
                progress(state)

    def key_ranges(self, where: sql.Composable, size: int):
        """Conditions on the row key, each covering about `size` rows, from the
        lowest to the highest key of the rows matching `where`."""
        bounds = self.fetchone(sql.SQL("SELECT min({k}), max({k}) FROM {t} WHERE {w}").format(
            k=self.key_sql, t=self.table_sql(), w=where))
        low, high = bounds
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
                k=key, t=self.table_sql(), lower=lower, last=last,
                skip=sql.Literal(size - 1)))
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
            sql.Literal(self.table_sql().as_string(self.sql_context()))))
        step = max(1, int(size / max(per_page, 1)))
        for start in range(first, last + 1, step):
            yield sql.SQL("ctid >= {}::tid AND ctid < {}::tid").format(
                sql.Literal(f"({start},0)"), sql.Literal(f"({start + step},0)"))

    def select_sql(self, columns, *, cutoff, after, limit) -> sql.Composable:
        pending_any = sql.SQL(" OR ").join(sql_pending(c) for c in columns)
        return sql.SQL(
            "SELECT {key}, {cols} FROM {table} WHERE {older} AND {after} AND ({pending}) "
            "ORDER BY {key} LIMIT {limit} FOR UPDATE"
        ).format(key=self.key_sql, cols=sql.SQL(", ").join(
            sql.Identifier(c.name) for c in columns), table=self.table_sql(),
            older=self.older(cutoff), after=self.after_sql(after), pending=pending_any,
            limit=sql.Literal(limit))

    def count_sql(self, condition) -> sql.Composable:
        return sql.SQL("SELECT count(*) FROM {} WHERE {}").format(self.table_sql(), condition)


class HushTable(_Table):
    """A Hush model: SQL through Django's connection on PostgreSQL, else the ORM."""

    def __init__(self, entry: Entry):
        self.entry = entry
        self.model = entry.model
        meta = self.model._meta
        self.key_sql = sql.Identifier(meta.db_table, meta.pk.column)

    def vendor_sql(self) -> bool:
        return connection.vendor == "postgresql"

    def table_sql(self):
        return sql.Identifier(self.model._meta.db_table)

    def older(self, cutoff) -> sql.Composable:
        condition = super().older(cutoff)
        if self.entry.retention_filter is None:
            return condition
        return sql.SQL("{} AND ({})").format(condition, sql.SQL(self._filter_sql()))

    def _filter_sql(self) -> str:
        """The entry's `retention_filter` as SQL on the bare table, its values inlined
        (the statements here are composed with psycopg, not passed parameters)."""
        query = self.model._default_manager.filter(self.entry.retention_filter).query
        if len(query.alias_map) > 1:
            raise ValueError(f"{self.entry.key}: retention_filter may only name the "
                             "model's own columns (no joins)")
        where, params = query.get_compiler(connection=connection).compile(query.where)
        return psycopg.ClientCursor(self.sql_context()).mogrify(where, params)

    def columns(self, role: str = "retain") -> list[Column]:
        out = []
        for f in self.entry.fields:
            model_field = self.model._meta.get_field(f.name)
            internal = model_field.get_internal_type()
            kind = {"GenericIPAddressField": "inet", "DateField": "date",
                    "DateTimeField": "timestamp", "JSONField": "jsonb"}.get(internal)
            if kind is None:
                kind = "text" if internal in {"CharField", "TextField", "SlugField",
                                              "EmailField", "URLField"} else "other"
            if kind == "jsonb" and connection.vendor != "postgresql":
                kind = "json"
            out.append(Column(f, model_field.column, kind, model_field.null,
                               isinstance(model_field, EncryptedTextField), role))
        return out

    def _execute(self, query: sql.Composable):
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute(query.as_string(connection.connection))
            return cursor.fetchone()

    def count_older(self, cutoff) -> int:
        return self._orm_older(cutoff).count()

    def count_pending(self, cutoff, columns) -> int:
        if self.vendor_sql() and not any(c.encrypted for c in columns):
            pending_any = sql.SQL(" OR ").join(sql_pending(c) for c in columns)
            return self._execute(self.count_sql(sql.SQL("{} AND ({})").format(
                self.older(cutoff), pending_any)))[0]
        return self._orm_older(cutoff).filter(self._orm_pending(columns)).count()

    def sql_context(self):
        connection.ensure_connection()
        return connection.connection

    def fetchone(self, query: sql.Composable):
        return self._execute(query)

    def execute_count(self, query: sql.Composable) -> int:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(query.as_string(self.sql_context()))
            return cursor.rowcount

    def delete_rows(self, state, progress, *, cutoff, batch_size):
        # Through the ORM, so Django's cascades and signals run as for any delete;
        # a model with neither gets one `DELETE ... WHERE pk BETWEEN` per range.
        rows = self._orm_older(cutoff).order_by("pk")
        label = self.model._meta.label
        lower = rows.values_list("pk", flat=True).first()
        while lower is not None:
            upper = rows.filter(pk__gte=lower).values_list("pk", flat=True)[
                batch_size - 1:batch_size].first()
            in_range = rows.filter(pk__gte=lower)
            if upper is not None:
                in_range = in_range.filter(pk__lte=upper)
            with transaction.atomic():
                _, per_model = in_range.delete()
            state.deleted += per_model.get(label, 0)
            state.batches += 1
            if progress is not None:
                progress(state)
            if upper is None:
                return
            lower = rows.filter(pk__gt=upper).values_list("pk", flat=True).first()

    def python_batch(self, columns, *, cutoff, after, limit):
        names = [c.field.name for c in columns]
        with transaction.atomic():
            rows = self._orm_older(cutoff).filter(self._orm_pending(columns))
            if after is not None:
                rows = rows.filter(pk__gt=after)
            rows = list(rows.select_for_update().order_by("pk")
                        .values_list("pk", *names)[:limit])
            changed = []
            for pk, *values in rows:
                new = [python_value(c, v) for c, v in zip(columns, values, strict=True)]
                if new != values:
                    changed.append(self.model(pk=pk, **dict(zip(names, new, strict=True))))
            if changed:
                self.model._default_manager.bulk_update(changed, names, batch_size=1000)
        return len(changed), (rows[-1][0] if rows else None), len(rows) == limit

    def _orm_older(self, cutoff):
        rows = self.model._default_manager.filter(**{f"{self.entry.timestamp}__lt": cutoff})
        if self.entry.retention_filter is not None:
            rows = rows.filter(self.entry.retention_filter)
        return rows

    def _orm_pending(self, columns) -> Q:
        """The ORM twin of `sql_pending` (SQLite, encrypted columns): a superset is
        fine, `python_value` skips what is already done."""
        pending = Q(pk__in=[])
        for c in columns:
            name, f = c.field.name, c.field
            present = Q(**{f"{name}__isnull": False})
            if c.type == "text" and not c.encrypted:
                present &= ~Q(**{name: ""})
            condition = present
            if not c.encrypted:
                if c.transform in MARKERS:
                    condition &= ~Q(**{f"{name}__startswith": MARKERS[c.transform]})
                elif c.transform == "mask":
                    condition &= ~Q(**{f"{name}__contains": "**"})
                elif c.transform == "generalize" and f.kind == "IP_ADDRESS" and c.type == "text":
                    condition &= ~Q(**{f"{name}__contains": "/"})
                elif c.transform == "redact" and c.type in {"text", "json", "jsonb"}:
                    condition &= ~Q(**{name: transforms.redact(None, kind=f.kind)})
            pending |= condition
        return pending


class ExternalTable(_Table):
    """A table in the company's database, over its own psycopg connection. Rows are
    keyed by the primary key when it is one column, else by ctid."""

    def __init__(self, entry: Entry):
        self.entry = entry
        self.external = external
        self.conn = None

    def __enter__(self):
        self.conn = self.external.external_connect(self.entry.database, autocommit=True)
        key = self._primary_key()
        if key:
            self.key_sql = sql.Identifier(key)
        else:
            self.key_sql, self.key_is_ctid = sql.SQL("ctid"), True
        return self

    def __exit__(self, *exc):
        self.conn.close()
        return False

    def vendor_sql(self) -> bool:
        return True

    def table_sql(self):
        return self.external.table_sql(self.entry)

    def _regclass(self) -> str:
        return self.table_sql().as_string(self.conn)

    def _primary_key(self) -> str | None:
        rows = self.conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
            [self._regclass()]).fetchall()
        return rows[0][0] if len(rows) == 1 else None

    def columns(self, role: str = "retain") -> list[Column]:
        schema, _, table = self.entry.table.rpartition(".")
        rows = self.conn.execute(
            "SELECT column_name, data_type, is_nullable = 'YES' FROM information_schema.columns "
            "WHERE table_schema = coalesce(nullif(%s, ''), current_schema()) "
            "AND table_name = %s", [schema, table]).fetchall()
        found = {name: (data_type, nullable) for name, data_type, nullable in rows}
        out = []
        for f in self.entry.fields:
            if f.name not in found:
                raise ValueError(f"{self.entry.key}: no column {f.name!r} in the table")
            data_type, nullable = found[f.name]
            kind = {"text": "text", "character varying": "text", "character": "text",
                    "json": "json", "jsonb": "jsonb", "inet": "inet", "cidr": "inet",
                    "date": "date"}.get(data_type)
            if kind is None:
                kind = "timestamp" if data_type.startswith("timestamp") else "other"
            out.append(Column(f, f.name, kind, nullable, role=role))
        return out

    def count_older(self, cutoff) -> int:
        return self.conn.execute(self.count_sql(self.older(cutoff))).fetchone()[0]

    def count_pending(self, cutoff, columns) -> int:
        pending_any = sql.SQL(" OR ").join(sql_pending(c) for c in columns)
        return self.conn.execute(self.count_sql(sql.SQL("{} AND ({})").format(
            self.older(cutoff), pending_any))).fetchone()[0]

    def sql_context(self):
        return self.conn

    def fetchone(self, query: sql.Composable):
        return self.conn.execute(query).fetchone()

    def execute_count(self, query: sql.Composable) -> int:
        return self.conn.execute(query).rowcount

    def delete_range(self, in_range, *, cutoff) -> int:
        return self.execute_count(sql.SQL("DELETE FROM {} WHERE {} AND {}").format(
            self.table_sql(), in_range, self.older(cutoff)))

    def python_batch(self, columns, *, cutoff, after, limit):
        key = sql.SQL("{}::tid").format(sql.Placeholder()) if self.key_is_ctid \
            else sql.Placeholder()
        update = sql.SQL("UPDATE {} SET {} WHERE {} = {}").format(
            self.table_sql(), sql.SQL(", ").join(
                sql.SQL("{} = %s").format(sql.Identifier(c.name)) for c in columns),
            self.key_sql, key)
        with self.conn.transaction(), self.conn.cursor() as cur:
            rows = cur.execute(self.select_sql(columns, cutoff=cutoff, after=after,
                                               limit=limit)).fetchall()
            changed = []
            for key, *values in rows:
                new = [python_value(c, v) for c, v in zip(columns, values, strict=True)]
                if new != values:
                    changed.append([*[_adapt(c, v) for c, v in zip(columns, new, strict=True)],
                                    key])
            if changed:
                cur.executemany(update, changed)
        return len(changed), (rows[-1][0] if rows else None), len(rows) == limit


def _page(tid: str) -> int:
    """The page number of a ctid such as '(12,5)'."""
    return int(str(tid).strip("()").split(",")[0])


def _adapt(column: Column, value):
    if column.type in {"json", "jsonb"} and value is not None:
        return Jsonb(value)
    return value
