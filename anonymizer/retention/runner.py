"""A retention run over every catalog entry that has a retention, with its progress
and one audit event; the lock that keeps beat's runs from overlapping; and the
read-only count `pii_audit` asks for."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

import audit
from anonymizer import catalog
from anonymizer.catalog import Entry
from anonymizer.retention.older import EntryProgress, older_delete, older_rows
from anonymizer.transforming import rows_pending, rows_transform

log = logging.getLogger(__name__)


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


def retention_run(*, entry_key: str | None = None, batch_size: int | None = None,
                  dry_run: bool = False, set_based: bool | None = None, now=None,
                  progress: Callable[[EntryProgress], None] | None = None,
                  actor=None) -> RetentionResult:
    """Apply retention to every entry that has one (or to `entry_key`).

    `set_based=None` uses SQL where it can (PostgreSQL); False forces the Python
    path. `dry_run` counts the rows that would change and changes nothing.
    `progress` is called after every batch. One audit event per run.
    """
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
        with older_rows(entry, cutoff=now - entry.retention) as rows:
            _entry_run(entry, rows, state, batch_size=batch_size, dry_run=dry_run,
                       set_based=set_based, progress=progress)
        state.seconds = time.monotonic() - started
        log.info("retention %s: %s rows transformed, %s deleted%s in %.1fs", entry.key,
                 state.rows, state.deleted, " (dry run)" if dry_run else "", state.seconds)
    audit.record(actor=actor or audit.SYSTEM, action="retention.dry_run" if dry_run
                 else "retention.run", details=result.summary())
    return result


def _entry_run(entry, rows, state, *, batch_size, dry_run, set_based, progress):
    if entry.deletes_rows_on_retention:
        state.set_based = True  # one statement per range of keys
        if dry_run:
            state.deleted = rows.count()
        else:
            older_delete(rows, state, batch_size=batch_size, progress=progress)
        return

    def batch_done(outcome):
        state.rows, state.batches, state.set_based = (outcome.rows, outcome.batches,
                                                      outcome.set_based)
        if progress is not None:
            progress(state)

    outcome = rows_transform(rows, fields=entry.fields, role="retain", batch_size=batch_size,
                             set_based=set_based, dry_run=dry_run, progress=batch_done)
    state.rows, state.set_based = outcome.rows, outcome.set_based  # a dry run has no batch


def retention_pending(entry: Entry, *, now=None) -> int:
    """Rows older than the entry's limit that still hold what retention should have
    transformed (or deleted). Changes nothing and records nothing."""
    if entry.retention is None:
        return 0
    with older_rows(entry, cutoff=(now or timezone.now()) - entry.retention) as rows:
        if entry.deletes_rows_on_retention:
            return rows.count()
        return rows_pending(rows, fields=entry.fields, role="retain")


_LOCK = "hush:retention-run"


def retention_run_once(**options) -> dict:
    """`retention_run` unless another run holds the lock (beat ticks can overlap a
    slow run); returns the run's summary, or `{"skipped": True}`."""
    if not cache.add(_LOCK, 1, timeout=6 * 3600):
        log.info("retention: another run is in progress; skipped")
        return {"skipped": True}
    try:
        return retention_run(**options).summary()
    finally:
        cache.delete(_LOCK)
