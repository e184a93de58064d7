"""Reads of the anonymizer's records."""

from anonymizer.models import ErasureRequest, ErasureStep


def erasure_progress(request: ErasureRequest) -> dict:
    """Steps done out of the total (0 of 0 before the request is planned)."""
    statuses = list(request.steps.values_list("status", flat=True))
    done = sum(1 for s in statuses if s == ErasureStep.Status.DONE)
    return {"done": done, "total": len(statuses),
            "failed": sum(1 for s in statuses if s == ErasureStep.Status.FAILED)}


def erasure_report(request: ErasureRequest, *, details: bool = True) -> dict:
    """What was erased, when and where, and what verification found: opaque ids,
    entry keys, field names, counts and times, never a value.

    `details=False` leaves out the subject's id, row counts, fields changed and
    verification hits: for a caller that must not learn whether the address it
    named was known (an API key without subjects:read).
    """
    steps = []
    for step in request.steps.order_by("phase", "pk"):
        row = {"target": step.target, "status": step.status, "attempts": step.attempts,
               "last_error": step.last_error, "finished_at": step.finished_at}
        if details:
            row.update(rows=step.rows_affected, fields=list(step.fields_changed))
        steps.append(row)
    verification = None
    if request.verified_at is not None:
        result = request.verification or {}
        verification = {"checked_at": request.verified_at, "clean": result.get("clean", False),
                        "places": result.get("places", 0)}
        if details:
            verification["found"] = result.get("found", [])
    report = {
        "id": str(request.key),
        "subject": str(request.subject_public_id),
        "status": request.status,
        "source": request.source,
        "requested_at": request.requested_at,
        "started_at": request.started_at,
        "finished_at": request.finished_at,
        "progress": erasure_progress(request),
        "steps": steps,
        "verification": verification,
    }
    if not details:
        del report["subject"]
    return report


RequestStatus = ErasureRequest.Status
OPEN = (RequestStatus.PENDING, RequestStatus.RUNNING)


def erasures_counts() -> dict:
    """Requests still running (or waiting to start), and requests that failed."""
    return {"running": ErasureRequest.objects.filter(status__in=OPEN).count(),
            "failed": ErasureRequest.objects.filter(status=RequestStatus.FAILED).count()}


def erasures_list(*, status: str = ""):
    """Requests newest first, of one status if `status` is one (else all)."""
    rows = ErasureRequest.objects.order_by("-requested_at", "-id")
    if status in RequestStatus.values:
        rows = rows.filter(status=status)
    return rows.only("pk", "key", "status", "source", "requested_at", "finished_at")
