"""Retention: once a row is older than its catalog entry's `retention`, each field's
`retain` transform is applied to it (or the row is deleted, for `retain="delete"`).

Transforms go through the engine erasure uses too (`anonymizer.transforming`): on
PostgreSQL what SQL can express runs set-based, one UPDATE per range of keys
(`null`, `redact`, `generalize` of IP addresses and of date and timestamp
columns); the rest, and everything on SQLite or in an encrypted column, in Python
in keyset-paginated batches.

A row is only picked while some field is still *pending*: not empty, not already
the constant, nor marked as already transformed (`anonymizer.transforming.markers`).
So a run can stop anywhere and the next one carries on, and running it twice
changes nothing the second time.

Rows go (`retain="delete"`) one DELETE per range of `batch_size` keys, set-based
on every database: through the ORM for Hush models (so a cascade or a delete
signal still runs; without one Django issues the single statement), in SQL for
external tables. An entry's `retention_filter` limits every step, count and
delete to the rows it names: the others are kept whatever their age.
"""

from anonymizer.retention.runner import (
    EntryProgress,
    RetentionResult,
    retention_pending,
    retention_run,
    retention_run_once,
)

__all__ = ["EntryProgress", "RetentionResult", "retention_pending", "retention_run",
           "retention_run_once"]
