"""`pii_audit`: look for personal data where the catalog does not expect it, and for
catalogued policies that are not applied.

Every text-like column (char, varchar, text, json, jsonb) of Hush's database and of
each external database is sampled and the values run through `anonymizer.detect`.
A column where something is found and that no catalog entry covers is a finding;
so is an entry whose retention limit has rows still holding un-transformed values,
and a field that erasure should have changed on an erased subject's rows. Only
names, kinds and counts are kept: never a value. Encrypted columns are sampled as
stored (ciphertext) and are catalogued anyway.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator

import psycopg
from django.apps import apps
from django.conf import settings
from django.db import connection, models
from django.utils import timezone

import audit
from anonymizer import catalog, external
from anonymizer.core.detect import detect
from anonymizer.erasure.verification import erasure_pending
from anonymizer.models import ErasureRequest, PiiAuditRun
from anonymizer.retention import retention_pending

log = logging.getLogger(__name__)

DEFAULT = "default"           # Hush's own database, in findings
MAX_VALUE = 10_000            # characters of one sampled value given to detection
_TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField,
                models.GenericIPAddressField)


def pii_audit_run(*, sample: int = 100, database: str | None = None,
                  detector: Callable | None = None, actor=None) -> PiiAuditRun:
    """Sample, detect, check the policies; store and audit the run."""
    detector = detector or detect
    names = [DEFAULT, *settings.HUSH_EXTERNAL_DATABASES]
    if database is not None:
        if database not in names:
            raise ValueError(f"no database {database!r} (one of {', '.join(names)})")
        names = [database]
    run = PiiAuditRun.objects.create(sample_size=sample, databases=names)
    covered = _covered_columns()
    findings, sampled = [], 0
    for name in names:
        try:
            for table, column, values in _samples(name, sample):
                sampled += 1
                kinds = Counter()
                for value in values:
                    kinds.update({finding.kind for finding in detector(value[:MAX_VALUE])})
                if kinds and (name, table, column) not in covered:
                    findings.append({"problem": "uncovered", "database": name, "table": table,
                                     "column": column, "sampled": len(values),
                                     "kinds": dict(sorted(kinds.items()))})
        except psycopg.OperationalError as error:
            log.warning("pii_audit: cannot reach database %s (%s)", name, type(error).__name__)
            findings.append({"problem": "unreachable", "database": name,
                             "error": type(error).__name__})
            continue
    findings += _policy_findings(names)
    run.findings = findings
    run.columns_sampled = sampled
    run.finished_at = timezone.now()
    run.save(update_fields=["findings", "columns_sampled", "finished_at"])
    counts = Counter(f["problem"] for f in findings)
    audit.record(actor=actor or audit.SYSTEM, action="pii_audit.run", target=run,
                 details={"databases": names, "columns": sampled, "sample": sample,
                          "findings": dict(counts)})
    return run


# --- what the catalog covers -----------------------------------------------------

def _table_name(schema: str, table: str) -> str:
    return table if schema in ("", "public") else f"{schema}.{table}"


def _covered_columns() -> set[tuple[str, str, str]]:
    covered = set()
    for entry in catalog.entries():
        database = entry.database or DEFAULT
        table = entry.db_table
        if entry.external and table.startswith("public."):
            table = table.removeprefix("public.")
        for pii_field in entry.fields:
            covered.add((database, table, entry.column(pii_field.name)))
    return covered


# --- sampling ----------------------------------------------------------------------

def _samples(name: str, size: int) -> Iterator[tuple[str, str, list[str]]]:
    """(table, column, sampled values) for every text-like column of a database."""
    if name != DEFAULT:
        with external.external_connect(name, autocommit=True) as conn:
            for schema, table, column, _type in external.text_columns(conn):
                query, params = external.sample_sql(schema, table, column, size)
                rows = conn.execute(query, params).fetchall()
                yield _table_name(schema, table), column, [row[0] for row in rows]
        return
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        for schema, table, column, _type in external.text_columns(connection):
            query, params = external.sample_sql(schema, table, column, size)
            with connection.cursor() as cursor:
                cursor.execute(query.as_string(connection.connection), params)
                yield _table_name(schema, table), column, [row[0] for row in cursor.fetchall()]
        return
    # SQLite (embedded mode): the models' own text columns.
    quote = connection.ops.quote_name
    for model in apps.get_models():
        table = model._meta.db_table
        for model_field in model._meta.concrete_fields:
            if not isinstance(model_field, _TEXT_FIELDS):
                continue
            column = model_field.column
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} "  # noqa: S608
                               f"WHERE {quote(column)} IS NOT NULL AND {quote(column)} <> '' "
                               "LIMIT %s", [size])
                yield table, column, [str(row[0]) for row in cursor.fetchall()]


# --- policies ----------------------------------------------------------------------

def _policy_findings(names: list[str]) -> list[dict]:
    erased = list(ErasureRequest.objects.filter(status=ErasureRequest.Status.DONE)
                  .values_list("subject_public_id", flat=True).distinct())
    findings = []
    for entry in catalog.entries():
        database = entry.database or DEFAULT
        if database not in names:
            continue
        place = {"database": database, "table": entry.db_table, "entry": entry.key}
        try:
            if entry.retention is not None:
                rows = retention_pending(entry)
                if rows:
                    findings.append({"problem": "retention", **place, "rows": rows,
                                     "retention_days": entry.retention.days,
                                     "fields": [f.name for f in entry.fields if f.retain]})
            rows = erasure_pending(entry, erased)
            if rows:
                findings.append({"problem": "erasure", **place, "rows": rows,
                                 "fields": [f.name for f in entry.fields
                                            if f.erase is not None] if not entry.erase_rows
                                 else ["(rows)"]})
        except (psycopg.OperationalError, psycopg.errors.UndefinedTable,
                psycopg.errors.UndefinedColumn, ValueError) as error:
            findings.append({"problem": "unchecked", **place, "error": type(error).__name__})
    return findings


# --- the report ----------------------------------------------------------------------

_EXPLAIN = {
    "uncovered": "PII found in columns the catalog does not cover",
    "retention": "retention not applied (rows older than the limit still hold PII)",
    "erasure": "erasure not applied (erased subjects' rows still hold fields)",
    "unreachable": "databases that could not be reached",
    "unchecked": "catalog entries that could not be checked",
}


def pii_audit_report(run: PiiAuditRun) -> str:
    lines = [f"PII audit #{run.pk}: {', '.join(run.databases)}; {run.columns_sampled} text "
             f"columns sampled (up to {run.sample_size} values each)"]
    for problem, title in _EXPLAIN.items():
        found = [f for f in run.findings if f["problem"] == problem]
        if not found:
            continue
        lines.append("")
        lines.append(f"{title}:")
        for f in found:
            if problem == "uncovered":
                kinds = ", ".join(f"{kind} {count}/{f['sampled']}"
                                  for kind, count in f["kinds"].items())
                lines.append(f"  {f['database']}  {f['table']}.{f['column']}: {kinds}")
            elif problem in ("retention", "erasure"):
                lines.append(f"  {f['entry']}: {f['rows']} rows ({', '.join(f['fields'])})")
            else:
                lines.append(f"  {f.get('entry', f['database'])}: {f['error']}")
    lines.append("")
    lines.append(f"{len(run.findings)} findings" if run.findings else "no findings")
    return "\n".join(lines)
