"""Planning: a pending request becomes one step per place, phase by phase."""

from __future__ import annotations

import json

from django.db import transaction
from django.utils import timezone

import audit
from anonymizer import catalog
from anonymizer.erasure.requests import identifiers_of
from anonymizer.models import ErasureRequest, ErasureStep
from preferences.models import Destination, EventType, Subject
from preferences.one_click import erased as one_click_erased
from preferences.propagation.outbox import outbox_write

Status = ErasureStep.Status
RequestStatus = ErasureRequest.Status


PHASE_FIRST, PHASE_OUTBOX, PHASE_SUBJECT = 1, 2, 3
DESTINATION = "destination:"
SUBJECT_ENTRY = "preferences.subject"
OUTBOX_ENTRY = "preferences.delivery"
BATCH = 2000


def _phase(entry) -> int:
    if entry.key == SUBJECT_ENTRY:
        return PHASE_SUBJECT
    if entry.key == OUTBOX_ENTRY:
        return PHASE_OUTBOX
    return PHASE_FIRST


def erasable(entry) -> bool:
    return entry.subject is not None and (
        entry.erase_rows or any(f.erase is not None for f in entry.fields))


def erasure_targets() -> list[tuple[str, int]]:
    """(target, phase) of every catalog entry erasure has something to do in; the
    subject row always, even before the catalog names it."""
    targets = {e.key: _phase(e) for e in catalog.entries() if erasable(e)}
    targets.setdefault(SUBJECT_ENTRY, PHASE_SUBJECT)
    return sorted(targets.items(), key=lambda item: (item[1], item[0]))


def erasure_plan(*, request_id: int) -> bool:
    """Turn a pending request into its steps; False if it was planned already.

    One transaction: the steps, the identifiers kept (encrypted) for verification,
    and for a known subject the `subject.erased` outbox rows, one per destination
    that wants it. A destination gets its step even for an unknown address, with
    nothing to send, so the steps look the same either way.
    """
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(pk=request_id)
        if request.status != RequestStatus.PENDING:
            return False
        ids = identifiers_of(request)
        subject = Subject.objects.filter(public_id=request.subject_public_id).first()
        destinations = [d for d in Destination.objects.filter(enabled=True).order_by("pk")
                        if d.wants(EventType.SUBJECT_ERASED)]
        if subject is not None:  # erasure is final from here: every write refuses them
            Subject.objects.filter(pk=subject.pk, erased_at__isnull=True).update(
                erased_at=timezone.now())
            # Its one-click page says "erased" at once in this process: now, and again
            # once committed (a page read in between cached the old answer).
            one_click_erased.forget()
            transaction.on_commit(one_click_erased.forget)
        deliveries = {}
        if subject is not None and destinations:
            written = outbox_write(subject=subject, event_type=EventType.SUBJECT_ERASED)
            deliveries = {d.destination_id: d.pk for d in written}
        steps = [ErasureStep(request=request, target=f"{DESTINATION}{d.pk}", phase=PHASE_FIRST,
                             delivery_id=deliveries.get(d.pk)) for d in destinations]
        steps += [ErasureStep(request=request, target=target, phase=phase)
                  for target, phase in erasure_targets()]
        ErasureStep.objects.bulk_create(steps)
        request.status, request.started_at = RequestStatus.RUNNING, timezone.now()
        request.identifiers = json.dumps({k: v for k, v in ids.items() if k != "public_id"})
        request.save(update_fields=["status", "started_at", "identifiers"])
        audit.record(actor=audit.SYSTEM, action="erasure.started", target=request,
                     details={"subject": str(request.subject_public_id), "steps": len(steps),
                              "destinations": len(destinations)})
    return True
