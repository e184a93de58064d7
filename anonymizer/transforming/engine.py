"""The one engine that applies catalogued fields' transforms to a selection of rows:
retention calls it with "older than the cutoff" and the `retain` transforms, erasure
with "this subject's rows" and the `erase` ones.

On PostgreSQL what SQL can express runs set-based (one UPDATE per range of keys,
touching only rows still pending); the rest, and everything on SQLite or in an
encrypted column, runs in Python in keyset pages of locked rows. A value SQL cannot
read (an address column holding "n/a") sends its column to the Python path, which
nulls what it cannot transform. Only pending rows are written, so running it again
changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from django.db import DataError
from psycopg import sql

from anonymizer.transforming.columns import Column
from anonymizer.transforming.values import pending_sql, sql_expressible, value_sql

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What a run did: counts and field names only, never a value."""

    rows: int = 0                 # rows changed (pending rows, for a dry run)
    fields: list[str] = field(default_factory=list)   # fields changed, in catalog order
    batches: int = 0
    set_based: bool = False       # some column ran in SQL


def rows_transform(rows, *, fields, role: str, batch_size: int, ranges: bool = True,
                   set_based: bool | None = None, report_fields: bool = False,
                   dry_run: bool = False, apply: Callable | None = None,
                   progress: Callable[[Outcome], None] | None = None) -> Outcome:
    """Apply each field's `role` transform to `rows` (a `HushRows` or `ExternalRows`).

    `batch_size` rows per Python page and, with `ranges`, per SQL statement (without:
    one statement for the whole selection, as for one subject's rows).
    `set_based=None` uses SQL where it can; False forces Python. `report_fields`
    works out which fields changed in SQL too (erasure records them). `dry_run`
    counts the pending rows and changes nothing. `apply(field, value)` replaces the
    transforms (Python path only). `progress(outcome)` after every batch."""
    columns = _columns(rows, fields, role)
    use_sql = rows.sql_ok() and set_based is not False and apply is None
    in_sql = [c for c in columns if use_sql and sql_expressible(c)]
    if report_fields and 0 < len(in_sql) < len(columns) and not rows.keys_stable():
        in_sql = []  # a row both paths change must be counted once: its key may not move
    in_python = [c for c in columns if c not in in_sql]
    outcome = Outcome(set_based=bool(in_sql))
    if dry_run or not columns:
        outcome.rows = rows.count_pending(columns) if columns else 0
        return outcome
    # Reporting, a row both paths change is counted once (by its key).
    keys: set[str] | None = set() if report_fields and in_sql and in_python else None
    changed: set[str] = set()
    if in_sql:
        try:
            _sql_apply(rows, in_sql, outcome, changed, keys, batch_size=batch_size,
                       ranges=ranges, report_fields=report_fields, progress=progress)
        except (DataError, psycopg.DataError):
            log.warning("%s: SQL could not transform every value; finishing in Python",
                        rows.label)
            in_python = in_sql + in_python
    after = None
    while in_python:
        batch_keys, names, after, more = rows.python_batch(
            in_python, after=after, limit=batch_size, apply=apply)
        changed |= names
        if keys is None:
            outcome.rows += len(batch_keys)
        else:
            keys.update(batch_keys)
            outcome.rows = len(keys)
        _batch_done(outcome, changed, columns, progress)
        if not more:
            break
    return outcome


def rows_pending(rows, *, fields, role: str) -> int:
    """Rows of the selection that still hold a value the `role` transforms change."""
    columns = _columns(rows, fields, role)
    return rows.count_pending(columns) if columns else 0


def _columns(rows, fields, role: str) -> list[Column]:
    columns = [c for c in rows.columns(fields, role=role) if c.transform]
    if any(c.transform == "delete" for c in columns):
        raise ValueError(f"{rows.label}: `delete` removes rows; it is not a field transform")
    return columns


def _batch_done(outcome, changed, columns, progress):
    outcome.batches += 1
    outcome.fields = [c.field.name for c in columns if c.field.name in changed]
    if progress is not None:
        progress(outcome)


def _sql_apply(rows, columns, outcome, changed, keys, *, batch_size, ranges, report_fields,
               progress):
    where = rows.any_pending_sql(columns)
    flagged = report_fields or keys is not None
    for in_range in rows.key_ranges(where, batch_size) if ranges else [sql.SQL("TRUE")]:
        selected = sql.SQL("{} AND {}").format(in_range, where)
        if not flagged:
            outcome.rows += rows.statement(_update_sql(rows, columns, selected))
        else:
            count, *flags = rows.statement(
                _flagged_sql(rows, columns, selected, with_keys=keys is not None), fetch=True)
            if keys is not None:
                keys.update(flags.pop() or [])
                outcome.rows = len(keys)
            else:
                outcome.rows += count
            changed.update(c.field.name for c, flag in zip(columns, flags, strict=True) if flag)
        _batch_done(outcome, changed, columns, progress)


def _update_sql(rows, columns: list[Column], selected) -> sql.Composable:
    """One UPDATE of the selected rows; each column changes where it is pending."""
    assignments = sql.SQL(", ").join(
        sql.SQL("{col} = CASE WHEN {pending} THEN {value} ELSE {col} END").format(
            col=sql.Identifier(c.name), pending=pending_sql(c), value=value_sql(c))
        for c in columns)
    return sql.SQL("UPDATE {} SET {} WHERE {}").format(rows.table_sql, assignments, selected)


def _flagged_sql(rows, columns: list[Column], selected, *, with_keys: bool) -> sql.Composable:
    """The same UPDATE, also saying which columns changed (and, `with_keys`, which
    rows), in one statement: the flags are read in the snapshot the UPDATE starts
    from (no join, no second lock; a row another transaction changes meanwhile is
    written as PostgreSQL re-reads it, and reported as it was)."""
    summary = [sql.SQL("bool_or({})").format(pending_sql(c)) for c in columns]
    if with_keys:
        summary.append(sql.SQL("array_agg({}::text)").format(rows.key_sql))
    return sql.SQL(
        "WITH flags AS (SELECT {summary} FROM {table} WHERE {selected}), "
        "changed AS ({update} RETURNING 1) "
        "SELECT (SELECT count(*) FROM changed), flags.* FROM flags").format(
        summary=sql.SQL(", ").join(summary), table=rows.table_sql, selected=selected,
        update=_update_sql(rows, columns, selected))
