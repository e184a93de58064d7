"""Asking for an erasure: a request named by public id, email or external id, opened
once while open, and queued after commit; and what names the request's subject."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

from django.conf import settings
from django.db import transaction

import audit
from anonymizer.models import ErasureRequest, ErasureStep
from common.crypto import email_digest, normalise_email
from common.tasks import task_send
from preferences.models import Subject

Status = ErasureStep.Status
RequestStatus = ErasureRequest.Status


class NotFound(Exception):
    """No subject has that public id."""


def _phantom_id(kind: str, value: str) -> uuid.UUID:
    """A stable opaque id for an address or external id Hush does not know, so asking
    twice answers like asking twice for a known one (the same open request)."""
    mac = hmac.new(settings.HUSH_DIGEST_KEY.encode(), f"erasure:{kind}:{value}".encode(),
                   hashlib.sha256).digest()
    return uuid.UUID(bytes=mac[:16], version=4)


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


def erasure_request_for(*, actor, source: str, public_id: uuid.UUID | None = None,
                        email: str | None = None, external_id: str | None = None
                        ) -> ErasureRequest:
    """A request named by public id, email or external id, for the API and staff.

    An email or external id Hush does not know still gets a request (under an
    opaque id of its own): it runs like any other, finds nothing, and its digest
    joins the suppression list, so the answer never tells whether it was known.
    Only the requester's own open request is reused, for the same reason. An
    unknown public id is NotFound: ids are opaque and tell nothing.
    """
    if sum(x is not None for x in (public_id, email, external_id)) != 1:
        raise ValueError("name the subject by exactly one of public_id, email, external_id")
    common = {"source": source, "actor": actor, "per_requester": True}
    if public_id is not None:
        subject = Subject.objects.filter(public_id=public_id).first()
        if subject is None:
            raise NotFound
        return erasure_open(public_id=subject.public_id, **common)
    if email is not None:
        email = normalise_email(email)
        subject = Subject.objects.filter(email_digest=email_digest(email)).first()
        if subject is not None:
            return erasure_open(public_id=subject.public_id, **common)
        return erasure_open(public_id=_phantom_id("email", email),
                            identifiers={"email": email}, **common)
    subject = Subject.objects.filter(external_id=external_id).first()
    if subject is not None:
        return erasure_open(public_id=subject.public_id, **common)
    return erasure_open(public_id=_phantom_id("external_id", external_id),
                        identifiers={"external_id": external_id}, **common)


def request_queue(request_id: int) -> None:
    """Queue the request's run (plan if needed, then move on): call after commit."""
    task_send("anonymizer.erasure_run", request_id)


def step_queue(step_id: int) -> None:
    """Queue one step: call after commit."""
    task_send("anonymizer.erasure_step_run", step_id)


def identifiers_of(request: ErasureRequest) -> dict:
    """What names the subject: from the subject row, or what the request was given."""
    known = json.loads(request.identifiers) if request.identifiers else {}
    ids = {"public_id": str(request.subject_public_id)}
    subject = Subject.objects.filter(public_id=request.subject_public_id).first()
    if subject is not None:
        ids.update(email=subject.email, email_digest=subject.email_digest,
                   external_id=subject.external_id)
    for name, value in known.items():
        if not ids.get(name):
            ids[name] = value
    if ids.get("email") and not ids.get("email_digest"):
        ids["email_digest"] = email_digest(ids["email"])
    return {name: value for name, value in ids.items() if value}
