"""Transforming catalogued fields in their tables: the one engine erasure and
retention apply transforms through.

- `columns`: what a catalogued field looks like in its table (`Column`).
- `markers`: the marks of a value already transformed (`pseu_`, `tok_`, masks,
  networks, `@pseudonym.invalid`), in Python, SQL and the ORM.
- `values`: per transform, the new value in Python and, for PostgreSQL, the
  "still pending" test and the new value as SQL.
- `rows`: a selection of rows of a Hush model (`HushRows`) or of an external table
  (`ExternalRows`), with key ranges and the Python path's keyset pages.
- `engine`: `rows_transform` applies a role's transforms to a selection, set-based
  in SQL where it can, in Python batches otherwise; `rows_pending` counts.

Retention selects "older than the cutoff (and its filter)" with role `retain`,
erasure "this subject's rows" with role `erase`. Deleting rows is not a transform:
each of them does its own.
"""

from anonymizer.transforming.columns import Column
from anonymizer.transforming.engine import Outcome, rows_pending, rows_transform
from anonymizer.transforming.rows import ExternalRows, HushRows

__all__ = ["Column", "ExternalRows", "HushRows", "Outcome", "rows_pending", "rows_transform"]
