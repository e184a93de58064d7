"""What a step does: erase one catalog entry's rows for the subject, wait for a
destination's `subject.erased` delivery, or erase the subject row last."""

from __future__ import annotations

import json

from django.db import models
from django.db.models import ExpressionWrapper, Q
from psycopg import sql

from anonymizer import catalog
from anonymizer.core.transforms import DELETE
from anonymizer.erasure.planning import BATCH, DESTINATION, SUBJECT_ENTRY
from anonymizer.erasure.requests import identifiers_of
from anonymizer.external import external_connection, external_erase, subject_where, table_sql
from anonymizer.models import ErasureRequest, ErasureStep
from anonymizer.policies import field_apply
from common.triggers import deletion_allowed
from preferences.models import Delivery, Subject, Suppression
from preferences.privacy import consent_cache

Status = ErasureStep.Status
RequestStatus = ErasureRequest.Status


class Waiting(Exception):
    """A destination's event is not delivered yet: look again later, not a failure."""


class StepError(Exception):
    """A step failed for a reason we can name without personal data."""

    def __init__(self, message: str, *, final: bool = False):
        super().__init__(message)
        self.final = final  # no point retrying (a dead-letter delivery: staff retry it)


def step_erase(step: ErasureStep) -> tuple[int, list[str]]:
    ids = identifiers_of(step.request)
    if step.target.startswith(DESTINATION):
        return _destination_step(step)
    if step.target == SUBJECT_ENTRY:
        return _subject_step(step.request, ids)
    try:
        entry = catalog.entry(step.target)
    except KeyError:
        raise StepError(f"{step.target} is no longer in the catalog", final=True) from None
    return erase_entry(entry, ids)


def erase_entry(entry, ids: dict) -> tuple[int, list[str]]:
    """Erase one catalog entry's rows for the subject: (rows changed, fields changed)."""
    value = ids.get(entry.subject_by)
    if value is None:
        return 0, []  # the subject has no such identifier: nothing here can be theirs
    if entry.external:
        return _erase_external(entry, value)
    rows = entry.model._base_manager.filter(**{entry.subject: value})
    erased = [f for f in entry.fields if f.erase is not None]
    if entry.erase_rows or any(f.erase == "delete" for f in erased):
        with deletion_allowed(entry.model):  # erasure may delete append-only rows
            _, per_model = rows.delete()
        return per_model.get(entry.model._meta.label, 0), []
    return _transform_rows(entry.model, rows, erased)


SET_BASED = ("null", "redact")


def _constant(pii_field, model_field):
    """What `null` or `redact` stores in this column. `null`: NULL where the column
    allows it, else the empty value; `redact`: the kind's label, whatever the value."""
    if pii_field.erase == "redact":
        return field_apply("redact", "", kind=pii_field.kind)
    if model_field.null:
        return None
    if isinstance(model_field, models.JSONField):
        return {}
    return ""


def _transform_rows(model, rows, erased) -> tuple[int, list[str]]:
    if all(f.erase in SET_BASED for f in erased):
        return _set_rows(model, rows, erased)
    changed_rows: set = set()
    changed_fields: list[str] = []
    # `null` and `redact` give one value whatever the input: one UPDATE per field,
    # in the database, on the rows not holding it yet (so running again changes nothing).
    for pii_field in [f for f in erased if f.erase in SET_BASED]:
        name = pii_field.name
        target = _constant(pii_field, model._meta.get_field(name))
        holding = rows.filter(**{f"{name}__isnull": False})
        if target is not None:
            holding = holding.exclude(**{name: target})
        pks = list(holding.values_list("pk", flat=True))
        for start in range(0, len(pks), BATCH):
            model._base_manager.filter(pk__in=pks[start:start + BATCH]).update(**{name: target})
        if pks:
            changed_rows.update(pks)
            changed_fields.append(name)
    # Any other transform runs in Python, in batches; a value already transformed
    # is left alone, so running again changes nothing more.
    others = [f for f in erased if f.erase not in SET_BASED]
    touched: set[str] = set()
    for batch in _batches(rows.order_by("pk").values_list("pk", *[f.name for f in others])
                          if others else None):
        updates: dict[str, list] = {}
        for pk, *values in batch:
            for pii_field, value in zip(others, values, strict=True):
                if value is None:
                    continue
                result = _apply(pii_field, value)
                if result != value:
                    updates.setdefault(pii_field.name, []).append(
                        model(pk=pk, **{pii_field.name: result}))
                    changed_rows.add(pk)
        for name, objects in updates.items():
            model._base_manager.bulk_update(objects, [name], batch_size=500)
            touched.add(name)
    changed_fields += [f.name for f in others if f.name in touched]
    return len(changed_rows), changed_fields


def _set_rows(model, rows, erased) -> tuple[int, list[str]]:
    """Only `null` and `redact` (one value whatever the input): one read of the
    subject's rows (the lookup may be a scan), then UPDATEs by primary key of the
    rows where some field still holds something else."""
    targets = {f.name: _constant(f, model._meta.get_field(f.name)) for f in erased}
    if not targets:
        return 0, []
    names = list(targets)
    # Whether each field still differs, worked out by the database (no value leaves it).
    differs = {}
    for i, (name, target) in enumerate(targets.items()):
        condition = Q(**{f"{name}__isnull": False})
        if target is not None:
            condition &= ~Q(**{name: target})
        differs[f"_differs{i}"] = ExpressionWrapper(condition, output_field=models.BooleanField())
    changed_pks, fields = [], set()
    for pk, *flags in rows.annotate(**differs).values_list("pk", *differs).iterator(
            chunk_size=BATCH):
        differing = [name for name, flag in zip(names, flags, strict=True) if flag]
        if differing:
            changed_pks.append(pk)
            fields.update(differing)
    fields = [name for name in names if name in fields]
    for start in range(0, len(changed_pks), BATCH):
        model._base_manager.filter(pk__in=changed_pks[start:start + BATCH]).update(
            **{name: targets[name] for name in fields})
    return len(changed_pks), fields


def _batches(values_list):
    if values_list is None:
        return
    batch = []
    for row in values_list.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# What the transforms that are not idempotent produce, so a value they already
# produced is recognised and left alone.
_OUTPUT_PREFIX = {"pseudonymise": "pseu_", "tokenize": "tok_"}


def _apply(pii_field, value):
    options = {"level": pii_field.level} if getattr(pii_field, "level", None) else {}
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if text.startswith(_OUTPUT_PREFIX.get(pii_field.erase, "\0")) or \
            text.endswith("@pseudonym.invalid"):
        return value  # a pseudonym or token already: transforming it again would change it
    result = field_apply(pii_field.erase, text, kind=pii_field.kind, **options)
    if result is DELETE:
        raise StepError(f"field {pii_field.name}: use erase_rows to delete rows", final=True)
    if result == text:
        return value  # already transformed: running again changes nothing
    return result


def _erase_external(entry, value) -> tuple[int, list[str]]:
    erased = [f for f in entry.fields if f.erase is not None]
    if not entry.erase_rows and erased and all(f.erase in SET_BASED for f in erased):
        return _set_external(entry, value, erased)
    rows = external_erase(entry, value)
    fields = [] if entry.erase_rows else [f.name for f in erased]
    return rows, fields if rows else []


def _set_external(entry, value, erased) -> tuple[int, list[str]]:
    """Only `null` and `redact`: one UPDATE of the subject's rows in the company's
    database, where any column still holds something else."""
    targets = {f.name: _constant(f, _NULLABLE) for f in erased}
    where, params = subject_where(entry, value)
    differs = sql.SQL(" OR ").join(
        sql.SQL("{} IS DISTINCT FROM %s").format(sql.Identifier(name)) for name in targets)
    query = sql.SQL("UPDATE {} SET {} WHERE {} AND ({})").format(
        table_sql(entry),
        sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(name)) for name in targets),
        where, differs)
    with external_connection(entry.database) as conn, conn.cursor() as cursor:
        cursor.execute(query, [*targets.values(), *params, *targets.values()])
        changed = cursor.rowcount
    return changed, list(targets) if changed else []


class _Nullable:
    null = True


_NULLABLE = _Nullable()  # an external column: `null` stores NULL


def _destination_step(step: ErasureStep) -> tuple[int, list[str]]:
    """Done once the destination has the `subject.erased` event; the delivery itself
    retries with backoff, and a dead letter fails the step for staff to retry."""
    if step.delivery_id is None:
        return 0, []  # nothing to send: a subject Hush did not know
    delivery = Delivery.objects.filter(pk=step.delivery_id).values("status").first()
    if delivery is None:
        return 0, []  # the destination was removed, and its deliveries with it
    if delivery["status"] == Delivery.Status.DELIVERED:
        return 1, []
    if delivery["status"] == Delivery.Status.FAILED:
        raise StepError("the subject.erased delivery failed (a dead letter)", final=True)
    raise Waiting


def _subject_step(request: ErasureRequest, ids: dict) -> tuple[int, list[str]]:
    """Last: the subject row keeps only its opaque id; its digest joins the
    suppression list, so the address is never mailed again."""
    rows = Subject.objects.filter(public_id=request.subject_public_id)
    subject = rows.select_for_update().first()
    # The digest known at plan time, and the current one should the address have
    # changed meanwhile.
    for digest in {ids.get("email_digest"), subject and subject.email_digest} - {None}:
        Suppression.objects.update_or_create(email_digest=digest,
                                             defaults={"reason": Suppression.Reason.ERASED})
    if subject is None:
        return 0, []
    try:
        entry = catalog.entry(SUBJECT_ENTRY)
        erased = [f for f in entry.fields if f.erase is not None]
    except KeyError:
        erased = []
    # Whatever the catalog says, these leave: they are the way back to the person.
    names = {f.name for f in erased}
    erased += [catalog.PiiField(name, catalog.Category.IDENTIFIER, erase="null")
               for name in ("email", "email_digest", "external_id") if name not in names]
    changed, fields = _transform_rows(Subject, rows, erased)
    if not subject.unsubscribed_all:  # an erased subject may be sent nothing, by id either
        rows.update(unsubscribed_all=True)
        changed, fields = 1, [*fields, "unsubscribed_all"]
    # Set-based writes send no signal: tell the capture path's cache on commit, so
    # the next event for this subject is decided on the erased state.
    consent_cache.forget_subject(subject.pk)
    return changed, fields
