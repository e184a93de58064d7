"""PostgreSQL triggers a model declares in its `Meta.triggers` (django-pgtrigger), for
tables whose rows are evidence: appended, never changed."""

import pgtrigger


def append_only(*, name: str, operation, what: str, condition=None):
    """Refuse `operation` on the table (before it happens), with an error that says so.

    A row-level trigger for UPDATE and DELETE (a `condition` narrows what is refused),
    a statement-level one for TRUNCATE. `pgtrigger.ignore(<model>:<name>)` is the only
    way past it, and only code that says why uses it.
    """
    level = pgtrigger.Statement if operation == pgtrigger.Truncate else pgtrigger.Row
    return pgtrigger.Trigger(
        name=name, operation=operation, level=level, when=pgtrigger.Before,
        condition=condition,
        func=f"RAISE EXCEPTION '{what} are append-only: % refused', TG_OP "
             "USING ERRCODE = 'insufficient_privilege';")


def deletion_allowed(model):
    """Lift `model`'s append-only DELETE triggers for the block (a context manager; a
    no-op off PostgreSQL): for the deletions a product makes on purpose, such as a
    subject's erasure, and nothing else."""
    uris = [f"{model._meta.label}:{t.name}" for t in getattr(model._meta, "triggers", ())
            if t.operation == pgtrigger.Delete]
    return pgtrigger.ignore(*uris)
