"""The rows retention may touch: older than the entry's cutoff and inside its
`retention_filter`, as a selection for the transforming engine; and deleting them
(`retain="delete"`), which is not a transform: one DELETE per range of keys."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from psycopg import sql

from anonymizer import external
from anonymizer.catalog import Entry
from anonymizer.transforming import ExternalRows, HushRows


@dataclass
class EntryProgress:
    key: str
    rows: int = 0          # rows whose fields were transformed
    deleted: int = 0       # rows deleted (`retain="delete"`)
    batches: int = 0
    set_based: bool = False
    seconds: float = 0.0


@contextlib.contextmanager
def older_rows(entry: Entry, *, cutoff) -> Iterator[HushRows | ExternalRows]:
    """The entry's rows older than `cutoff` (an external table's over a connection
    of its own, open meanwhile)."""
    if entry.external:
        older = sql.SQL("{} < {}").format(sql.Identifier(entry.timestamp), sql.Literal(cutoff))
        with external.external_connect(entry.database, autocommit=True) as conn:
            yield ExternalRows(entry=entry, conn=conn, where=older)
        return
    rows = entry.model._default_manager.filter(**{f"{entry.timestamp}__lt": cutoff})
    if entry.retention_filter is not None:
        rows = rows.filter(entry.retention_filter)
        if len(rows.query.alias_map) > 1:
            raise ValueError(f"{entry.key}: retention_filter may only name the "
                             "model's own columns (no joins)")
    yield HushRows(rows=rows, label=entry.key)


def older_delete(rows: HushRows | ExternalRows, state: EntryProgress, *, batch_size: int,
                 progress=None) -> None:
    """Delete the selected rows, one statement (and transaction) per range of keys."""
    ranges = _orm_ranges(rows, batch_size) if isinstance(rows, HushRows) \
        else _sql_ranges(rows, batch_size)
    for deleted in ranges:
        state.deleted += deleted
        state.batches += 1
        if progress is not None:
            progress(state)


def _orm_ranges(rows: HushRows, batch_size: int) -> Iterator[int]:
    # Through the ORM, so Django's cascades and signals run as for any delete;
    # a model with neither gets one `DELETE ... WHERE pk BETWEEN` per range.
    ordered = rows.rows.order_by("pk")
    label = rows.model._meta.label
    lower = ordered.values_list("pk", flat=True).first()
    while lower is not None:
        upper = ordered.filter(pk__gte=lower).values_list("pk", flat=True)[
            batch_size - 1:batch_size].first()
        in_range = ordered.filter(pk__gte=lower)
        if upper is not None:
            in_range = in_range.filter(pk__lte=upper)
        with transaction.atomic():
            _, per_model = in_range.delete()
        yield per_model.get(label, 0)
        if upper is None:
            return
        lower = ordered.filter(pk__gt=upper).values_list("pk", flat=True).first()


def _sql_ranges(rows: ExternalRows, batch_size: int) -> Iterator[int]:
    for in_range in rows.key_ranges(rows.where, batch_size):
        yield rows.statement(sql.SQL("DELETE FROM {} WHERE {} AND {}").format(
            rows.table_sql, in_range, rows.where))
