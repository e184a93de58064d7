"""Verification: every catalogued field, Hush's and external, searched for the
subject's identifiers once every step is done; and the request closed."""

from __future__ import annotations

import uuid

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Cast
from django.utils import timezone
from psycopg import sql

import audit
from anonymizer import catalog
from anonymizer.catalog import Entry
from anonymizer.erasure.planning import DESTINATION, erasable
from anonymizer.erasure.requests import identifiers_of
from anonymizer.external import external_connect, external_connection, external_count, table_sql
from anonymizer.ledger import ERASURE, ledger_append
from anonymizer.models import ErasureRequest, ErasureStep
from anonymizer.transforming import ExternalRows, HushRows, rows_pending
from common.fields import EncryptedTextField

Status = ErasureStep.Status
RequestStatus = ErasureRequest.Status


_TEXT = (models.CharField, models.TextField)


def _patterns(ids: dict) -> dict[str, list[str]]:
    """Substrings each identifier is searched as. A short external id is matched
    whole (quoted in JSON): as a substring it would match any text."""
    patterns = {}
    for name in ("email", "email_digest", "public_id"):
        if ids.get(name):
            patterns[name] = [ids[name]]
    if ids.get("public_id"):
        patterns["public_id"].append(uuid.UUID(ids["public_id"]).hex)
    if ids.get("external_id"):
        value = ids["external_id"]
        patterns["external_id"] = [value] if len(value) >= 6 else [f'"{value}"']
    return patterns


def erasure_verify(*, request: ErasureRequest, ids: dict | None = None) -> dict:
    """Look for the subject's identifiers (`ids`, or the request's) in every
    catalogued field, Hush's and external; returns where any was found (entry,
    field, identifier kind, rows), never the values."""
    ids = ids or identifiers_of(request)
    patterns = _patterns(ids)
    found, places = [], 0
    for entry in catalog.entries():
        if entry.external:
            hits, checked = _verify_external(entry, ids, patterns)
        else:
            hits, checked = _verify_model(entry, ids, patterns)
        places += checked
        found += hits
    return {"clean": not found, "places": places, "found": found,
            "identifiers": sorted(patterns)}


def _model_field(model, name):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # a catalog naming a missing field is pii_audit's finding
        return None


def _encrypted(model_field) -> bool:
    return isinstance(model_field, EncryptedTextField)


def _kept_link(entry, pii_field) -> bool:
    """A field kept on purpose that is itself how the entry names the subject (the
    suppression list's digest): holding the identifier is its job."""
    return pii_field.erase is None and pii_field.name == entry.subject


def _verify_model(entry, ids, patterns) -> tuple[list[dict], int]:
    """One scan of the table: a count per (field, identifier); then the subject's
    own rows, for encrypted fields (ciphertext cannot be searched) and for rows
    that should have been deleted."""
    model = entry.model
    annotations, aggregates, labels = {}, {}, []
    checked = 0
    for pii_field in entry.fields:
        model_field = _model_field(model, pii_field.name)
        if model_field is None or _kept_link(entry, pii_field):
            continue
        checked += 1
        name = pii_field.name
        if _encrypted(model_field):
            continue
        if isinstance(model_field, models.JSONField):
            target = f"_text_{name}"
            annotations[target] = Cast(name, models.TextField())
        elif isinstance(model_field, _TEXT):
            target = name
        elif isinstance(model_field, models.UUIDField) and "public_id" in ids:
            labels.append((name, "public_id"))
            aggregates[f"c{len(labels)}"] = models.Count(
                "pk", filter=Q(**{name: ids["public_id"]}))
            continue
        else:
            continue
        for kind, values in patterns.items():
            condition = Q()
            for value in values:
                condition |= Q(**{f"{target}__icontains": value})
            if kind == "external_id" and target == name and len(ids["external_id"]) < 6:
                condition = Q(**{name: ids["external_id"]})
            labels.append((name, kind))
            aggregates[f"c{len(labels)}"] = models.Count("pk", filter=condition)
    hits = []
    if aggregates and connection.vendor == "postgresql":
        hits += _scan_model(entry, ids, patterns)
    elif aggregates:
        counts = model._base_manager.annotate(**annotations).aggregate(**aggregates)
        hits += [{"entry": entry.key, "field": name, "identifier": kind,
                  "rows": counts[f"c{i}"]}
                 for i, (name, kind) in enumerate(labels, start=1) if counts[f"c{i}"]]
    value = ids.get(entry.subject_by) if entry.subject else None
    if value is None or not erasable(entry):
        return hits, checked
    rows = model._base_manager.filter(**{entry.subject: value})
    if entry.erase_rows:
        count = rows.count()
        if count:
            hits.append({"entry": entry.key, "field": "", "identifier": entry.subject_by,
                         "rows": count})
        return hits, checked
    wanted = [str(v).lower() for v in ids.values()]
    for pii_field in entry.fields:
        if not _encrypted(_model_field(model, pii_field.name)):
            continue
        count = sum(1 for v in rows.values_list(pii_field.name, flat=True)
                    if v and any(w in v.lower() for w in wanted))
        if count:
            hits.append({"entry": entry.key, "field": pii_field.name,
                         "identifier": "value", "rows": count})
    return hits, checked


def _scan_query(table, columns: list[tuple[str, bool]], patterns: dict, ids: dict):
    """One pass over a table (PostgreSQL): per (column, identifier) the rows whose
    text holds it. Each column is cast and lowercased once per row (the OFFSET 0
    keeps PostgreSQL from doing it again per test), then searched with strpos.

    `columns` are (column, is_json); returns (query, params, labels)."""
    inner = sql.SQL(", ").join(
        sql.SQL("lower({}::text) AS {}").format(sql.Identifier(column), sql.Identifier(f"c{i}"))
        for i, (column, _) in enumerate(columns))
    parts, params, labels = [], [], []
    short_external = ids.get("external_id") and len(ids["external_id"]) < 6
    for i, (column, is_json) in enumerate(columns):
        alias = sql.Identifier(f"c{i}")
        for kind, values in patterns.items():
            if kind == "external_id" and short_external and not is_json:
                condition = sql.SQL("{} = %s").format(alias)
                params.append(ids["external_id"].lower())
            else:
                condition = sql.SQL(" OR ").join(
                    sql.SQL("strpos({}, %s) > 0").format(alias) for _ in values)
                params += [v.lower() for v in values]
            parts.append(sql.SQL("count(*) FILTER (WHERE {})").format(condition))
            labels.append((column, kind))
    query = sql.SQL("SELECT {} FROM (SELECT {} FROM {} OFFSET 0) AS scanned").format(
        sql.SQL(", ").join(parts), inner, table)
    return query, params, labels


def _scan_model(entry, ids, patterns) -> list[dict]:
    """`_verify_model`'s table scan in one SQL statement, on PostgreSQL."""
    model = entry.model
    columns, names = [], {}
    for pii_field in entry.fields:
        model_field = _model_field(model, pii_field.name)
        if model_field is None or _kept_link(entry, pii_field) or _encrypted(model_field):
            continue
        if isinstance(model_field, (*_TEXT, models.JSONField, models.UUIDField)):
            columns.append((model_field.column, isinstance(model_field, models.JSONField)))
            names[model_field.column] = pii_field.name
    query, params, labels = _scan_query(sql.Identifier(model._meta.db_table), columns,
                                        patterns, ids)
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection), params)
        counts = cursor.fetchone()
    return [{"entry": entry.key, "field": names[column], "identifier": kind, "rows": n}
            for (column, kind), n in zip(labels, counts, strict=True) if n]


def _verify_external(entry, ids, patterns) -> tuple[list[dict], int]:
    if not entry.fields or not patterns:
        return [], 0
    columns = [(f.name, False) for f in entry.fields]
    query, params, labels = _scan_query(table_sql(entry), columns, patterns, ids)
    with external_connection(entry.database) as conn, conn.cursor() as cursor:
        cursor.execute(query, params)
        counts = cursor.fetchone()
        hits = [{"entry": entry.key, "field": name, "identifier": kind, "rows": n}
                for (name, kind), n in zip(labels, counts, strict=True) if n]
        value = ids.get(entry.subject_by)
        if entry.erase_rows and value is not None:
            count = external_count(entry, value, conn=conn)
            if count:
                hits.append({"entry": entry.key, "field": "", "identifier": entry.subject_by,
                             "rows": count})
    return hits, len(entry.fields)


def erasure_finish(*, request_id: int) -> str:
    """Every step is done: verify, record the result, destroy the kept identifiers."""
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(pk=request_id)
        if request.status == RequestStatus.DONE:
            return request.status
        steps = ErasureStep.objects.filter(request_id=request_id)
        if steps.exclude(status=Status.DONE).exists():
            return request.status
        # The kept identifiers leave the request first; verification uses them from
        # memory (and so does not find them on the request itself).
        ids = identifiers_of(request)
        request.identifiers = None
        request.save(update_fields=["identifiers"])
        result = erasure_verify(request=request, ids=ids)
        now = timezone.now()
        request.verification = {**result, "checked_at": now.isoformat()}
        request.verified_at = request.finished_at = now
        request.status = RequestStatus.DONE if result["clean"] else RequestStatus.FAILED
        request.save(update_fields=["verification", "verified_at", "finished_at", "status"])
        # Outside the database, before this commits: should the write fail, the request
        # stays open and the sweeper finishes it again; a backup restored later cannot
        # bring the person back (`erasure replay`).
        ledger_append(kind=ERASURE, at=now, record={
            "subject": str(request.subject_public_id),
            "email_digest": ids.get("email_digest"),
            "entries": sorted(steps.exclude(target__startswith=DESTINATION)
                              .values_list("target", flat=True)),
        })
        totals = steps.aggregate(rows=models.Sum("rows_affected"), steps=models.Count("pk"))
        audit.record(actor=audit.SYSTEM, action="erasure.completed", target=request,
                     details={"subject": str(request.subject_public_id),
                              "steps": totals["steps"], "rows": totals["rows"] or 0,
                              "verified": result["clean"], "found": len(result["found"])})
    return request.status


# --- for pii_audit: erasure applied to erased subjects' rows? (reads only) -----

def erasure_pending(entry: Entry, public_ids: list) -> int:
    """Rows of erased subjects (by public id) that still hold a field erasure should
    have changed, or still exist where erasure deletes rows. Hush models, and external
    tables keyed by public id (the only identifier Hush keeps after erasure)."""
    if not public_ids or not entry.erasable or entry.subject_by != "public_id":
        return 0
    if entry.external:
        where = sql.SQL("{}::text = ANY({})").format(
            sql.Identifier(entry.subject), sql.Literal([str(p) for p in public_ids]))
        with external_connect(entry.database, autocommit=True) as conn:
            return _pending(entry, ExternalRows(entry=entry, conn=conn, where=where))
    rows = entry.model._default_manager.filter(**{f"{entry.subject}__in": public_ids})
    return _pending(entry, HushRows(rows=rows, label=entry.key))


def _pending(entry: Entry, rows) -> int:
    if entry.erase_rows:
        return rows.count()
    return rows_pending(rows, fields=entry.fields, role="erase")
