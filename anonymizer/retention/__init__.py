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

from anonymizer.retention.runner import (
    EntryProgress,
    RetentionResult,
    retention_pending,
    retention_run,
    retention_run_once,
)

__all__ = ["EntryProgress", "RetentionResult", "retention_pending", "retention_run",
           "retention_run_once"]
