"""Writes to the anonymizer's own records that any app may make: open an erasure
request (the preference center's "erase me", rights requests, the API, staff), and
queue the erasure's tasks by name after commit."""

import hashlib
import hmac
import json
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import audit
from anonymizer.models import ErasureRequest
from common.tasks import task_send

RequestStatus = ErasureRequest.Status


OPEN = (RequestStatus.AWAITING_REVIEW, RequestStatus.PENDING, RequestStatus.RUNNING)


def phantom_id(kind: str, value: str) -> uuid.UUID:
    """A stable opaque id for an address or external id Hush does not know, so asking
    twice answers like asking twice for a known one (the same open request)."""
    mac = hmac.new(settings.HUSH_DIGEST_KEY.encode(), f"erasure:{kind}:{value}".encode(),
                   hashlib.sha256).digest()
    return uuid.UUID(bytes=mac[:16], version=4)


def erasure_open(*, public_id: uuid.UUID, source: str, actor,
                 identifiers: dict | None = None, per_requester: bool = False,
                 reviewed: bool = False) -> ErasureRequest:
    """Record the request (idempotent while one is open) and queue it after commit.

    `per_requester`: only a request this same requester opened counts, so the
    answer never shows that someone else (the subject, staff) asked already.
    `reviewed`: it waits in `awaiting_review` until a privacy officer releases it
    (`erasure_release`) or denies it (`erasure_deny`).
    """
    by_type, by_id = audit.actor_of(actor)
    with transaction.atomic():
        open_requests = ErasureRequest.objects.select_for_update().filter(
            subject_public_id=public_id, status__in=OPEN)
        if per_requester:
            open_requests = open_requests.filter(requested_by_type=by_type,
                                                 requested_by_id=by_id)
        open_request = open_requests.first()
        if open_request:
            return open_request
        request = ErasureRequest.objects.create(
            subject_public_id=public_id, source=source, requested_by_type=by_type,
            requested_by_id=by_id,
            status=RequestStatus.AWAITING_REVIEW if reviewed else RequestStatus.PENDING,
            identifiers=json.dumps(identifiers) if identifiers else None)
        audit.record(actor=actor, action="erasure.requested", target=request,
                     details={"subject": str(public_id), "source": source,
                              "reviewed": reviewed})
        if not reviewed:
            transaction.on_commit(lambda: request_queue(request.pk))
    return request


def erasure_release(*, key: uuid.UUID, actor) -> bool:
    """A privacy officer approved it: `awaiting_review` -> pending, queued after commit."""
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().filter(
            key=key, status=RequestStatus.AWAITING_REVIEW).first()
        if request is None:
            return False
        request.status, request.requested_at = RequestStatus.PENDING, timezone.now()
        request.save(update_fields=["status", "requested_at"])
        audit.record(actor=actor, action="erasure.approved", target=request)
        transaction.on_commit(lambda: request_queue(request.pk))
    return True


def erasure_deny(*, key: uuid.UUID, actor, reason: str) -> bool:
    """A privacy officer said no: nothing is erased; what it was given is destroyed."""
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().filter(
            key=key, status=RequestStatus.AWAITING_REVIEW).first()
        if request is None:
            return False
        request.status, request.finished_at, request.identifiers = (
            RequestStatus.DENIED, timezone.now(), None)
        request.save(update_fields=["status", "finished_at", "identifiers"])
        audit.record(actor=actor, action="erasure.denied", target=request,
                     details={"reason": reason})
    return True


def request_queue(request_id: int) -> None:
    """Queue the request's run (plan if needed, then move on): call after commit."""
    task_send("anonymizer.erasure_run", request_id)


def step_queue(step_id: int) -> None:
    """Queue one step: call after commit."""
    task_send("anonymizer.erasure_step_run", step_id)
