"""What a step does: erase one catalog entry's rows for the subject, wait for a
destination's `subject.erased` delivery, or erase the subject row last."""

from __future__ import annotations

from django.utils import timezone

from anonymizer import catalog
from anonymizer.erasure.planning import BATCH, DESTINATION, SUBJECT_ENTRY
from anonymizer.erasure.requests import identifiers_of
from anonymizer.external import external_delete, external_transform
from anonymizer.models import ErasureRequest, ErasureStep
from anonymizer.transforming import HushRows, rows_transform
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
    erased = [f for f in entry.fields if f.erase is not None]
    deletes = entry.erase_rows or any(f.erase == "delete" for f in erased)
    if entry.external:
        if deletes:
            return external_delete(entry, value), []
        outcome = external_transform(entry, value, role="erase", batch_size=BATCH)
        return outcome.rows, outcome.fields
    rows = entry.model._base_manager.filter(**{entry.subject: value})
    if deletes:
        with deletion_allowed(entry.model):  # erasure may delete append-only rows
            _, per_model = rows.delete()
        return per_model.get(entry.model._meta.label, 0), []
    return _transform_rows(rows, erased, label=entry.key)


def _transform_rows(rows, erased, *, label: str) -> tuple[int, list[str]]:
    """The fields' `erase` transforms on a subject's rows of a Hush model, through the
    transforming engine: one statement for what SQL can express, pages of locked rows
    for the rest."""
    outcome = rows_transform(HushRows(rows=rows, label=label), fields=erased, role="erase",
                             batch_size=BATCH, ranges=False, report_fields=True)
    return outcome.rows, outcome.fields


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
    changed, fields = _transform_rows(rows, erased, label=SUBJECT_ENTRY)
    if subject.erased_at is None:  # planned before the mark existed
        rows.update(erased_at=timezone.now())
    if not subject.unsubscribed_all:  # an erased subject may be sent nothing, by id either
        rows.update(unsubscribed_all=True)
        changed, fields = 1, [*fields, "unsubscribed_all"]
    # Set-based writes send no signal: tell the capture path's cache on commit, so
    # the next event for this subject is decided on the erased state.
    consent_cache.forget_subject(subject.pk)
    return changed, fields
