"""Writes to the anonymizer's own records that any app may make: open an erasure
request (the preference center's "erase me", rights requests, the API, staff), and
queue the erasure's tasks by name after commit."""

import json
import uuid

from django.db import transaction

import audit
from anonymizer.models import ErasureRequest
from common.tasks import task_send

RequestStatus = ErasureRequest.Status


def erasure_open(*, public_id: uuid.UUID, source: str, actor,
                 identifiers: dict | None = None, per_requester: bool = False
                 ) -> ErasureRequest:
    """Record the request (idempotent while one is open) and queue it after commit.

    `per_requester`: only a request this same requester opened counts, so the
    answer never shows that someone else (the subject, staff) asked already.
    """
    by_type, by_id = audit.actor_of(actor)
    with transaction.atomic():
        open_requests = ErasureRequest.objects.select_for_update().filter(
            subject_public_id=public_id,
            status__in=[RequestStatus.PENDING, RequestStatus.RUNNING],
        )
        if per_requester:
            open_requests = open_requests.filter(requested_by_type=by_type,
                                                 requested_by_id=by_id)
        open_request = open_requests.first()
        if open_request:
            return open_request
        request = ErasureRequest.objects.create(
            subject_public_id=public_id, source=source, requested_by_type=by_type,
            requested_by_id=by_id,
            identifiers=json.dumps(identifiers) if identifiers else None)
        audit.record(actor=actor, action="erasure.requested", target=request,
                     details={"subject": str(public_id), "source": source})
        transaction.on_commit(lambda: request_queue(request.pk))
    return request


def request_queue(request_id: int) -> None:
    """Queue the request's run (plan if needed, then move on): call after commit."""
    task_send("anonymizer.erasure_run", request_id)


def step_queue(step_id: int) -> None:
    """Queue one step: call after commit."""
    task_send("anonymizer.erasure_step_run", step_id)
