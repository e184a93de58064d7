"""Who an erasure request names: the subject behind a public id, an email or an
external id (or a stable opaque id for one Hush does not know), and the identifiers
verification searches for."""

from __future__ import annotations

import json
import uuid

from anonymizer.models import ErasureRequest, ErasureStep
from anonymizer.services import erasure_open, phantom_id
from common.crypto import email_digest, normalise_email
from preferences.models import Subject

Status = ErasureStep.Status
RequestStatus = ErasureRequest.Status


class NotFound(Exception):
    """No subject has that public id."""


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
        return erasure_open(public_id=phantom_id("email", email),
                            identifiers={"email": email}, **common)
    subject = Subject.objects.filter(external_id=external_id).first()
    if subject is not None:
        return erasure_open(public_id=subject.public_id, **common)
    return erasure_open(public_id=phantom_id("external_id", external_id),
                        identifiers={"external_id": external_id}, **common)




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
