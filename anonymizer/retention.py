"""Retention: once a row is older than its catalog entry's `retention`, each field's
`retain` transform is applied to it (or the row is deleted, for `retain="delete"`).

On PostgreSQL the transforms that SQL can express run set-based, one statement
per batch of rows: `null`, `redact` (a constant), `generalize` of IP addresses
(`network(set_masklen(...))`, /24 and /48) and of date and timestamp columns
(`date_trunc`). The others (`pseudonymise`, `mask`, `tokenize`, `generalize` of
text dates) and every transform on SQLite or on an encrypted column run in Python
through `anonymizer.policies.field_apply`, in keyset-paginated batches.

A row is only picked while some field is still *pending*: not null, not already
the constant, not already a network, not already pseudonymised (`pseu_`), masked
(`**`) or tokenized (`tok_`). So a run can stop anywhere and the next one carries
on, and running it twice changes nothing the second time.

Rows go (`retain="delete"`) one DELETE per range of `batch_size` keys, set-based
on every database: through the ORM for Hush models (so a cascade or a delete
signal still runs; without one Django issues the single statement), in SQL for
external tables. An entry's `retention_filter` limits every step, count and
delete to the rows it names: the others are kept whatever their age.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import psycopg
from django.conf import settings
from django.db import DataError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from psycopg import sql

from anonymizer import catalog
from anonymizer.catalog import Entry, PiiField
from anonymizer.core import transforms

log = logging.getLogger(__name__)

_DATE_KINDS = {"DATE", "DATE_OF_BIRTH", "TIMESTAMP"}
_GENERALISED_DATE = re.compile(r"\d{4}(-\d{2})?")
_MARKERS = {"pseudonymise": "pseu_", "tokenize": "tok_"}


@dataclass
class EntryProgress:
    key: str
    rows: int = 0          # rows whose fields were transformed
    deleted: int = 0       # rows deleted (`retain="delete"`)
    batches: int = 0
    set_based: bool = False
    seconds: float = 0.0


@dataclass
class RetentionResult:
    dry_run: bool
    entries: dict[str, EntryProgress] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(p.rows + p.deleted for p in self.entries.values())

    def summary(self) -> dict:
        """For the audit event and the task result: counts only, no data."""
        return {"dry_run": self.dry_run, "total": self.total,
                "entries": {key: {"rows": p.rows, "deleted": p.deleted,
                                  "set_based": p.set_based}
                            for key, p in self.entries.items()}}


@dataclass(frozen=True)
class _Column:
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


def retention_run(*, entry_key: str | None = None, batch_size: int | None = None,
                  dry_run: bool = False, set_based: bool | None = None, now=None,
                  progress: Callable[[EntryProgress], None] | None = None,
                  actor=None) -> RetentionResult:
    """Apply retention to every entry that has one (or to `entry_key`).

    `set_based=None` uses SQL where it can (PostgreSQL); False forces the Python
    path. `dry_run` counts the rows that would change and changes nothing.
    `progress` is called after every batch. One audit event per run.
    """
    import audit

    batch_size = batch_size or settings.HUSH_RETENTION_BATCH
    now = now or timezone.now()
    chosen = [catalog.entry(entry_key)] if entry_key else catalog.entries()
    result = RetentionResult(dry_run=dry_run)
    for entry in chosen:
        if entry.retention is None:
            if entry_key:
                raise ValueError(f"{entry.key} has no retention period")
            continue
        started = time.monotonic()
        state = EntryProgress(key=entry.key)
        result.entries[entry.key] = state
        cutoff = now - entry.retention
        runner = _ExternalTable(entry) if entry.external else _HushTable(entry)
        with runner:
            runner.run(state, cutoff=cutoff, batch_size=batch_size, dry_run=dry_run,
                       set_based=set_based, progress=progress)
        state.seconds = time.monotonic() - started
        log.info("retention %s: %s rows transformed, %s deleted%s in %.1fs", entry.key,
                 state.rows, state.deleted, " (dry run)" if dry_run else "", state.seconds)
    audit.record(actor=actor or audit.SYSTEM, action="retention.dry_run" if dry_run
                 else "retention.run", details=result.summary())
    return result


# --- what each transform looks like, in Python and in SQL --------------------------

def _already_applied(column: _Column, value) -> bool:
    """Whether a value already is what its retain transform makes (so it is skipped)."""
    f = column.field
    if value is None or value == "":
        return True
    if column.transform in _MARKERS:
        return str(value).startswith(_MARKERS[column.transform])
    if column.transform == "mask":
        return "**" in str(value) or (f.kind == "IP_ADDRESS" and "/" in str(value))
    if column.transform == "generalize" and f.kind == "IP_ADDRESS":
        return "/" in str(value)
    if column.transform == "generalize" and f.kind in _DATE_KINDS and isinstance(value, str):
        return bool(_GENERALISED_DATE.fullmatch(value))
    return False


def _python_value(column: _Column, value):
    """The retained value, or `value` itself when nothing is to change."""
    if _already_applied(column, value):
        return value
    from anonymizer.policies import field_apply

    f = column.field
    options = {"level": f.level} if f.level else {}
    new = field_apply(column.transform, value, kind=f.kind, **options)
    if new is None:
        return column.empty
    if isinstance(value, datetime | date) and isinstance(new, str):
        return value  # a column of dates keeps dates; an unreadable one is left for SQL
    return new


def _sql_able(column: _Column) -> bool:
    f = column.field
    if column.transform == "null":
        return True
    if column.encrypted:
        return False
    if column.transform == "redact":
        return column.type in {"text", "json", "jsonb"}
    if column.transform == "generalize" and f.kind == "IP_ADDRESS":
        return column.type in {"text", "inet"}
    if column.transform == "generalize" and f.kind in _DATE_KINDS:
        return column.type in {"date", "timestamp"}
    return False


def _constant(column: _Column) -> sql.Composable:
    text = transforms.redact(None, kind=column.field.kind)
    if column.type == "jsonb":
        return sql.SQL("to_jsonb({}::text)").format(sql.Literal(text))
    if column.type == "json":
        return sql.SQL("to_json({}::text)").format(sql.Literal(text))
    return sql.Literal(text)


def _sql_pending(column: _Column) -> sql.Composable:
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
                                                                   _constant(column))
        return sql.SQL("({} AND {} <> {})").format(present, col, _constant(column))
    if column.transform == "generalize" and f.kind == "IP_ADDRESS":
        if column.type == "inet":
            return sql.SQL("({} AND {} <> {})").format(present, col, _sql_value(column))
        return sql.SQL("({} AND strpos({}, '/') = 0)").format(present, col)
    if column.transform == "generalize" and f.kind in _DATE_KINDS:
        return sql.SQL("({} AND {} <> {})").format(present, col, _sql_value(column))
    if column.transform in _MARKERS:
        marker = _MARKERS[column.transform]
        return sql.SQL("({} AND left({}::text, {}) <> {})").format(
            present, col, sql.Literal(len(marker)), sql.Literal(marker))
    if column.transform == "mask":
        return sql.SQL("({} AND strpos({}::text, '**') = 0)").format(present, col)
    return present


def _sql_value(column: _Column) -> sql.Composable:
    """The retained value as an SQL expression (only for `_sql_able` columns)."""
    col = sql.Identifier(column.name)
    f = column.field
    if column.transform == "null":
        return sql.SQL("NULL") if column.nullable else sql.Literal("")
    if column.transform == "redact":
        return _constant(column)
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


# --- one table ----------------------------------------------------------------------

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
        in_sql = [c for c in columns if c.field.retain and use_sql and _sql_able(c)]
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
        pending_any = sql.SQL(" OR ").join(_sql_pending(c) for c in columns)
        where = sql.SQL("{} AND ({})").format(self.older(cutoff), pending_any)
        assignments = sql.SQL(", ").join(
            sql.SQL("{col} = CASE WHEN {pending} THEN {value} ELSE {col} END").format(
                col=sql.Identifier(c.name), pending=_sql_pending(c), value=_sql_value(c))
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
        pending_any = sql.SQL(" OR ").join(_sql_pending(c) for c in columns)
        return sql.SQL(
            "SELECT {key}, {cols} FROM {table} WHERE {older} AND {after} AND ({pending}) "
            "ORDER BY {key} LIMIT {limit} FOR UPDATE"
        ).format(key=self.key_sql, cols=sql.SQL(", ").join(
            sql.Identifier(c.name) for c in columns), table=self.table_sql(),
            older=self.older(cutoff), after=self.after_sql(after), pending=pending_any,
            limit=sql.Literal(limit))

    def count_sql(self, condition) -> sql.Composable:
        return sql.SQL("SELECT count(*) FROM {} WHERE {}").format(self.table_sql(), condition)


class _HushTable(_Table):
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

    def columns(self, role: str = "retain") -> list[_Column]:
        from preferences.fields import EncryptedTextField

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
            out.append(_Column(f, model_field.column, kind, model_field.null,
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
            pending_any = sql.SQL(" OR ").join(_sql_pending(c) for c in columns)
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
                new = [_python_value(c, v) for c, v in zip(columns, values, strict=True)]
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
        """The ORM twin of `_sql_pending` (SQLite, encrypted columns): a superset is
        fine, `_python_value` skips what is already done."""
        pending = Q(pk__in=[])
        for c in columns:
            name, f = c.field.name, c.field
            present = Q(**{f"{name}__isnull": False})
            if c.type == "text" and not c.encrypted:
                present &= ~Q(**{name: ""})
            condition = present
            if not c.encrypted:
                if c.transform in _MARKERS:
                    condition &= ~Q(**{f"{name}__startswith": _MARKERS[c.transform]})
                elif c.transform == "mask":
                    condition &= ~Q(**{f"{name}__contains": "**"})
                elif c.transform == "generalize" and f.kind == "IP_ADDRESS" and c.type == "text":
                    condition &= ~Q(**{f"{name}__contains": "/"})
                elif c.transform == "redact" and c.type in {"text", "json", "jsonb"}:
                    condition &= ~Q(**{name: transforms.redact(None, kind=f.kind)})
            pending |= condition
        return pending


class _ExternalTable(_Table):
    """A table in the company's database, over its own psycopg connection. Rows are
    keyed by the primary key when it is one column, else by ctid."""

    def __init__(self, entry: Entry):
        from anonymizer import external

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

    def columns(self, role: str = "retain") -> list[_Column]:
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
            out.append(_Column(f, f.name, kind, nullable, role=role))
        return out

    def count_older(self, cutoff) -> int:
        return self.conn.execute(self.count_sql(self.older(cutoff))).fetchone()[0]

    def count_pending(self, cutoff, columns) -> int:
        pending_any = sql.SQL(" OR ").join(_sql_pending(c) for c in columns)
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
                new = [_python_value(c, v) for c, v in zip(columns, values, strict=True)]
                if new != values:
                    changed.append([*[_adapt(c, v) for c, v in zip(columns, new, strict=True)],
                                    key])
            if changed:
                cur.executemany(update, changed)
        return len(changed), (rows[-1][0] if rows else None), len(rows) == limit


def _page(tid: str) -> int:
    """The page number of a ctid such as '(12,5)'."""
    return int(str(tid).strip("()").split(",")[0])


def _adapt(column: _Column, value):
    if column.type in {"json", "jsonb"} and value is not None:
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    return value



# --- for pii_audit: is the policy applied? (reads only) -----------------------------

def retention_pending(entry: Entry, *, now=None) -> int:
    """Rows older than the entry's limit that still hold what retention should have
    transformed (or deleted). Changes nothing and records nothing."""
    if entry.retention is None:
        return 0
    cutoff = (now or timezone.now()) - entry.retention
    with (_ExternalTable(entry) if entry.external else _HushTable(entry)) as table:
        if entry.deletes_rows_on_retention:
            return table.count_older(cutoff)
        columns = [c for c in table.columns() if c.transform]
        return table.count_pending(cutoff, columns) if columns else 0


def erasure_pending(entry: Entry, public_ids: list) -> int:
    """Rows of erased subjects (by public id) that still hold a field erasure should
    have changed, or still exist where erasure deletes rows. Hush models, and external
    tables keyed by public id (the only identifier Hush keeps after erasure)."""
    if not public_ids or not entry.erasable:
        return 0
    if entry.external:
        if entry.subject_by != "public_id":
            return 0
        with _ExternalTable(entry) as table:
            where = sql.SQL("{}::text = ANY({})").format(
                sql.Identifier(entry.subject), sql.Literal([str(p) for p in public_ids]))
            if not entry.erase_rows:
                columns = [c for c in table.columns("erase") if c.transform]
                where = sql.SQL("{} AND ({})").format(
                    where, sql.SQL(" OR ").join(_sql_pending(c) for c in columns))
            return table.conn.execute(table.count_sql(where)).fetchone()[0]
    if entry.subject_by != "public_id":
        return 0
    table = _HushTable(entry)
    rows = entry.model._default_manager.filter(**{f"{entry.subject}__in": public_ids})
    if entry.erase_rows:
        return rows.count()
    columns = [c for c in table.columns("erase") if c.transform]
    return rows.filter(table._orm_pending(columns)).count()


_LOCK = "hush:retention-run"


def retention_run_once(**options) -> dict:
    """`retention_run` unless another run holds the lock (beat ticks can overlap a
    slow run); returns the run's summary, or `{"skipped": True}`."""
    from django.core.cache import cache

    if not cache.add(_LOCK, 1, timeout=6 * 3600):
        log.info("retention: another run is in progress; skipped")
        return {"skipped": True}
    try:
        return retention_run(**options).summary()
    finally:
        cache.delete(_LOCK)
