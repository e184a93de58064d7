"""Running: claim a step, do it in one transaction with its result, retry with backoff
and jitter, move the request on; staff retry and the sweeper."""

from __future__ import annotations

import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

import audit
from anonymizer.erasure.planning import erasure_plan
from anonymizer.erasure.targets import StepError, Waiting, step_erase
from anonymizer.erasure.verification import erasure_finish
from anonymizer.models import ErasureRequest, ErasureStep
from anonymizer.services import request_queue, step_queue
from preferences.propagation.delivery import deliveries_retry

Status = ErasureStep.Status
RequestStatus = ErasureRequest.Status


def erasure_run(*, request_id: int) -> str:
    """What the `erasure_run` task does: plan if needed, then move the request on."""
    erasure_plan(request_id=request_id)
    return erasure_advance(request_id=request_id)


def _blocked():
    """An unfinished step of the same request in an earlier phase."""
    return ErasureStep.objects.filter(request_id=OuterRef("request_id"),
                                      phase__lt=OuterRef("phase")).exclude(status=Status.DONE)


def erasure_advance(*, request_id: int) -> str:
    """Queue the steps that may run now, or verify and close a request whose steps
    are all done. Safe to call any number of times from anywhere."""
    request = ErasureRequest.objects.get(pk=request_id)
    if request.status in (RequestStatus.AWAITING_REVIEW, RequestStatus.DENIED,
                          RequestStatus.PENDING, RequestStatus.DONE):
        return request.status
    steps = ErasureStep.objects.filter(request_id=request_id)
    if not steps.exclude(status=Status.DONE).exists():
        return erasure_finish(request_id=request_id)
    now = timezone.now()
    runnable = list(steps.filter(status=Status.PENDING, next_attempt_at__lte=now,
                                 queued_at__isnull=True)
                    .filter(~Exists(_blocked())).values_list("pk", flat=True))
    for step_id in runnable:
        # One conditional UPDATE per step: two callers never both queue it.
        if ErasureStep.objects.filter(pk=step_id, queued_at__isnull=True).update(queued_at=now):
            transaction.on_commit(lambda step_id=step_id: step_queue(step_id))
    if steps.filter(status=Status.FAILED).exists():
        ErasureRequest.objects.filter(pk=request_id, status=RequestStatus.RUNNING).update(
            status=RequestStatus.FAILED)
        return RequestStatus.FAILED
    return RequestStatus.RUNNING


def _backoff(attempts: int) -> float:
    """Exponential with jitter (half fixed, half random)."""
    ceiling = min(settings.HUSH_ERASURE_BACKOFF_CAP,
                  settings.HUSH_ERASURE_BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not secrecy


def _claim(step_id: int) -> ErasureStep | None:
    now = timezone.now()
    claimed = (ErasureStep.objects
               .filter(pk=step_id, status=Status.PENDING, next_attempt_at__lte=now)
               .filter(~Exists(_blocked()))
               .update(status=Status.RUNNING, attempts=F("attempts") + 1, started_at=now,
                       lease_until=now + timedelta(seconds=settings.HUSH_ERASURE_LEASE)))
    if not claimed:
        return None
    return ErasureStep.objects.select_related("request").get(pk=step_id)


def erasure_step_run(*, step_id: int) -> str:
    """Claim the step, do it in one transaction with its result, move the request on.

    Returns the step's new status, or "skipped" when it was not ours to run (done,
    running elsewhere, not due, or waiting for an earlier phase).
    """
    step = _claim(step_id)
    if step is None:
        return "skipped"
    mine = ErasureStep.objects.filter(pk=step.pk, status=Status.RUNNING, attempts=step.attempts)
    try:
        with transaction.atomic():
            rows, fields = step_erase(step)
            if not mine.update(status=Status.DONE, rows_affected=rows, fields_changed=fields,
                               finished_at=timezone.now(), lease_until=None, last_error=""):
                raise _LostClaim
        outcome = Status.DONE
    except _LostClaim:
        return "lost-claim"
    except Waiting:
        mine.update(status=Status.PENDING, attempts=F("attempts") - 1, lease_until=None,
                    queued_at=None, next_attempt_at=timezone.now()
                    + timedelta(seconds=settings.HUSH_ERASURE_POLL))
        return "waiting"
    except Exception as exc:  # recorded (without personal data) and retried
        outcome = _record_failure(step, exc, mine)
    transaction.on_commit(lambda: erasure_advance(request_id=step.request_id))
    return outcome


class _LostClaim(Exception):
    """The lease ran out and another worker took the step: roll back, it is theirs."""


def _error_text(exc: Exception) -> str:
    # Our own messages are written without personal data; anyone else's (a driver
    # error can quote a row) is named by its type only.
    if isinstance(exc, StepError):
        return str(exc)[:300]
    return type(exc).__name__


def _record_failure(step: ErasureStep, exc: Exception, mine) -> str:
    now = timezone.now()
    error = _error_text(exc)
    final = getattr(exc, "final", False) or step.attempts >= settings.HUSH_ERASURE_MAX_ATTEMPTS
    with transaction.atomic():
        if final:
            updated = mine.update(status=Status.FAILED, lease_until=None, last_error=error,
                                  finished_at=now)
            if updated:
                audit.record(actor=audit.SYSTEM, action="erasure.step_failed",
                             target=step.request,
                             details={"step": step.target, "attempts": step.attempts,
                                      "error": error[:100]})
            return Status.FAILED if updated else "lost-claim"
        delay = _backoff(step.attempts)
        updated = mine.update(status=Status.PENDING, lease_until=None, last_error=error,
                              queued_at=None, next_attempt_at=now + timedelta(seconds=delay))
    return Status.PENDING if updated else "lost-claim"


def erasure_retry(*, request_id: int, actor) -> int:
    """Put a request's failed steps back to pending (a dead-letter delivery is
    retried too); a request whose verification found something runs every step
    again. Returns how many steps were put back."""
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(pk=request_id)
        if request.status != RequestStatus.FAILED:
            return 0
        steps = ErasureStep.objects.filter(request=request)
        failed = steps.filter(status=Status.FAILED)
        if not failed.exists():  # verification found something: run it all again
            failed = steps
        retried = list(failed.values_list("pk", flat=True))
        deliveries = list(failed.filter(delivery_id__isnull=False)
                          .values_list("delivery_id", flat=True))
        ErasureStep.objects.filter(pk__in=retried).update(
            status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), queued_at=None,
            lease_until=None, finished_at=None)
        request.status, request.finished_at = RequestStatus.RUNNING, None
        request.save(update_fields=["status", "finished_at"])
        if deliveries:
            deliveries_retry(ids=deliveries, actor=actor)
        audit.record(actor=actor, action="erasure.retried", target=request,
                     details={"steps": len(retried)})
        transaction.on_commit(lambda: request_queue(request.pk))
    return len(retried)


def erasure_sweep(*, limit: int = 500) -> dict:
    """Re-queue what a lost message or a killed worker left behind: expired leases,
    retries now due, and requests never planned or never closed. Runs from beat."""
    now = timezone.now()
    expired = ErasureStep.objects.filter(status=Status.RUNNING, lease_until__lt=now).update(
        status=Status.PENDING, lease_until=None, queued_at=None)
    stale = now - timedelta(seconds=settings.HUSH_ERASURE_REQUEUE_AFTER)
    due = list(
        ErasureStep.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=stale))
        .filter(~Exists(_blocked())).order_by("pk").values_list("pk", flat=True)[:limit])
    if due:
        ErasureStep.objects.filter(pk__in=due).update(queued_at=now)
        for step_id in due:
            step_queue(step_id)
    # Never planned (the message lost), or every step done but never closed.
    open_steps = ErasureStep.objects.filter(request_id=OuterRef("pk")).exclude(
        status=Status.DONE)
    requests = list(
        ErasureRequest.objects.filter(
            Q(status=RequestStatus.PENDING, requested_at__lt=stale)
            | Q(~Exists(open_steps), status=RequestStatus.RUNNING, started_at__lt=stale))
        .order_by("pk").values_list("pk", flat=True)[:limit])
    for request_id in requests:
        request_queue(request_id)
    return {"expired_leases": expired, "requeued_steps": len(due), "requests": len(requests)}
